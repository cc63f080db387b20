package io.mmfuse.modality.text.internal;

/**
 * GPT-2's byte-to-character table: every byte gets a printable character, the printable Latin-1 bytes themselves and
 * the others 256, 257, ... in byte order.
 */
public final class ByteLevelAlphabet {
  private ByteLevelAlphabet() {}

  private static final char[] CHARS = new char[256];

  static {
    int n = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      CHARS[b] = printable ? (char) b : (char) (256 + n++);
    }
  }

  /** Returns the character that stands for byte {@code b} (0..255). */
  public static char of(int b) {
    return CHARS[b & 0xff];
  }

  /** Returns {@code text[start, end)} as UTF-8 bytes mapped to their characters. */
  public static String map(String text, int start, int end) {
    byte[] bytes = Utf8.encode(text, start, end);
    char[] out = new char[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      out[i] = CHARS[bytes[i] & 0xff];
    }
    return new String(out);
  }
}
