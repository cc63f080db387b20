package io.mmfuse.modality.text;

import io.mmfuse.api.InvalidConfigurationException;

/**
 * How encodings longer than a maximum are cut, as Hugging Face's truncation parameters: the maximum counts the
 * special tokens; for pairs, {@code LONGEST_FIRST} shortens the longer text first.
 *
 * @param maxLength the most ids an encoding may have, special tokens included
 * @param strategy which text of a pair loses tokens
 * @param fromLeft whether tokens are removed from the start instead of the end
 */
public record Truncation(int maxLength, Strategy strategy, boolean fromLeft) {
  /** Which text of a pair loses tokens. */
  public enum Strategy {
    LONGEST_FIRST,
    ONLY_FIRST,
    ONLY_SECOND
  }

  public Truncation {
    if (maxLength <= 0) {
      throw new InvalidConfigurationException("truncation: max length must be > 0, found " + maxLength);
    }
  }

  /** Longest-first truncation from the right, Hugging Face's default. */
  public static Truncation longestFirst(int maxLength) {
    return new Truncation(maxLength, Strategy.LONGEST_FIRST, false);
  }
}
