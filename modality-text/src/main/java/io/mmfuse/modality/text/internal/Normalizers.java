package io.mmfuse.modality.text.internal;

import java.text.Normalizer.Form;
import java.util.List;

/** The normalizers of the Hugging Face tokenizers format that mmfuse implements. */
public final class Normalizers {
  private Normalizers() {}

  /** Per-code-point canonical decompositions of the BMP, computed once on first use. */
  private static final class Decompositions {
    static final char[][] BMP = new char[0x10000][];

    static {
      char[] one = new char[1];
      for (int c = 0x80; c < 0x10000; c++) {
        if (Character.isSurrogate((char) c)) {
          continue;
        }
        one[0] = (char) c;
        String s = new String(one);
        if (!java.text.Normalizer.isNormalized(s, Form.NFD)) {
          BMP[c] = java.text.Normalizer.normalize(s, Form.NFD).toCharArray();
        }
      }
    }
  }

  /** Appends the canonical decomposition of {@code cp}, leaving out the marks that {@code drop} selects. */
  static void appendDecomposed(StringBuilder out, int cp, int dropClass) {
    if (cp < 0x10000) {
      char[] d = Decompositions.BMP[cp];
      if (d == null) {
        if ((CharClasses.of(cp) & dropClass) == 0) {
          out.append((char) cp);
        }
        return;
      }
      for (char c : d) {
        if ((CharClasses.of(c) & dropClass) == 0) {
          out.append(c);
        }
      }
      return;
    }
    String d = java.text.Normalizer.normalize(new String(Character.toChars(cp)), Form.NFD);
    d.codePoints().filter(c -> (CharClasses.of(c) & dropClass) == 0).forEach(out::appendCodePoint);
  }

  /** Appends the lower case of {@code cp} as Rust's {@code char::to_lowercase} maps it. */
  static void appendLowerCase(StringBuilder out, int cp) {
    if (cp < 0x80) {
      out.append((char) (cp >= 'A' && cp <= 'Z' ? cp + 32 : cp));
    } else if (cp == 0x130) {
      // The one unconditional multi-character lower-case mapping: I with dot above.
      out.append('i').append('\u0307');
    } else {
      out.appendCodePoint(Character.toLowerCase(cp));
    }
  }

  /** Hugging Face's {@code BertNormalizer}. */
  public record Bert(boolean cleanText, boolean handleChineseChars, boolean stripAccents, boolean lowercase)
      implements Normalizer {
    @Override
    public String normalize(String text) {
      int n = text.length();
      StringBuilder out = new StringBuilder(n + 16);
      for (int i = 0; i < n; ) {
        int cp = text.codePointAt(i);
        i += Character.charCount(cp);
        if (cp < 0x80) {
          // ASCII fast path: controls other than \t \n \r, whitespace, lower case.
          if (cleanText) {
            if (cp == 0 || (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0x7f) {
              continue;
            }
            if (cp == '\t' || cp == '\n' || cp == '\r') {
              cp = ' ';
            }
          }
          if (lowercase && cp >= 'A' && cp <= 'Z') {
            cp += 32;
          }
          out.append((char) cp);
          continue;
        }
        int cls = CharClasses.of(cp);
        if (cleanText) {
          if (cp == 0xfffd || (cls & CharClasses.CONTROL) != 0) {
            continue;
          }
          if ((cls & CharClasses.WHITESPACE) != 0) {
            out.append(' ');
            continue;
          }
        }
        if (handleChineseChars && (cls & CharClasses.CJK) != 0) {
          out.append(' ');
          appendTail(out, cp);
          out.append(' ');
          continue;
        }
        appendTail(out, cp);
      }
      return out.toString();
    }

    private void appendTail(StringBuilder out, int cp) {
      if (stripAccents) {
        if (!lowercase) {
          appendDecomposed(out, cp, CharClasses.NONSPACING_MARK);
          return;
        }
        int start = out.length();
        appendDecomposed(out, cp, CharClasses.NONSPACING_MARK);
        if (out.length() == start + 1 && out.charAt(start) < 0x80) {
          char c = out.charAt(start);
          out.setCharAt(start, c >= 'A' && c <= 'Z' ? (char) (c + 32) : c);
          return;
        }
        String decomposed = out.substring(start);
        out.setLength(start);
        decomposed.codePoints().forEach(c -> appendLowerCase(out, c));
      } else if (lowercase) {
        appendLowerCase(out, cp);
      } else {
        out.appendCodePoint(cp);
      }
    }
  }

  /** Hugging Face's {@code Lowercase}. */
  public record Lowercase() implements Normalizer {
    @Override
    public String normalize(String text) {
      StringBuilder out = new StringBuilder(text.length());
      text.codePoints().forEach(c -> appendLowerCase(out, c));
      return out.toString();
    }
  }

  /** Hugging Face's {@code StripAccents}: drops combining marks (it does not decompose by itself). */
  public record StripAccents() implements Normalizer {
    @Override
    public String normalize(String text) {
      StringBuilder out = new StringBuilder(text.length());
      text.codePoints().filter(c -> (CharClasses.of(c) & CharClasses.MARK) == 0).forEach(out::appendCodePoint);
      return out.toString();
    }
  }

  /** Hugging Face's {@code NFC}, {@code NFD}, {@code NFKC} and {@code NFKD}. */
  public record Unicode(Form form) implements Normalizer {
    @Override
    public String normalize(String text) {
      return java.text.Normalizer.normalize(text, form);
    }
  }

  /** Hugging Face's {@code Sequence}: each normalizer in turn. */
  public record Sequence(List<Normalizer> normalizers) implements Normalizer {
    @Override
    public String normalize(String text) {
      for (Normalizer n : normalizers) {
        text = n.normalize(text);
      }
      return text;
    }
  }
}
