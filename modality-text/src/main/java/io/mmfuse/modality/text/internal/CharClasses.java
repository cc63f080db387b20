package io.mmfuse.modality.text.internal;

/**
 * Character classes exactly as Hugging Face tokenizers sees them. Its Rust code classifies characters with the
 * {@code unicode_categories} tables, which are older than the JDK's: a few dozen characters that Java calls
 * punctuation or format characters are plain letters there, and a few the other way round. The exceptions below were
 * measured by running every code point through the reference tokenizer; everything else follows
 * {@link Character#getType(int)}.
 */
public final class CharClasses {
  private CharClasses() {}

  /** BERT clean-up removes it (control, format or private-use; not tab, newline or carriage return). */
  public static final int CONTROL = 1;
  /** Unicode White_Space (Rust's {@code char::is_whitespace}). */
  public static final int WHITESPACE = 2;
  /** BERT punctuation: ASCII punctuation or a Unicode punctuation category. */
  public static final int PUNCTUATION = 4;
  /** A CJK ideograph that BERT surrounds with spaces. */
  public static final int CJK = 8;
  /** A non-spacing mark (stripped with accents). */
  public static final int NONSPACING_MARK = 16;
  /** A letter (\p{L}). */
  public static final int LETTER = 32;
  /** A number (\p{N}). */
  public static final int NUMBER = 64;
  /** Any mark (Mn, Mc, Me). */
  public static final int MARK = 128;
  /** A word character of the Rust regex crate's \w (alphabetic, marks, digits, connector punctuation). */
  public static final int WORD = 256;

  private static final short[] BMP = new short[0x10000];

  // Punctuation in the JDK's tables that the reference tokenizer does not split on.
  private static final int[][] NOT_PUNCTUATION = {
    {0x9fd, 0x9fd}, {0xa76, 0xa76}, {0xc77, 0xc77}, {0xc84, 0xc84}, {0x2e43, 0x2e4f}, {0x2e52, 0x2e52},
    {0x10ead, 0x10ead}, {0x10f55, 0x10f59}, {0x1144b, 0x1144f}, {0x1145a, 0x1145b}, {0x1145d, 0x1145d},
    {0x11660, 0x1166c}, {0x1183b, 0x1183b}, {0x11944, 0x11946}, {0x119e2, 0x119e2}, {0x11a3f, 0x11a46},
    {0x11a9a, 0x11a9c}, {0x11a9e, 0x11aa2}, {0x11c41, 0x11c45}, {0x11c70, 0x11c71}, {0x11ef7, 0x11ef8},
    {0x11fff, 0x11fff}, {0x16e97, 0x16e9a}, {0x16fe2, 0x16fe2}, {0x1e95e, 0x1e95f}
  };
  // Characters the reference tokenizer still splits on as punctuation (older Unicode categories).
  private static final int[] EXTRA_PUNCTUATION = {0x166d, 0x111c9};
  // Format characters in the JDK's tables that the reference tokenizer keeps.
  private static final int[][] NOT_CONTROL = {{0x8e2, 0x8e2}, {0x110cd, 0x110cd}, {0x13430, 0x13438}};

  // Non-spacing marks in the JDK's tables that the reference tokenizer's accent stripping keeps.
  private static final int[][] NOT_NONSPACING_MARK = {
    {0x7fd, 0x7fd}, {0x8d3, 0x8e1}, {0x9fe, 0x9fe}, {0xafa, 0xaff}, {0xb55, 0xb55}, {0xc04, 0xc04}, {0xd00, 0xd00},
    {0xd3b, 0xd3c}, {0xd81, 0xd81}, {0xeba, 0xeba}, {0x1885, 0x1886}, {0x1abf, 0x1ac0}, {0x1df6, 0x1df9},
    {0x1dfb, 0x1dfb}, {0xa82c, 0xa82c}, {0xa8c5, 0xa8c5}, {0xa8ff, 0xa8ff}, {0xa9bd, 0xa9bd}, {0x10d24, 0x10d27},
    {0x10eab, 0x10eac}, {0x10f46, 0x10f50}, {0x111c9, 0x111c9}, {0x111cf, 0x111cf}, {0x1123e, 0x1123e},
    {0x1133b, 0x1133b}, {0x11438, 0x1143f}, {0x11442, 0x11444}, {0x11446, 0x11446}, {0x1145e, 0x1145e},
    {0x1182f, 0x11837}, {0x11839, 0x1183a}, {0x1193b, 0x1193c}, {0x1193e, 0x1193e}, {0x11943, 0x11943},
    {0x119d4, 0x119d7}, {0x119da, 0x119db}, {0x119e0, 0x119e0}, {0x11a01, 0x11a0a}, {0x11a33, 0x11a38},
    {0x11a3b, 0x11a3e}, {0x11a47, 0x11a47}, {0x11a51, 0x11a56}, {0x11a59, 0x11a5b}, {0x11a8a, 0x11a96},
    {0x11a98, 0x11a99}, {0x11c30, 0x11c36}, {0x11c38, 0x11c3d}, {0x11c3f, 0x11c3f}, {0x11c92, 0x11ca7},
    {0x11caa, 0x11cb0}, {0x11cb2, 0x11cb3}, {0x11cb5, 0x11cb6}, {0x11d31, 0x11d36}, {0x11d3a, 0x11d3a},
    {0x11d3c, 0x11d3d}, {0x11d3f, 0x11d45}, {0x11d47, 0x11d47}, {0x11d90, 0x11d91}, {0x11d95, 0x11d95},
    {0x11d97, 0x11d97}, {0x11ef3, 0x11ef4}, {0x16f4f, 0x16f4f}, {0x16fe4, 0x16fe4}, {0x1e000, 0x1e006},
    {0x1e008, 0x1e018}, {0x1e01b, 0x1e021}, {0x1e023, 0x1e024}, {0x1e026, 0x1e02a}, {0x1e130, 0x1e136},
    {0x1e2ec, 0x1e2ef}, {0x1e944, 0x1e94a}
  };

  static {
    for (int c = 0; c < 0x10000; c++) {
      BMP[c] = (short) compute(c);
    }
  }

  /** Returns the class bits of a code point. */
  public static int of(int cp) {
    return cp < 0x10000 ? BMP[cp] : compute(cp);
  }

  public static boolean isWhitespace(int cp) {
    return (of(cp) & WHITESPACE) != 0;
  }

  private static boolean in(int[][] ranges, int cp) {
    for (int[] r : ranges) {
      if (cp >= r[0] && cp <= r[1]) {
        return true;
      }
    }
    return false;
  }

  private static int compute(int c) {
    int type = Character.getType(c);
    int bits = 0;
    if (c != '\t' && c != '\n' && c != '\r'
        && (type == Character.CONTROL || type == Character.FORMAT || type == Character.PRIVATE_USE)
        && !in(NOT_CONTROL, c)) {
      bits |= CONTROL;
    }
    if (isUnicodeWhiteSpace(c)) {
      bits |= WHITESPACE;
    }
    boolean punct;
    if (c < 128) {
      punct = (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
    } else {
      punct =
          switch (type) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION,
                Character.FINAL_QUOTE_PUNCTUATION, Character.OTHER_PUNCTUATION -> !in(NOT_PUNCTUATION, c);
            default -> false;
          };
      for (int e : EXTRA_PUNCTUATION) {
        punct |= c == e;
      }
    }
    if (punct) {
      bits |= PUNCTUATION;
    }
    if (isCjk(c)) {
      bits |= CJK;
    }
    if (type == Character.NON_SPACING_MARK && !in(NOT_NONSPACING_MARK, c)) {
      bits |= NONSPACING_MARK;
    }
    if (type == Character.NON_SPACING_MARK || type == Character.COMBINING_SPACING_MARK
        || type == Character.ENCLOSING_MARK) {
      bits |= MARK;
    }
    if (Character.isLetter(c)) {
      bits |= LETTER;
    }
    if (type == Character.DECIMAL_DIGIT_NUMBER || type == Character.LETTER_NUMBER
        || type == Character.OTHER_NUMBER) {
      bits |= NUMBER;
    }
    if (Character.isAlphabetic(c) || (bits & MARK) != 0 || type == Character.DECIMAL_DIGIT_NUMBER
        || type == Character.CONNECTOR_PUNCTUATION || c == 0x200c || c == 0x200d) {
      bits |= WORD;
    }
    return bits;
  }

  /** The Unicode White_Space property, which Rust's {@code char::is_whitespace} follows. */
  private static boolean isUnicodeWhiteSpace(int c) {
    return (c >= 0x9 && c <= 0xd) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680
        || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f
        || c == 0x3000;
  }

  /** The CJK blocks of the original BERT code, including its range 0x2B920..0x2CEAF. */
  private static boolean isCjk(int c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF)
        || (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF)
        || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
  }
}
