package io.mmfuse.modality.image;

import static jdk.incubator.vector.VectorOperators.B2I;
import static jdk.incubator.vector.VectorOperators.I2B;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD twins of the resampling passes and of rescale + normalize, written with the Vector API (incubating in Java
 * 17). Each computes lane by lane exactly what its scalar twin computes: the same 32-bit integer sums, shifts and
 * clamps, the same float operations in the same order. Loaded only where {@link Simd} finds the module (a JVM started
 * with {@code --add-modules jdk.incubator.vector}), and run only where it found at least 8 int lanes.
 */
final class VectorKernels {
  private VectorKernels() {}

  static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
  /** Int lanes per vector: 16 with AVX-512, 8 with AVX2. */
  static final int LANES = INTS.length();
  /** One byte per int lane, to widen into {@link #INTS}. */
  private static final VectorSpecies<Byte> LANE_BYTES =
      VectorSpecies.of(byte.class, VectorShape.forBitSize(LANES * Byte.SIZE));
  /** As many bytes as an int vector holds: {@code 4 * LANES}. */
  static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class, INTS.vectorShape());
  static final VectorSpecies<Float> FLOATS = VectorSpecies.of(float.class, INTS.vectorShape());
  static final int BYTES_LENGTH = BYTES.length();

  /** Spreads {@code LANES} RGB pixels (3 bytes each) into one int each: R in bits 0-7, G 8-15, B 16-23, junk above. */
  private static final VectorShuffle<Byte> SPREAD;
  /** The inverse: the low three bytes of each int, packed into {@code 3 * LANES} leading bytes. */
  private static final VectorShuffle<Byte> PACK;
  /** Channel {@code c} of {@code LANES} RGB pixels into the leading {@code LANES} bytes. */
  static final VectorShuffle<Byte> R;
  static final VectorShuffle<Byte> G;
  static final VectorShuffle<Byte> B;

  static {
    int n = BYTES_LENGTH;
    int[] spread = new int[n];
    int[] pack = new int[n];
    int[][] channel = new int[3][n];
    for (int i = 0; i < n; i++) {
      spread[i] = (i & 3) == 3 ? 0 : 3 * (i >> 2) + (i & 3);
      pack[i] = i < 3 * LANES ? 4 * (i / 3) + i % 3 : 0;
      for (int c = 0; c < 3; c++) {
        channel[c][i] = i < LANES ? 3 * i + c : 0;
      }
    }
    SPREAD = VectorShuffle.fromArray(BYTES, spread, 0);
    PACK = VectorShuffle.fromArray(BYTES, pack, 0);
    R = VectorShuffle.fromArray(BYTES, channel[0], 0);
    G = VectorShuffle.fromArray(BYTES, channel[1], 0);
    B = VectorShuffle.fromArray(BYTES, channel[2], 0);
  }

  /**
   * The horizontal pass over {@code rows} rows from {@code firstRow}: {@code LANES} output pixels at a time, each
   * lane gathering its own taps from the row spread to one int per pixel.
   */
  static byte[] horizontal(byte[] src, int inWidth, int firstRow, int rows, int outWidth, int ksize, int[] bounds,
      int[] weights, int precision) {
    int blocks = (outWidth + LANES - 1) / LANES;
    int[] first = new int[blocks * LANES];
    int[] taps = new int[blocks];
    int[] w = new int[blocks * ksize * LANES];
    for (int b = 0; b < blocks; b++) {
      for (int l = 0; l < LANES; l++) {
        // Lanes past the last output repeat it; their results are not stored.
        int xx = Math.min(b * LANES + l, outWidth - 1);
        int n = bounds[xx * 2 + 1];
        first[b * LANES + l] = bounds[xx * 2];
        taps[b] = Math.max(taps[b], n);
        for (int t = 0; t < n; t++) {
          w[(b * ksize + t) * LANES + l] = weights[xx * ksize + t];
        }
      }
    }
    // A lane with fewer taps than its block reads up to ksize pixels past its window, with weight 0.
    int[] pixels = new int[inWidth + ksize];
    byte[] out = new byte[outWidth * rows * 3];
    byte[] tail = new byte[BYTES_LENGTH];
    IntVector half = IntVector.broadcast(INTS, 1 << (precision - 1));
    for (int y = 0; y < rows; y++) {
      int row = (firstRow + y) * inWidth * 3;
      int x = 0;
      for (; x + LANES <= inWidth && row + 3 * x + BYTES_LENGTH <= src.length; x += LANES) {
        spread(src, row + 3 * x).intoArray(pixels, x);
      }
      for (; x < inWidth; x++) {
        int p = row + 3 * x;
        pixels[x] = (src[p] & 0xff) | (src[p + 1] & 0xff) << 8 | (src[p + 2] & 0xff) << 16;
      }
      int o = y * outWidth * 3;
      for (int b = 0; b < blocks; b++) {
        IntVector r = half;
        IntVector g = half;
        IntVector bl = half;
        for (int t = 0, wb = b * ksize * LANES; t < taps[b]; t++, wb += LANES) {
          IntVector px = IntVector.fromArray(INTS, pixels, t, first, b * LANES);
          IntVector k = IntVector.fromArray(INTS, w, wb);
          r = px.and(0xff).mul(k).add(r);
          g = px.lanewise(VectorOperators.LSHR, 8).and(0xff).mul(k).add(g);
          bl = px.lanewise(VectorOperators.LSHR, 16).and(0xff).mul(k).add(bl);
        }
        IntVector packed = clip8(r, precision)
            .or(clip8(g, precision).lanewise(VectorOperators.LSHL, 8))
            .or(clip8(bl, precision).lanewise(VectorOperators.LSHL, 16));
        ByteVector bytes = packed.reinterpretAsBytes().rearrange(PACK);
        int n = Math.min(LANES, outWidth - b * LANES) * 3;
        if (o + BYTES_LENGTH <= out.length) {
          // The bytes past n are overwritten by the next block or row.
          bytes.intoArray(out, o);
        } else {
          bytes.intoArray(tail, 0);
          System.arraycopy(tail, 0, out, o, n);
        }
        o += n;
      }
    }
    return out;
  }

  /**
   * The {@code LANES} RGB pixels at {@code src[p]} as one int each (R in bits 0-7, G 8-15, B 16-23, junk above);
   * reads {@code BYTES_LENGTH} bytes.
   */
  static IntVector spread(byte[] src, int p) {
    return ByteVector.fromArray(BYTES, src, p).rearrange(SPREAD).reinterpretAsInts();
  }

  /**
   * The vertical pass: four vectors of {@code LANES} output bytes per step sharing each tap's weight, then one vector
   * per step, then scalar. One small method on purpose: with a method per unrolled kernel size, C2 inlined them into
   * their caller until it hit its node limit, stopped inlining the vector operations and boxed every vector (6x
   * slower than this method, slower than the scalar loop).
   */
  static byte[] vertical(byte[] src, int stride, int outHeight, int ksize, int[] bounds, int[] weights,
      int precision) {
    byte[] out = new byte[stride * outHeight];
    int wideEnd = stride - stride % (4 * LANES);
    int vectorEnd = stride - stride % LANES;
    int half = 1 << (precision - 1);
    IntVector h = IntVector.broadcast(INTS, half);
    for (int yy = 0; yy < outHeight; yy++) {
      int row = bounds[yy * 2] * stride;
      int taps = bounds[yy * 2 + 1];
      int kb = yy * ksize;
      int o = yy * stride;
      int i = 0;
      for (; i < wideEnd; i += 4 * LANES) {
        IntVector a0 = h;
        IntVector a1 = h;
        IntVector a2 = h;
        IntVector a3 = h;
        for (int t = 0, p = row + i; t < taps; t++, p += stride) {
          IntVector k = IntVector.broadcast(INTS, weights[kb + t]);
          a0 = a0.add(widen(src, p).mul(k));
          a1 = a1.add(widen(src, p + LANES).mul(k));
          a2 = a2.add(widen(src, p + 2 * LANES).mul(k));
          a3 = a3.add(widen(src, p + 3 * LANES).mul(k));
        }
        narrow(a0, precision, out, o + i);
        narrow(a1, precision, out, o + i + LANES);
        narrow(a2, precision, out, o + i + 2 * LANES);
        narrow(a3, precision, out, o + i + 3 * LANES);
      }
      for (; i < vectorEnd; i += LANES) {
        IntVector a = h;
        for (int t = 0, p = row + i; t < taps; t++, p += stride) {
          a = a.add(widen(src, p).mul(weights[kb + t]));
        }
        narrow(a, precision, out, o + i);
      }
      for (; i < stride; i++) {
        int sum = half;
        for (int t = 0, p = row + i; t < taps; t++, p += stride) {
          sum += (src[p] & 0xff) * weights[kb + t];
        }
        out[o + i] = Resampling.clip8(sum, precision);
      }
    }
    return out;
  }

  /** {@code LANES} unsigned bytes from {@code src[p]} as ints. */
  private static IntVector widen(byte[] src, int p) {
    return ((IntVector) ByteVector.fromArray(LANE_BYTES, src, p).convertShape(B2I, INTS, 0)).and(0xff);
  }

  /** Shifts, clamps to 0..255 and stores {@code LANES} bytes at {@code out[o]}. */
  private static void narrow(IntVector sum, int precision, byte[] out, int o) {
    clip8(sum, precision).convertShape(I2B, LANE_BYTES, 0).reinterpretAsBytes().intoArray(out, o);
  }

  private static IntVector clip8(IntVector sum, int precision) {
    return sum.lanewise(VectorOperators.ASHR, precision).max(0).min(255);
  }

  /**
   * Rescales and normalizes {@code count} pixels from {@code rgb[s]} into three float runs at {@code r}, {@code g}
   * and {@code b} of {@code out}: {@code ((float) v * rescale - mean[c]) / std[c]}, which is the scalar table's
   * {@code ((float) (v * (double) rescale) - mean[c]) / std[c]} (an 8-bit integer times a float is exact in double,
   * so both round the same product once). {@code count} is a multiple of {@code LANES}; returns false, writing
   * nothing, where the last load would reach past the array.
   */
  static boolean normalizeRun(byte[] rgb, int s, int count, float[] out, int r, int g, int b, float rescale,
      float[] mean, float[] std) {
    if (s + 3 * (count - LANES) + BYTES_LENGTH > rgb.length) {
      return false;
    }
    for (int i = 0; i < count; i += LANES, s += 3 * LANES) {
      ByteVector pixels = ByteVector.fromArray(BYTES, rgb, s);
      channel(pixels, R, rescale, mean[0], std[0]).intoArray(out, r + i);
      channel(pixels, G, rescale, mean[1], std[1]).intoArray(out, g + i);
      channel(pixels, B, rescale, mean[2], std[2]).intoArray(out, b + i);
    }
    return true;
  }

  private static FloatVector channel(ByteVector pixels, VectorShuffle<Byte> pick, float rescale, float mean,
      float std) {
    IntVector v = ((IntVector) pixels.rearrange(pick).convertShape(B2I, INTS, 0)).and(0xff);
    return ((FloatVector) v.convertShape(VectorOperators.I2F, FLOATS, 0)).mul(rescale).sub(mean).div(std);
  }
}
