package io.mmfuse.modality.text;

import java.util.Arrays;

/**
 * The ids of one encoded text (or pair of texts) and their type ids (segment 0 for the first text, 1 for the
 * second), as Hugging Face tokenizers returns them.
 *
 * @param ids token ids
 * @param typeIds one type id per token
 */
public record Encoding(int[] ids, int[] typeIds) {
  public Encoding {
    if (ids.length != typeIds.length) {
      throw new IllegalArgumentException(ids.length + " ids but " + typeIds.length + " type ids");
    }
  }

  /** Returns the number of tokens. */
  public int length() {
    return ids.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Encoding e && Arrays.equals(ids, e.ids) && Arrays.equals(typeIds, e.typeIds);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(ids) + Arrays.hashCode(typeIds);
  }

  @Override
  public String toString() {
    return "Encoding" + Arrays.toString(ids);
  }
}
