package io.mmfuse.fusion.graph;

import java.util.Arrays;

/**
 * The value of one learned tensor, row-major.
 *
 * @param shape dimensions, outermost first
 * @param data {@code product(shape)} floats
 */
public record Weight(long[] shape, float[] data) {
  public Weight {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    if (n != data.length) {
      throw new IllegalArgumentException(Arrays.toString(shape) + " needs " + n + " values, found " + data.length);
    }
  }
}
