package io.mmfuse.modality.text.internal;

/** A pre-tokenizer of a Hugging Face tokenizer pipeline: splits text into the pieces the model sees. */
public interface PreTokenizer {
  /** Adds the pieces of {@code text[start, end)} to {@code out}. */
  void split(String text, int start, int end, Pieces out);

  /** Whether the model must see the pieces as byte-level characters (GPT-2's ByteLevel). */
  default boolean byteLevel() {
    return false;
  }
}
