package io.mmfuse.api;

/**
 * Builds the tokenizer of one modality from an input's spec. A plugin binds its factories with {@link
 * io.mmfuse.api.plugin.ModalityPlugin#tokenizerFactories(com.google.inject.Binder)}; exactly one factory may claim a
 * modality name.
 */
public interface TokenizerFactory {

  /** Returns the modality name this factory claims ("text", "image", ...). */
  String modality();

  /** Returns the class of the tokenizers this factory builds. */
  Class<?> tokenizerType();

  /** Builds a tokenizer for one input. */
  ModalityTokenizer<?> create(TokenizerContext context);
}
