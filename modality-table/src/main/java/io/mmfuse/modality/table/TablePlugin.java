package io.mmfuse.modality.table;

import com.google.inject.Module;
import io.mmfuse.api.plugin.ModalityPlugin;

/** Registers the table modality through the same SPI a third-party plugin uses. */
public final class TablePlugin implements ModalityPlugin {
  @Override
  public Module module() {
    return binder -> ModalityPlugin.tokenizerFactories(binder).addBinding().to(TableTokenizerFactory.class);
  }
}
