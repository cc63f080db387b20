package io.mmfuse.modality.text.internal;

import java.util.List;

/** The pre-tokenizers of the Hugging Face tokenizers format that mmfuse implements. */
public final class PreTokenizers {
  private PreTokenizers() {}

  /** Hugging Face's {@code BertPreTokenizer}: splits on whitespace (dropped) and on each punctuation character. */
  public record Bert() implements PreTokenizer {
    @Override
    public void split(String text, int start, int end, PreTokenizer.Sink out) {
      int word = -1;
      for (int i = start; i < end; ) {
        char ch = text.charAt(i);
        int cp;
        int cls;
        if (ch < 0x80) {
          cp = ch;
          cls = ASCII[ch];
        } else {
          cp = text.codePointAt(i);
          cls = CharClasses.of(cp);
        }
        int next = i + (cp >= 0x10000 ? 2 : 1);
        if ((cls & CharClasses.WHITESPACE) != 0) {
          if (word >= 0) {
            out.piece(text, word, i);
            word = -1;
          }
        } else if ((cls & CharClasses.PUNCTUATION) != 0) {
          if (word >= 0) {
            out.piece(text, word, i);
            word = -1;
          }
          out.piece(text, i, next);
        } else if (word < 0) {
          word = i;
        }
        i = next;
      }
      if (word >= 0) {
        out.piece(text, word, end);
      }
    }
  }

  private static final int[] ASCII = new int[128];

  static {
    for (int c = 0; c < 128; c++) {
      ASCII[c] = CharClasses.of(c);
    }
  }

  /** Hugging Face's {@code WhitespaceSplit}: splits on whitespace, which is dropped. */
  public record WhitespaceSplit() implements PreTokenizer {
    @Override
    public void split(String text, int start, int end, PreTokenizer.Sink out) {
      int word = -1;
      for (int i = start; i < end; ) {
        int cp = text.codePointAt(i);
        int next = i + Character.charCount(cp);
        if (CharClasses.isWhitespace(cp)) {
          if (word >= 0) {
            out.piece(text, word, i);
            word = -1;
          }
        } else if (word < 0) {
          word = i;
        }
        i = next;
      }
      if (word >= 0) {
        out.piece(text, word, end);
      }
    }
  }

  /** Hugging Face's {@code Whitespace}: the matches of {@code \w+|[^\w\s]+}; whitespace is dropped. */
  public record Whitespace() implements PreTokenizer {
    @Override
    public void split(String text, int start, int end, PreTokenizer.Sink out) {
      int runStart = -1;
      int runKind = 0; // 1: word characters, 2: other non-space characters
      for (int i = start; i < end; ) {
        int cp = text.codePointAt(i);
        int next = i + Character.charCount(cp);
        int cls = CharClasses.of(cp);
        int kind = (cls & CharClasses.WORD) != 0 ? 1 : (cls & CharClasses.WHITESPACE) != 0 ? 0 : 2;
        if (kind != runKind) {
          if (runKind != 0) {
            out.piece(text, runStart, i);
          }
          runStart = i;
          runKind = kind;
        }
        i = next;
      }
      if (runKind != 0) {
        out.piece(text, runStart, end);
      }
    }
  }

  /**
   * Hugging Face's {@code ByteLevel} (GPT-2): optionally a space in front, then the GPT-2 split pattern
   * {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}, matched by hand in one pass.
   */
  public record ByteLevel(boolean addPrefixSpace, boolean useRegex) implements PreTokenizer {
    @Override
    public boolean byteLevel() {
      return true;
    }

    @Override
    public void split(String text, int start, int end, PreTokenizer.Sink out) {
      if (addPrefixSpace && (start == end || text.charAt(start) != ' ')) {
        text = " " + text.substring(start, end);
        end = text.length();
        start = 0;
      }
      if (!useRegex) {
        if (end > start) {
          out.piece(text, start, end);
        }
        return;
      }
      int i = start;
      while (i < end) {
        int j = matchAt(text, i, end);
        out.piece(text, i, j);
        i = j;
      }
    }

    private static int cls(String s, int i) {
      char c = s.charAt(i);
      return c < 0x80 ? ASCII_BYTE_LEVEL[c] : byteLevelClass(s.codePointAt(i));
    }

    private static int next(String s, int i) {
      return i + (Character.isHighSurrogate(s.charAt(i)) && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1)) ? 2 : 1);
    }

    /** Returns the end of the pattern's match at {@code i}; every position starts a match. */
    static int matchAt(String s, int i, int end) {
      char c = s.charAt(i);
      if (c == '\'' && i + 1 < end) {
        char a = s.charAt(i + 1);
        if (a == 's' || a == 't' || a == 'm' || a == 'd') {
          return i + 2;
        }
        if (i + 2 < end) {
          char b = s.charAt(i + 2);
          if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) {
            return i + 3;
          }
        }
      }
      int j = c == ' ' && i + 1 < end ? i + 1 : i;
      int first = cls(s, j);
      if (j > i || first != SPACE) {
        // " ?\p{L}+", " ?\p{N}+" or " ?[^\s\p{L}\p{N}]+": a run of one class after an optional space.
        if (first != SPACE) {
          int k = next(s, j);
          while (k < end && cls(s, k) == first) {
            k = next(s, k);
          }
          return k;
        }
      }
      // Whitespace: "\s+(?!\S)" leaves the last space for the next word; "\s+" takes the rest.
      int k = i;
      int last = i;
      while (k < end && cls(s, k) == SPACE) {
        last = k;
        k = next(s, k);
      }
      if (k == end) {
        return k;
      }
      return last > i ? last : k;
    }
  }

  static final int SPACE = 0;
  static final int LETTER = 1;
  static final int NUMBER = 2;
  static final int OTHER = 3;
  private static final int[] ASCII_BYTE_LEVEL = new int[128];

  static {
    for (int c = 0; c < 128; c++) {
      ASCII_BYTE_LEVEL[c] = byteLevelClass(c);
    }
  }

  static int byteLevelClass(int cp) {
    int cls = CharClasses.of(cp);
    if ((cls & CharClasses.WHITESPACE) != 0) {
      return SPACE;
    }
    if ((cls & CharClasses.LETTER) != 0) {
      return LETTER;
    }
    if ((cls & CharClasses.NUMBER) != 0) {
      return NUMBER;
    }
    return OTHER;
  }

  /** Hugging Face's {@code Sequence}: each pre-tokenizer splits every piece of the one before. */
  public record Sequence(List<PreTokenizer> preTokenizers) implements PreTokenizer {
    @Override
    public boolean byteLevel() {
      return preTokenizers.stream().anyMatch(PreTokenizer::byteLevel);
    }

    @Override
    public void split(String text, int start, int end, PreTokenizer.Sink out) {
      Pieces current = new Pieces();
      current.add(text, start, end);
      for (int k = 0; k < preTokenizers.size(); k++) {
        PreTokenizer p = preTokenizers.get(k);
        if (k == preTokenizers.size() - 1) {
          for (int i = 0; i < current.size(); i++) {
            p.split(current.source(i), current.start(i), current.end(i), out);
          }
          return;
        }
        Pieces next = new Pieces();
        for (int i = 0; i < current.size(); i++) {
          p.split(current.source(i), current.start(i), current.end(i), next::add);
        }
        current = next;
      }
      for (int i = 0; i < current.size(); i++) {
        out.piece(current.source(i), current.start(i), current.end(i));
      }
    }
  }
}
