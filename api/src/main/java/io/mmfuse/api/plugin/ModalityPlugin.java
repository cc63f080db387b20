package io.mmfuse.api.plugin;

import com.google.inject.Binder;
import com.google.inject.Module;
import com.google.inject.multibindings.Multibinder;
import io.mmfuse.api.TokenizerFactory;

/**
 * A modality plugin, found with {@link java.util.ServiceLoader}: list the implementing class in
 * {@code META-INF/services/io.mmfuse.api.plugin.ModalityPlugin} of the plugin's jar. Its Guice module adds the
 * plugin's tokenizer factories to the shared set:
 *
 * <pre>{@code
 * public Module module() {
 *   return binder -> ModalityPlugin.tokenizerFactories(binder).addBinding().to(SeriesTokenizerFactory.class);
 * }
 * }</pre>
 */
public interface ModalityPlugin {

  /** Returns the Guice module that binds this plugin's factories (and anything they need). */
  Module module();

  /**
   * The protobuf messages this plugin's specs carry (its {@link io.mmfuse.api.Settings}), so that a spec's text
   * format can spell them out: {@code List.of(MySettings.getDescriptor())}. None by default.
   */
  default java.util.List<com.google.protobuf.Descriptors.Descriptor> messageTypes() {
    return java.util.List.of();
  }

  /** Returns the set every plugin adds its tokenizer factories to. */
  static Multibinder<TokenizerFactory> tokenizerFactories(Binder binder) {
    return Multibinder.newSetBinder(binder, TokenizerFactory.class);
  }
}
