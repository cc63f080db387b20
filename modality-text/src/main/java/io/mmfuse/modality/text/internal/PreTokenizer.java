package io.mmfuse.modality.text.internal;

/** A pre-tokenizer of a Hugging Face tokenizer pipeline: splits text into the pieces the model sees. */
public interface PreTokenizer {
  /** Receives pieces as they are found, without collecting them. */
  @FunctionalInterface
  interface Sink {
    void piece(String source, int start, int end);
  }

  /** Passes the pieces of {@code text[start, end)} to {@code out}, in order. */
  void split(String text, int start, int end, Sink out);

  /** Whether the model must see the pieces as byte-level characters (GPT-2's ByteLevel). */
  default boolean byteLevel() {
    return false;
  }
}
