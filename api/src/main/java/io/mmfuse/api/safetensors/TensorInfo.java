package io.mmfuse.api.safetensors;

import java.util.Arrays;

/**
 * One tensor of a safetensors file: its name, element type, shape and where its bytes are.
 *
 * @param name the tensor's name
 * @param dtype the element type
 * @param shape the dimensions, outermost first
 * @param begin offset of the first byte in the data section
 * @param end offset after the last byte in the data section
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {

  /** Returns the number of elements (1 for a scalar). */
  public long elements() {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  /** Returns the shape as text, such as {@code [2, 3, 224, 224]}. */
  public String shapeText() {
    return Arrays.toString(shape);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
        && begin == t.begin && end == t.end;
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return name + " " + dtype + shapeText();
  }
}
