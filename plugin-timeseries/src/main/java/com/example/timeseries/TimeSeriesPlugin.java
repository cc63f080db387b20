package com.example.timeseries;

import com.google.inject.Module;
import io.mmfuse.api.plugin.ModalityPlugin;

/** Step 3 of writing a plugin: a Guice module that adds the factory to mmfuse's set of tokenizer factories. */
public final class TimeSeriesPlugin implements ModalityPlugin {
  @Override
  public Module module() {
    return binder -> ModalityPlugin.tokenizerFactories(binder).addBinding().to(TimeSeriesTokenizerFactory.class);
  }
}
