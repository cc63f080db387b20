package io.mmfuse.modality.table;

import com.google.inject.Module;
import io.mmfuse.api.plugin.ModalityPlugin;

/** Registers the table modality through the same SPI a third-party plugin uses. */
public final class TablePlugin implements ModalityPlugin {
  @Override
  public Module module() {
    return binder -> ModalityPlugin.tokenizerFactories(binder).addBinding().to(TableTokenizerFactory.class);
  }

  /** The settings message of this modality's inputs, readable in specs. */
  @Override
  public java.util.List<com.google.protobuf.Descriptors.Descriptor> messageTypes() {
    return java.util.List.of(io.mmfuse.modality.table.proto.TableSettings.getDescriptor(), io.mmfuse.modality.table.proto.TableState.getDescriptor());
  }
}
