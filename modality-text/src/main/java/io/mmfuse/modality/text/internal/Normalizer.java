package io.mmfuse.modality.text.internal;

/** A text normalizer of a Hugging Face tokenizer pipeline. Implementations are immutable and thread-safe. */
public interface Normalizer {
  /** Returns the normalized text. */
  String normalize(String text);
}
