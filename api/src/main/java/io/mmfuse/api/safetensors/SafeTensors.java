package io.mmfuse.api.safetensors;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import io.mmfuse.api.CheckpointException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A safetensors file, read-only: an 8-byte little-endian header length, a JSON header giving each tensor's dtype,
 * shape and byte range, then the raw little-endian data. Files are memory-mapped; every range and shape is checked
 * when the file is opened, so a bad file fails at once, naming the tensor.
 */
public final class SafeTensors {
  private static final long MAX_HEADER = 100L << 20;

  private final String source;
  private final ByteBuffer data;
  private final Map<String, TensorInfo> tensors;
  private final Map<String, String> metadata;

  private SafeTensors(String source, ByteBuffer data, Map<String, TensorInfo> tensors, Map<String, String> metadata) {
    this.source = source;
    this.data = data;
    this.tensors = tensors;
    this.metadata = metadata;
  }

  /** Opens a file by memory-mapping it. */
  public static SafeTensors open(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer all = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
      return parse(all, file.toString());
    } catch (IOException e) {
      throw new CheckpointException("safetensors " + file + ": cannot be read: " + e, e);
    }
  }

  /** Reads safetensors bytes held in memory; {@code source} names them in errors. */
  public static SafeTensors parse(ByteBuffer bytes, String source) {
    ByteBuffer all = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    all.position(0);
    if (all.remaining() < 8) {
      throw bad(source, "the file has " + all.remaining() + " bytes; expected at least 8 (the header length)");
    }
    long headerLength = all.getLong(0);
    if (headerLength < 2 || headerLength > MAX_HEADER || headerLength > all.remaining() - 8) {
      throw bad(source, "header length " + headerLength + " does not fit a file of " + all.remaining() + " bytes");
    }
    byte[] header = new byte[(int) headerLength];
    all.position(8);
    all.get(header);
    JsonObject json;
    try {
      JsonElement e = io.mmfuse.api.Limits.parseJson(new String(header, StandardCharsets.UTF_8));
      if (!e.isJsonObject()) {
        throw bad(source, "the header is not a JSON object");
      }
      json = e.getAsJsonObject();
    } catch (JsonParseException e) {
      throw new CheckpointException("safetensors " + source + ": the header is not valid JSON: " + e.getMessage(), e);
    }
    if (io.mmfuse.api.Limits.TENSORS.exceeded(json.size())) {
      throw bad(source, "the header lists " + io.mmfuse.api.Limits.TENSORS.refusal(json.size()));
    }
    all.position(8 + (int) headerLength);
    ByteBuffer data = all.slice().order(ByteOrder.LITTLE_ENDIAN);
    Map<String, TensorInfo> tensors = new LinkedHashMap<>();
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> entry : json.entrySet()) {
      String name = entry.getKey();
      if (name.equals("__metadata__")) {
        if (entry.getValue().isJsonObject()) {
          for (Map.Entry<String, JsonElement> m : entry.getValue().getAsJsonObject().entrySet()) {
            metadata.put(m.getKey(), m.getValue().isJsonPrimitive() ? m.getValue().getAsString() : m.getValue().toString());
          }
        }
        continue;
      }
      tensors.put(name, info(source, name, entry.getValue(), data.capacity()));
    }
    checkOverlaps(source, tensors);
    return new SafeTensors(source, data, Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
  }

  private static TensorInfo info(String source, String name, JsonElement e, long dataSize) {
    try {
      JsonObject o = e.getAsJsonObject();
      String dtypeName = o.get("dtype").getAsString();
      DType dtype;
      try {
        dtype = DType.valueOf(dtypeName);
      } catch (IllegalArgumentException x) {
        throw bad(source, "tensor " + name + ": dtype " + dtypeName + " is not supported");
      }
      var shapeJson = o.get("shape").getAsJsonArray();
      long[] shape = new long[shapeJson.size()];
      long elements = 1;
      for (int i = 0; i < shape.length; i++) {
        shape[i] = integer(source, name, "shape[" + i + "]", shapeJson.get(i));
        if (shape[i] < 0) {
          throw bad(source, "tensor " + name + ": negative dimension " + shape[i]);
        }
        try {
          elements = Math.multiplyExact(elements, shape[i]);
        } catch (ArithmeticException x) {
          throw bad(source, "tensor " + name + ": shape " + shapeJson + " has more elements than a long counts");
        }
      }
      var offsets = o.get("data_offsets").getAsJsonArray();
      if (offsets.size() != 2) {
        throw bad(source, "tensor " + name + ": data_offsets " + offsets + "; expected [begin, end]");
      }
      long begin = integer(source, name, "data_offsets[0]", offsets.get(0));
      long end = integer(source, name, "data_offsets[1]", offsets.get(1));
      if (begin < 0 || end < begin || end > dataSize) {
        throw bad(source, "tensor " + name + ": byte range [" + begin + ", " + end + ") lies outside the "
            + dataSize + " bytes of data");
      }
      if (elements > Long.MAX_VALUE / dtype.bytes() || end - begin != elements * dtype.bytes()) {
        throw bad(source, "tensor " + name + ": " + dtype + java.util.Arrays.toString(shape) + " needs "
            + elements * dtype.bytes() + " bytes, found " + (end - begin));
      }
      return new TensorInfo(name, dtype, shape, begin, end);
    } catch (IllegalStateException | NullPointerException | UnsupportedOperationException
        | IndexOutOfBoundsException | NumberFormatException x) {
      throw new CheckpointException(
          "safetensors " + source + ": tensor " + name + ": expected {dtype, shape, data_offsets}, found " + e, x);
    }
  }

  /** A whole number written as a JSON number (not a string, not a fraction), or a refusal naming the field. */
  private static long integer(String source, String tensor, String field, JsonElement v) {
    if (v == null || !v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
      throw bad(source, "tensor " + tensor + ": " + field + " is " + v + "; expected a whole number");
    }
    try {
      return v.getAsJsonPrimitive().getAsBigDecimal().longValueExact();
    } catch (ArithmeticException | NumberFormatException x) {
      throw bad(source, "tensor " + tensor + ": " + field + " is " + v + "; expected a whole number that fits a"
          + " long");
    }
  }

  /** Two tensors may not share bytes. */
  private static void checkOverlaps(String source, Map<String, TensorInfo> tensors) {
    java.util.List<TensorInfo> byBegin = new java.util.ArrayList<>(tensors.values());
    byBegin.removeIf(t -> t.end() == t.begin());
    byBegin.sort(java.util.Comparator.comparingLong(TensorInfo::begin));
    for (int i = 1; i < byBegin.size(); i++) {
      TensorInfo a = byBegin.get(i - 1);
      TensorInfo b = byBegin.get(i);
      if (b.begin() < a.end()) {
        throw bad(source, "tensors " + a.name() + " [" + a.begin() + ", " + a.end() + ") and " + b.name() + " ["
            + b.begin() + ", " + b.end() + ") share bytes; each tensor needs a byte range of its own");
      }
    }
  }

  private static CheckpointException bad(String source, String what) {
    return new CheckpointException("safetensors " + source + ": " + what);
  }

  /** Returns where these tensors were read from. */
  public String source() {
    return source;
  }

  /** Returns the tensors in file order, by name. */
  public Map<String, TensorInfo> tensors() {
    return tensors;
  }

  /** Returns the string metadata of the header. */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** Returns one tensor's description, if present. */
  public Optional<TensorInfo> find(String name) {
    return Optional.ofNullable(tensors.get(name));
  }

  /** Returns one tensor's description, or fails naming it and the file. */
  public TensorInfo info(String name) {
    TensorInfo t = tensors.get(name);
    if (t == null) {
      throw bad(source, "has no tensor " + name + "; it holds " + preview(new ArrayList<>(tensors.keySet())));
    }
    return t;
  }

  private static String preview(List<String> names) {
    return names.size() <= 12 ? String.join(", ", names)
        : String.join(", ", names.subList(0, 12)) + ", ... (" + names.size() + " tensors)";
  }

  /** Returns a little-endian view of a tensor's bytes. */
  public ByteBuffer bytes(String name) {
    TensorInfo t = info(name);
    ByteBuffer b = data.duplicate();
    b.position((int) t.begin()).limit((int) t.end());
    return b.slice().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Returns a floating-point tensor (F32, F64, F16 or BF16) as floats, in row-major order. */
  public float[] floats(String name) {
    TensorInfo t = info(name);
    ByteBuffer b = bytes(name);
    int n = Math.toIntExact(t.elements());
    float[] out = new float[n];
    switch (t.dtype()) {
      case F32 -> b.asFloatBuffer().get(out);
      case F64 -> {
        for (int i = 0; i < n; i++) {
          out[i] = (float) b.getDouble(8 * i);
        }
      }
      case F16 -> {
        for (int i = 0; i < n; i++) {
          out[i] = halfToFloat(b.getShort(2 * i));
        }
      }
      case BF16 -> {
        for (int i = 0; i < n; i++) {
          out[i] = Float.intBitsToFloat((b.getShort(2 * i) & 0xffff) << 16);
        }
      }
      default -> throw bad(source, "tensor " + name + ": expected a floating-point dtype, found " + t.dtype());
    }
    return out;
  }

  /** IEEE 754 half precision to float (Java 17 has no Float.float16ToFloat). */
  static float halfToFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      float v = mant * 0x1p-24f;
      return sign == 0 ? v : -v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  /** Returns an integer tensor (I64, I32, I16, I8, U8 or BOOL) as longs, in row-major order. */
  public long[] longs(String name) {
    TensorInfo t = info(name);
    ByteBuffer b = bytes(name);
    int n = Math.toIntExact(t.elements());
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      out[i] =
          switch (t.dtype()) {
            case I64 -> b.getLong(8 * i);
            case I32 -> b.getInt(4 * i);
            case I16 -> b.getShort(2 * i);
            case I8 -> b.get(i);
            case U8, BOOL -> b.get(i) & 0xff;
            default -> throw bad(source, "tensor " + name + ": expected an integer dtype, found " + t.dtype());
          };
    }
    return out;
  }
}
