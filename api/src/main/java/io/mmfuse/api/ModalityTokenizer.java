package io.mmfuse.api;

import io.mmfuse.api.proto.InputValue;

/**
 * Turns one input of a modality (a string, an image, a table row, ...) into one token sequence. Implementations are
 * immutable once built and safe to share between threads.
 *
 * @param <I> the type of input this tokenizer takes
 */
public interface ModalityTokenizer<I> {

  /** Returns the modality name, as registered by the plugin. */
  String modality();

  /** Returns the Java type of one input. */
  Class<I> inputType();

  /** Returns what the fusion layer needs to know to embed this tokenizer's sequences. */
  TokenSpace tokenSpace();

  /** Tokenizes one input. */
  TokenSequence tokenize(I input);

  /**
   * Tokenizes one input given as a value of an example record. The default accepts already tokenized sequences;
   * plugins add the value kinds they understand.
   */
  default TokenSequence tokenize(InputValue value) {
    if (value.hasTokens()) {
      return TokenSequence.fromProto(value.getTokens());
    }
    throw new InvalidInputException(
        "modality '" + modality() + "' cannot tokenize an example value of kind " + value.getValueCase());
  }

  /** Tokenizes an input given as an {@code Object}, checking its type. */
  default TokenSequence tokenizeObject(Object input) {
    if (input instanceof InputValue v) {
      return tokenize(v);
    }
    if (!inputType().isInstance(input)) {
      throw new InvalidInputException(
          "modality '" + modality() + "' expects an input of type " + inputType().getName() + ", found "
              + (input == null ? "null" : input.getClass().getName()));
    }
    return tokenize(inputType().cast(input));
  }

  /**
   * Whether {@link #tokenizeForTraining} changes its input at random (data augmentation). A trainer tokenizes the
   * training examples of such an input anew every epoch; the others once.
   */
  default boolean augments() {
    return false;
  }

  /**
   * Tokenizes a training example, changed at random where this tokenizer augments (a crop, a rotation, colour
   * jitter); the same draws of {@code random} give the same sequence. Evaluation and prediction never call it. The
   * default is {@link #tokenizeObject}.
   */
  default TokenSequence tokenizeForTraining(Object input, java.util.Random random) {
    return tokenizeObject(input);
  }
}
