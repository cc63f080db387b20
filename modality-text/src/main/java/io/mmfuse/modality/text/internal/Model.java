package io.mmfuse.modality.text.internal;

import java.util.Map;

/** The model of a Hugging Face tokenizer: turns one pre-tokenized piece into ids. Immutable and thread-safe. */
public interface Model {
  /** Appends the ids of {@code text[start, end)}; {@code byteLevel} when the piece must be read as UTF-8 bytes. */
  void encode(String text, int start, int end, boolean byteLevel, IntList out);

  /** Returns the vocabulary, token to id. */
  Map<String, Integer> vocabulary();

  /** Returns the number of ids (one more than the largest id). */
  int vocabularySize();
}
