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

  /**
   * Builds a tokenizer fitted on training inputs (one per example; null for a missing one), writing any fitted state
   * into {@code stateDirectory} and returning the input's spec as it must be saved with the model (naming that
   * state). Tokenizers without fitted state ignore the inputs: the default creates the tokenizer as it is.
   */
  default Fitted fit(TokenizerContext context, java.util.List<?> trainingInputs, java.nio.file.Path stateDirectory) {
    return new Fitted(create(context), context.spec());
  }

  /**
   * A fitted tokenizer and the spec to save with the model.
   *
   * @param tokenizer the tokenizer, ready to use
   * @param spec the input's spec, naming any state file written into the state directory
   */
  record Fitted(ModalityTokenizer<?> tokenizer, io.mmfuse.api.proto.InputSpec spec) {}
}
