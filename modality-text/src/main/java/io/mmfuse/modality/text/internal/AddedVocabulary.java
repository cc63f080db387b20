package io.mmfuse.modality.text.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Added and special tokens: they are found in the text before the model runs (leftmost, longest first) and keep
 * their own ids. Tokens marked {@code normalized} are searched in the normalized text, the others in the raw text.
 */
public final class AddedVocabulary {

  /** One added token as the tokenizer file declares it. */
  public record Token(
      String content, int id, boolean singleWord, boolean lstrip, boolean rstrip, boolean normalized,
      boolean special) {}

  /** Receives the segments of a text: plain text ranges and matched tokens. */
  public interface Sink {
    void text(String source, int start, int end);

    void token(int id);
  }

  private final Matcher raw;
  private final Matcher normalized;
  private final List<Token> tokens;

  public AddedVocabulary(List<Token> tokens, Normalizer normalizer) {
    this.tokens = List.copyOf(tokens);
    List<Token> rawTokens = new ArrayList<>();
    List<Token> normTokens = new ArrayList<>();
    for (Token t : tokens) {
      if (t.content().isEmpty()) {
        continue;
      }
      if (t.normalized() && normalizer != null) {
        normTokens.add(
            new Token(normalizer.normalize(t.content()), t.id(), t.singleWord(), t.lstrip(), t.rstrip(), true,
                t.special()));
      } else if (t.normalized()) {
        normTokens.add(t);
      } else {
        rawTokens.add(t);
      }
    }
    raw = rawTokens.isEmpty() ? null : new Matcher(rawTokens);
    normalized = normTokens.isEmpty() ? null : new Matcher(normTokens);
  }

  public List<Token> tokens() {
    return tokens;
  }

  /** Splits raw text on the tokens that are matched before normalization. */
  public void splitRaw(String text, Sink sink) {
    split(raw, text, sink);
  }

  /** Splits normalized text on the tokens that are matched after normalization. */
  public void splitNormalized(String text, Sink sink) {
    split(normalized, text, sink);
  }

  private static void split(Matcher m, String text, Sink sink) {
    if (m == null) {
      sink.text(text, 0, text.length());
    } else {
      m.split(text, sink);
    }
  }

  private static final class Matcher {
    private final Map<Character, List<Token>> byFirst = new HashMap<>();
    private final boolean[] asciiFirst = new boolean[128];

    Matcher(List<Token> tokens) {
      for (Token t : tokens) {
        char c = t.content().charAt(0);
        byFirst.computeIfAbsent(c, k -> new ArrayList<>()).add(t);
        if (c < 128) {
          asciiFirst[c] = true;
        }
      }
      byFirst.values().forEach(l -> l.sort(Comparator.comparingInt((Token t) -> -t.content().length())));
    }

    void split(String text, Sink sink) {
      int emitted = 0;
      int n = text.length();
      int i = 0;
      while (i < n) {
        char c = text.charAt(i);
        List<Token> candidates = c < 128 ? (asciiFirst[c] ? byFirst.get(c) : null) : byFirst.get(c);
        Token hit = null;
        if (candidates != null) {
          for (Token t : candidates) {
            if (text.startsWith(t.content(), i)) {
              hit = t;
              break;
            }
          }
        }
        if (hit == null) {
          i++;
          continue;
        }
        int start = i;
        int stop = i + hit.content().length();
        if (hit.singleWord()
            && ((start > 0 && isWordChar(text.codePointBefore(start)))
                || (stop < n && isWordChar(text.codePointAt(stop))))) {
          i = stop;
          continue;
        }
        if (hit.lstrip()) {
          while (start > emitted && CharClasses.isWhitespace(text.charAt(start - 1))) {
            start--;
          }
        }
        if (hit.rstrip()) {
          while (stop < n && CharClasses.isWhitespace(text.charAt(stop))) {
            stop++;
          }
        }
        if (start > emitted) {
          sink.text(text, emitted, start);
        }
        sink.token(hit.id());
        emitted = stop;
        i = stop;
      }
      if (emitted < n || n == 0) {
        sink.text(text, emitted, n);
      }
    }

    private static boolean isWordChar(int cp) {
      return Character.isLetterOrDigit(cp) || Character.isAlphabetic(cp);
    }
  }
}
