package com.example.timeseries;

import com.example.timeseries.proto.TimeSeriesSettings;
import com.google.inject.Module;
import com.google.protobuf.Descriptors.Descriptor;
import io.mmfuse.api.plugin.ModalityPlugin;
import java.util.List;

/**
 * Step 3 of writing a plugin: a Guice module that adds the factory to mmfuse's set of tokenizer factories, and the
 * plugin's own settings message, so that specs can spell it out.
 */
public final class TimeSeriesPlugin implements ModalityPlugin {
  @Override
  public Module module() {
    return binder -> ModalityPlugin.tokenizerFactories(binder).addBinding().to(TimeSeriesTokenizerFactory.class);
  }

  @Override
  public List<Descriptor> messageTypes() {
    return List.of(TimeSeriesSettings.getDescriptor());
  }
}
