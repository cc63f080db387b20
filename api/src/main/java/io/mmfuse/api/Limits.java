package io.mmfuse.api;

import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The bounds every parser of untrusted input keeps, so that a hostile or broken file is refused with one line
 * instead of taking the JVM's memory. Each is a system property read when it is checked ({@code
 * -Dmmfuse.maxImageBytes=...}); the defaults are far above any real file of the kind.
 */
public final class Limits {
  private Limits() {}

  /** An image file's bytes (default 64 MiB; a 24-megapixel JPEG is about 10 MB). */
  public static final Limit IMAGE_BYTES = new Limit("mmfuse.maxImageBytes", 64L << 20, "bytes");

  /**
   * Pixels an image's header may declare (default 89,478,485, Pillow's decompression-bomb bound); an image spec's
   * {@code max_pixels} can only lower it.
   */
  public static final Limit IMAGE_PIXELS = new Limit("mmfuse.maxImagePixels", 89_478_485L, "pixels");

  /**
   * A configuration file's bytes: tokenizer.json, vocab.txt, config.json, a spec, a bundle's manifest (default 256
   * MiB; the largest Hugging Face tokenizer.json files are about 35 MB).
   */
  public static final Limit CONFIG_BYTES = new Limit("mmfuse.maxConfigBytes", 256L << 20, "bytes");

  /** How deep JSON arrays and objects may nest (default 64; Hugging Face files nest fewer than 10 levels). */
  public static final Limit JSON_DEPTH = new Limit("mmfuse.maxJsonDepth", 64, "levels");

  /** Tensors in one safetensors file (default 100,000; a 70-billion-parameter model has fewer than 1,000). */
  public static final Limit TENSORS = new Limit("mmfuse.maxTensors", 100_000, "tensors");

  /** Tokens in a vocabulary (default 2,000,000; the largest common ones have about 260,000). */
  public static final Limit VOCABULARY = new Limit("mmfuse.maxVocabulary", 2_000_000, "tokens");

  /** Rows in one data file (default 200,000,000; the row index takes 20 bytes of heap a row). */
  public static final Limit ROWS = new Limit("mmfuse.maxRows", 200_000_000, "rows");

  /** Bytes in one row of a data file (default 64 MiB; a longer CSV record is most often an unclosed quote). */
  public static final Limit ROW_BYTES = new Limit("mmfuse.maxRowBytes", 64L << 20, "bytes");

  /** Characters in one cell of a data file (default 1,000,000). */
  public static final Limit CELL_CHARS = new Limit("mmfuse.maxCellChars", 1_000_000, "characters");

  /** Characters in one label (default 1,000): labels become class names, written into the bundle's spec. */
  public static final Limit LABEL_CHARS = new Limit("mmfuse.maxLabelChars", 1_000, "characters");

  /** Every limit, for documentation and {@code --help}. */
  public static final List<Limit> ALL = List.of(IMAGE_BYTES, IMAGE_PIXELS, CONFIG_BYTES, JSON_DEPTH, TENSORS, VOCABULARY, ROWS,
      ROW_BYTES, CELL_CHARS, LABEL_CHARS);

  /**
   * One bound.
   *
   * @param property the system property that sets it
   * @param defaultValue its value when the property is not set
   * @param unit what it counts, for messages
   */
  public record Limit(String property, long defaultValue, String unit) {
    /** The bound now: the system property when it is set to a positive number, else the default. */
    public long value() {
      String s = System.getProperty(property);
      if (s == null || s.isBlank()) {
        return defaultValue;
      }
      try {
        long v = Long.parseLong(s.strip().replace("_", ""));
        if (v > 0) {
          return v;
        }
      } catch (NumberFormatException ignored) {
        // Refused below, in words.
      }
      throw new InvalidConfigurationException("-D" + property + "=" + s + ": expected a whole number > 0 of "
          + unit);
    }

    /** Whether {@code found} is over the bound. */
    public boolean exceeded(long found) {
      return found > value();
    }

    /** The end of a refusal: "80,000,000 bytes; the limit is 67,108,864 (-Dmmfuse.maxImageBytes)". */
    public String refusal(long found) {
      return String.format(Locale.ROOT, "%,d %s; the limit is %,d (-D%s)", found, unit, value(), property);
    }

    /** The value as an int, for array sizes (bounds over {@link Integer#MAX_VALUE} read as that). */
    public int intValue() {
      return (int) Math.min(Integer.MAX_VALUE - 8, value());
    }
  }

  /**
   * Reads a whole file that {@code limit} bounds, refusing a larger one before reading it (and one that grows past
   * the bound while it is read) with {@code refuse} of the end of the message, e.g. "has 80,000,000 bytes; the limit
   * is ...".
   */
  public static byte[] read(Path file, Limit limit, Function<String, ? extends MmfuseException> refuse)
      throws IOException {
    long size = Files.size(file);
    if (limit.exceeded(size)) {
      throw refuse.apply("has " + limit.refusal(size));
    }
    try (InputStream in = Files.newInputStream(file)) {
      return read(in, limit, refuse);
    }
  }

  /**
   * Reads a configuration file ({@link #CONFIG_BYTES} bounds it) as strict UTF-8; {@code refuse} gets "has ...
   * bytes; the limit is ..." or "is not valid UTF-8 (byte N)".
   */
  public static String readText(Path file, Function<String, ? extends MmfuseException> refuse) throws IOException {
    byte[] bytes = read(file, CONFIG_BYTES, refuse);
    java.nio.charset.CharsetDecoder utf8 = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
        .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
    java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes);
    try {
      return utf8.decode(in).toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw refuse.apply("is not valid UTF-8 (at byte " + in.position() + ")");
    }
  }

  /** Reads a stream to its end, refusing it once it passes {@code limit}. */
  public static byte[] read(InputStream in, Limit limit, Function<String, ? extends MmfuseException> refuse)
      throws IOException {
    long bound = limit.value();
    byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, bound + 1));
    if (bytes.length > bound) {
      throw refuse.apply("has more than " + limit.refusal(bound));
    }
    return bytes;
  }

  /**
   * Parses one JSON document, refusing one nested deeper than {@link #JSON_DEPTH} with a {@link JsonParseException}
   * that says so, and one with anything after it.
   */
  public static JsonElement parseJson(String text) {
    JsonReader reader = new JsonReader(new StringReader(text));
    int depth = JSON_DEPTH.intValue();
    reader.setNestingLimit(depth);
    try {
      JsonElement e = JsonParser.parseReader(reader);
      if (!e.isJsonNull() && reader.peek() != JsonToken.END_DOCUMENT) {
        throw new JsonParseException("more follows the JSON document, at " + reader.getPath());
      }
      return e;
    } catch (IOException | JsonParseException e) {
      String m = e.getMessage() == null ? e.toString() : e.getMessage();
      if (m.contains("Nesting limit")) {
        throw new JsonParseException("arrays and objects nest deeper than " + depth + " levels at "
            + reader.getPath() + "; the limit is " + depth + " (-D" + JSON_DEPTH.property() + ")", e);
      }
      throw e instanceof JsonParseException p ? p : new JsonParseException(m, e);
    } catch (StackOverflowError e) {
      throw new JsonParseException("arrays and objects nest too deep for the stack; lower -D"
          + JSON_DEPTH.property(), e);
    }
  }
}
