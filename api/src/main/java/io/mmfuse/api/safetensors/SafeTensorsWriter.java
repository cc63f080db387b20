package io.mmfuse.api.safetensors;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.internal.AtomicFiles;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Collects tensors and writes them as one safetensors file, atomically (whole or not at all). */
public final class SafeTensorsWriter {
  private record Entry(DType dtype, long[] shape, byte[] data) {}

  private final Map<String, Entry> tensors = new LinkedHashMap<>();
  private final Map<String, String> metadata = new LinkedHashMap<>();

  private static long elements(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  private void put(String name, DType dtype, long[] shape, long count, byte[] data) {
    if (elements(shape) != count) {
      throw new InvalidInputException(
          "tensor " + name + ": shape " + java.util.Arrays.toString(shape) + " holds " + elements(shape)
              + " elements, found " + count);
    }
    if (tensors.putIfAbsent(name, new Entry(dtype, shape.clone(), data)) != null) {
      throw new InvalidInputException("tensor " + name + " is added twice");
    }
  }

  public SafeTensorsWriter addFloats(String name, float[] values, long... shape) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    put(name, DType.F32, shape, values.length, b.array());
    return this;
  }

  public SafeTensorsWriter addInts(String name, int[] values, long... shape) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asIntBuffer().put(values);
    put(name, DType.I32, shape, values.length, b.array());
    return this;
  }

  public SafeTensorsWriter addLongs(String name, long[] values, long... shape) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.asLongBuffer().put(values);
    put(name, DType.I64, shape, values.length, b.array());
    return this;
  }

  public SafeTensorsWriter putMetadata(String key, String value) {
    metadata.put(key, value);
    return this;
  }

  /** Returns the file's bytes. */
  public byte[] toBytes() {
    JsonObject header = new JsonObject();
    if (!metadata.isEmpty()) {
      JsonObject meta = new JsonObject();
      metadata.forEach(meta::addProperty);
      header.add("__metadata__", meta);
    }
    long offset = 0;
    for (Map.Entry<String, Entry> e : tensors.entrySet()) {
      JsonObject t = new JsonObject();
      t.addProperty("dtype", e.getValue().dtype().name());
      JsonArray shape = new JsonArray();
      for (long d : e.getValue().shape()) {
        shape.add(d);
      }
      t.add("shape", shape);
      JsonArray offsets = new JsonArray();
      offsets.add(offset);
      offset += e.getValue().data().length;
      offsets.add(offset);
      t.add("data_offsets", offsets);
      header.add(e.getKey(), t);
    }
    byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(8 + padded + offset)).order(ByteOrder.LITTLE_ENDIAN);
    out.putLong(padded);
    out.put(json);
    for (int i = json.length; i < padded; i++) {
      out.put((byte) ' ');
    }
    for (Entry e : tensors.values()) {
      out.put(e.data());
    }
    return out.array();
  }

  /** Writes the file; it appears whole or not at all. */
  public void write(Path file) {
    AtomicFiles.write(file, toBytes());
  }
}
