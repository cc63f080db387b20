package io.mmfuse.modality.image;

import io.mmfuse.modality.image.proto.Resample;
import io.mmfuse.modality.image.proto.ResizeArithmetic;

/**
 * Antialiased image resizing of 8-bit RGB, bit-identical to the two implementations Hugging Face image processors
 * run on: PIL's {@code Image.resize} and the uint8 path of torchvision/PyTorch (what {@code transformers} 5 uses).
 * Both convolve separably, horizontal pass first, widen the filter support by the shrink factor, and round to 8 bits
 * after each pass; they differ only in the fixed-point precision of the weights: PIL uses 22 bits, PyTorch the most
 * bits that keep every weight within a signed 16-bit integer.
 */
public final class Resampling {
  private Resampling() {}

  // The filters and weight precisions are the settings' own enums (Resample, ResizeArithmetic): one definition.

  /** How far a filter's kernel reaches, in input pixels at scale 1: 0 (nearest), 1 (bilinear), 2 (bicubic). */
  static double support(Resample filter) {
    return switch (filter) {
      case BILINEAR -> 1.0;
      case BICUBIC -> 2.0;
      default -> 0.0;
    };
  }

  /** The filter's kernel at {@code x}: PIL's triangle (bilinear) and cubic with a = -0.5 (bicubic). */
  static double kernel(Resample filter, double x) {
    if (x < 0.0) {
      x = -x;
    }
    switch (filter) {
      case BILINEAR:
        return x < 1.0 ? 1.0 - x : 0.0;
      case BICUBIC: {
        final double a = -0.5;
        if (x < 1.0) {
          return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        }
        if (x < 2.0) {
          return (((x - 5) * x + 8) * x - 4) * a;
        }
        return 0.0;
      }
      default:
        throw new IllegalStateException(filter + " has no convolution kernel");
    }
  }

  private static final int PIL_PRECISION_BITS = 32 - 8 - 2;

  /**
   * Kernel windows and fixed-point weights of one axis; {@code floatExact}: the sums are exact in float arithmetic
   * ({@link FusedPatchKernel#exact}).
   */
  private record Coefficients(int kernelSize, int[] bounds, int[] weights, int precision, boolean floatExact) {
    Coefficients(int kernelSize, int[] bounds, int[] weights, int precision) {
      this(kernelSize, bounds, weights, precision, false);
    }
  }

  private record Axis(int inSize, int outSize, Resample filter, ResizeArithmetic arithmetic) {}

  /**
   * Coefficients of recent axes: a photo collection repeats a few sizes, and computing the weights of vilt's two
   * axes takes 0.07 ms, 7% of its SIMD resize. Emptied when it holds too many; the arrays are never written.
   */
  private static final java.util.concurrent.ConcurrentHashMap<Axis, Coefficients> RECENT =
      new java.util.concurrent.ConcurrentHashMap<>();
  private static final int RECENT_LIMIT = 256;

  private static Coefficients coefficients(int inSize, int outSize, Resample filter, ResizeArithmetic arithmetic) {
    Axis axis = new Axis(inSize, outSize, filter, arithmetic);
    Coefficients c = RECENT.get(axis);
    if (c == null) {
      c = compute(axis);
      if (RECENT.size() >= RECENT_LIMIT) {
        RECENT.clear();
      }
      RECENT.put(axis, c);
    }
    return c;
  }

  private static Coefficients compute(Axis axis) {
    int inSize = axis.inSize();
    int outSize = axis.outSize();
    Resample filter = axis.filter();
    ResizeArithmetic arithmetic = axis.arithmetic();
    double scale = (double) inSize / outSize;
    double filterScale = Math.max(scale, 1.0);
    double support = support(filter) * filterScale;
    int ksize = (int) Math.ceil(support) * 2 + 1;
    int[] bounds = new int[outSize * 2];
    int[] weights = new int[outSize * ksize];
    double[] k = new double[ksize];
    double[] normalized = new double[outSize * ksize];
    double maxWeight = 0;
    for (int xx = 0; xx < outSize; xx++) {
      double center = (xx + 0.5) * scale;
      double ss = 1.0 / filterScale;
      int xmin = (int) (center - support + 0.5);
      if (xmin < 0) {
        xmin = 0;
      }
      int xmax = (int) (center + support + 0.5);
      if (xmax > inSize) {
        xmax = inSize;
      }
      xmax -= xmin;
      double ww = 0.0;
      for (int x = 0; x < xmax; x++) {
        double w = kernel(filter, (x + xmin - center + 0.5) * ss);
        k[x] = w;
        ww += w;
      }
      for (int x = 0; x < xmax; x++) {
        double v = ww != 0.0 ? k[x] / ww : k[x];
        normalized[xx * ksize + x] = v;
        maxWeight = Math.max(maxWeight, v);
      }
      bounds[xx * 2] = xmin;
      bounds[xx * 2 + 1] = xmax;
    }
    int precision = PIL_PRECISION_BITS;
    if (arithmetic == ResizeArithmetic.TORCH_UINT8) {
      precision = 0;
      while (precision < PIL_PRECISION_BITS && (int) (0.5 + maxWeight * (1 << (precision + 1))) < (1 << 15)) {
        precision++;
      }
    }
    for (int i = 0; i < normalized.length; i++) {
      double v = normalized[i] * (1 << precision);
      weights[i] = v < 0 ? (int) (v - 0.5) : (int) (v + 0.5);
    }
    return new Coefficients(ksize, bounds, weights, precision,
        Simd.available() && FusedPatchKernel.exact(outSize, ksize, bounds, weights, precision));
  }

  /** Resizes with PIL's arithmetic. */
  public static RgbImage resize(RgbImage in, int width, int height, Resample filter) {
    return resize(in, width, height, filter, ResizeArithmetic.PIL);
  }

  /**
   * Resizes to {@code width x height} and returns only the window of {@code windowW x windowH} at ({@code left},
   * {@code top}) of the result, computing just that window: each output pixel depends only on its own coefficients,
   * so the pixels are the same as those of a full resize followed by a crop. The window must lie inside the result.
   */
  public static RgbImage resizeWindow(RgbImage in, int width, int height, int left, int top, int windowW, int windowH,
      Resample filter, ResizeArithmetic arithmetic) {
    return resizeWindow(in, width, height, left, top, windowW, windowH, filter, arithmetic, Simd.active());
  }

  /** {@link #resizeWindow(RgbImage, int, int, int, int, int, int, Resample, ResizeArithmetic)} on SIMD lanes or not. */
  static RgbImage resizeWindow(RgbImage in, int width, int height, int left, int top, int windowW, int windowH,
      Resample filter, ResizeArithmetic arithmetic, boolean simd) {
    if (left < 0 || top < 0 || windowW <= 0 || windowH <= 0 || left + windowW > width || top + windowH > height) {
      throw new IllegalArgumentException("window " + windowW + "x" + windowH + " at " + left + "," + top
          + " is not inside " + width + "x" + height);
    }
    if (filter == Resample.NEAREST || width == in.width() || height == in.height()) {
      RgbImage full = resize(in, width, height, filter, arithmetic, simd);
      return ImageProcessor.crop(full, top, left, windowH, windowW);
    }
    Coefficients kh = slice(coefficients(in.width(), width, filter, arithmetic), left, windowW);
    Coefficients kv = slice(coefficients(in.height(), height, filter, arithmetic), top, windowH);
    return resample(in, windowW, windowH, true, true, kh, kv, simd);
  }

  /** The coefficients of outputs {@code from .. from + count - 1}. */
  private static Coefficients slice(Coefficients c, int from, int count) {
    int k = c.kernelSize();
    if (from == 0 && count * 2 == c.bounds().length) {
      return c;
    }
    return new Coefficients(k, java.util.Arrays.copyOfRange(c.bounds(), from * 2, (from + count) * 2),
        java.util.Arrays.copyOfRange(c.weights(), from * k, (from + count) * k), c.precision(), c.floatExact());
  }

  /**
   * The patch vectors of the image resized to {@code width x height}, of the {@code rows x cols} patches of P x P
   * from ({@code left}, {@code top}) of the result, rescaled and normalized, in one pass on SIMD lanes ({@link
   * FusedPatchKernel}): the same floats as resizing, cropping, normalizing and cutting into patches. Not where that
   * kernel does not apply: SIMD not available, nearest neighbour, P not a multiple of the lanes, patches narrower
   * than four vectors in all, weights too fine for exact float sums (PIL's 22 bits; PyTorch's beyond a shrink of
   * about 2.5), or a size that needs no resampling. Written into {@code out} from {@code offset}; returns false,
   * having written nothing, where the kernel does not apply.
   */
  static boolean fusedPatches(RgbImage in, int width, int height, int left, int top, int rows, int cols, int p,
      Resample filter, ResizeArithmetic arithmetic, float rescale, float[] mean, float[] std, float[] out, int offset) {
    if (!Simd.available() || filter == Resample.NEAREST || p % VectorKernels.LANES != 0 || rows <= 0
        || cols * p < 4 * VectorKernels.LANES
        || (width == in.width() && height == in.height())) {
      return false;
    }
    if (left < 0 || top < 0 || left + cols * p > width || top + rows * p > height) {
      throw new IllegalArgumentException(rows + "x" + cols + " patches of " + p + " at " + left + "," + top
          + " are not inside " + width + "x" + height);
    }
    // An axis that keeps its size gets the identity kernel (weights 1 and 0): the pixels the pass would skip.
    Coefficients kh = slice(coefficients(in.width(), width, filter, arithmetic), left, cols * p);
    Coefficients kv = slice(coefficients(in.height(), height, filter, arithmetic), top, rows * p);
    if (!kh.floatExact() || !kv.floatExact()) {
      return false;
    }
    FusedPatchKernel.patches(in.rgb(), in.width(), kh.kernelSize(), kh.bounds(), kh.weights(), kh.precision(),
        kv.kernelSize(), kv.bounds(), kv.weights(), kv.precision(), rows, cols, p, rescale, mean, std, out, offset);
    return true;
  }

  /** Resizes to {@code width x height}; the same size returns the image itself. */
  public static RgbImage resize(RgbImage in, int width, int height, Resample filter, ResizeArithmetic arithmetic) {
    return resize(in, width, height, filter, arithmetic, Simd.active());
  }

  /** {@link #resize(RgbImage, int, int, Resample, ResizeArithmetic)} on SIMD lanes ({@link VectorKernels}) or not. */
  static RgbImage resize(RgbImage in, int width, int height, Resample filter, ResizeArithmetic arithmetic, boolean simd) {
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException("target size " + width + "x" + height + " must be at least 1x1");
    }
    if (width == in.width() && height == in.height()) {
      return in;
    }
    if (filter == Resample.NEAREST) {
      return nearest(in, width, height);
    }
    boolean horizontal = width != in.width();
    boolean vertical = height != in.height();
    Coefficients kh = coefficients(in.width(), width, filter, arithmetic);
    Coefficients kv = coefficients(in.height(), height, filter, arithmetic);
    return resample(in, width, height, horizontal, vertical, kh, kv, simd);
  }

  /** The two passes: horizontal on the input rows the vertical pass reads, then vertical. */
  private static RgbImage resample(RgbImage in, int width, int height, boolean horizontal, boolean vertical,
      Coefficients kh, Coefficients kv, boolean simd) {
    RgbImage current = in;
    int[] vBounds = kv.bounds().clone();
    if (horizontal) {
      int first = kv.bounds()[0];
      int last = kv.bounds()[height * 2 - 2] + kv.bounds()[height * 2 - 1];
      if (!vertical) {
        first = 0;
        last = in.height();
      } else {
        for (int i = 0; i < height; i++) {
          vBounds[i * 2] -= first;
        }
      }
      current = simd
          ? new RgbImage(width, last - first, VectorKernels.horizontal(in.rgb(), in.width(), first, last - first,
              width, kh.kernelSize(), kh.bounds(), kh.weights(), kh.precision()))
          : horizontalPass(in, first, last - first, width, kh);
    }
    if (vertical) {
      current = simd
          ? new RgbImage(current.width(), height, VectorKernels.vertical(current.rgb(), current.width() * 3, height,
              kv.kernelSize(), vBounds, kv.weights(), kv.precision()))
          : verticalPass(current, height, new Coefficients(kv.kernelSize(), vBounds, kv.weights(), kv.precision()));
    }
    return current;
  }

  /** The horizontal pass over {@code rows} input rows from {@code firstRow}, taps unrolled as in the vertical pass. */
  private static RgbImage horizontalPass(RgbImage in, int firstRow, int rows, int outWidth, Coefficients c) {
    byte[] src = in.rgb();
    byte[] out = new byte[outWidth * rows * 3];
    int inStride = in.width() * 3;
    int ksize = c.kernelSize();
    int[] bounds = c.bounds();
    int[] w = c.weights();
    final int half = 1 << (c.precision() - 1);
    final int precision = c.precision();
    for (int y = 0; y < rows; y++) {
      int row = (firstRow + y) * inStride;
      for (int xx = 0, o = y * outWidth * 3; xx < outWidth; xx++, o += 3) {
        int p = row + bounds[xx * 2] * 3;
        int taps = bounds[xx * 2 + 1];
        int kb = xx * ksize;
        switch (taps) {
          case 1 -> {
            int k0 = w[kb + 0];
            out[o] = clip8(half + (src[p + 0] & 0xff) * k0, precision);
            out[o + 1] = clip8(half + (src[p + 1] & 0xff) * k0, precision);
            out[o + 2] = clip8(half + (src[p + 2] & 0xff) * k0, precision);
          }
          case 2 -> {
            int k0 = w[kb + 0]; int k1 = w[kb + 1];
            out[o] = clip8(half + (src[p + 0] & 0xff) * k0 + (src[p + 3] & 0xff) * k1, precision);
            out[o + 1] = clip8(half + (src[p + 1] & 0xff) * k0 + (src[p + 4] & 0xff) * k1, precision);
            out[o + 2] = clip8(half + (src[p + 2] & 0xff) * k0 + (src[p + 5] & 0xff) * k1, precision);
          }
          case 3 -> {
            int k0 = w[kb + 0]; int k1 = w[kb + 1]; int k2 = w[kb + 2];
            out[o] = clip8(half + (src[p + 0] & 0xff) * k0 + (src[p + 3] & 0xff) * k1
                + (src[p + 6] & 0xff) * k2, precision);
            out[o + 1] = clip8(half + (src[p + 1] & 0xff) * k0 + (src[p + 4] & 0xff) * k1
                + (src[p + 7] & 0xff) * k2, precision);
            out[o + 2] = clip8(half + (src[p + 2] & 0xff) * k0 + (src[p + 5] & 0xff) * k1
                + (src[p + 8] & 0xff) * k2, precision);
          }
          case 4 -> {
            int k0 = w[kb + 0]; int k1 = w[kb + 1]; int k2 = w[kb + 2]; int k3 = w[kb + 3];
            out[o] = clip8(half + (src[p + 0] & 0xff) * k0 + (src[p + 3] & 0xff) * k1 + (src[p + 6] & 0xff) * k2
                + (src[p + 9] & 0xff) * k3, precision);
            out[o + 1] = clip8(half + (src[p + 1] & 0xff) * k0 + (src[p + 4] & 0xff) * k1 + (src[p + 7] & 0xff) * k2
                + (src[p + 10] & 0xff) * k3, precision);
            out[o + 2] = clip8(half + (src[p + 2] & 0xff) * k0 + (src[p + 5] & 0xff) * k1 + (src[p + 8] & 0xff) * k2
                + (src[p + 11] & 0xff) * k3, precision);
          }
          case 5 -> {
            int k0 = w[kb + 0]; int k1 = w[kb + 1]; int k2 = w[kb + 2]; int k3 = w[kb + 3]; int k4 = w[kb + 4];
            out[o] = clip8(half + (src[p + 0] & 0xff) * k0 + (src[p + 3] & 0xff) * k1 + (src[p + 6] & 0xff) * k2
                + (src[p + 9] & 0xff) * k3 + (src[p + 12] & 0xff) * k4, precision);
            out[o + 1] = clip8(half + (src[p + 1] & 0xff) * k0 + (src[p + 4] & 0xff) * k1 + (src[p + 7] & 0xff) * k2
                + (src[p + 10] & 0xff) * k3 + (src[p + 13] & 0xff) * k4, precision);
            out[o + 2] = clip8(half + (src[p + 2] & 0xff) * k0 + (src[p + 5] & 0xff) * k1 + (src[p + 8] & 0xff) * k2
                + (src[p + 11] & 0xff) * k3 + (src[p + 14] & 0xff) * k4, precision);
          }
          case 6 -> {
            int k0 = w[kb + 0]; int k1 = w[kb + 1]; int k2 = w[kb + 2]; int k3 = w[kb + 3]; int k4 = w[kb + 4];
            int k5 = w[kb + 5];
            out[o] = clip8(half + (src[p + 0] & 0xff) * k0 + (src[p + 3] & 0xff) * k1 + (src[p + 6] & 0xff) * k2
                + (src[p + 9] & 0xff) * k3 + (src[p + 12] & 0xff) * k4 + (src[p + 15] & 0xff) * k5, precision);
            out[o + 1] = clip8(half + (src[p + 1] & 0xff) * k0 + (src[p + 4] & 0xff) * k1 + (src[p + 7] & 0xff) * k2
                + (src[p + 10] & 0xff) * k3 + (src[p + 13] & 0xff) * k4 + (src[p + 16] & 0xff) * k5, precision);
            out[o + 2] = clip8(half + (src[p + 2] & 0xff) * k0 + (src[p + 5] & 0xff) * k1 + (src[p + 8] & 0xff) * k2
                + (src[p + 11] & 0xff) * k3 + (src[p + 14] & 0xff) * k4 + (src[p + 17] & 0xff) * k5, precision);
          }
          case 7 -> {
            int k0 = w[kb + 0]; int k1 = w[kb + 1]; int k2 = w[kb + 2]; int k3 = w[kb + 3]; int k4 = w[kb + 4];
            int k5 = w[kb + 5]; int k6 = w[kb + 6];
            out[o] = clip8(half + (src[p + 0] & 0xff) * k0 + (src[p + 3] & 0xff) * k1 + (src[p + 6] & 0xff) * k2
                + (src[p + 9] & 0xff) * k3 + (src[p + 12] & 0xff) * k4 + (src[p + 15] & 0xff) * k5
                + (src[p + 18] & 0xff) * k6, precision);
            out[o + 1] = clip8(half + (src[p + 1] & 0xff) * k0 + (src[p + 4] & 0xff) * k1 + (src[p + 7] & 0xff) * k2
                + (src[p + 10] & 0xff) * k3 + (src[p + 13] & 0xff) * k4 + (src[p + 16] & 0xff) * k5
                + (src[p + 19] & 0xff) * k6, precision);
            out[o + 2] = clip8(half + (src[p + 2] & 0xff) * k0 + (src[p + 5] & 0xff) * k1 + (src[p + 8] & 0xff) * k2
                + (src[p + 11] & 0xff) * k3 + (src[p + 14] & 0xff) * k4 + (src[p + 17] & 0xff) * k5
                + (src[p + 20] & 0xff) * k6, precision);
          }
          case 8 -> {
            int k0 = w[kb + 0]; int k1 = w[kb + 1]; int k2 = w[kb + 2]; int k3 = w[kb + 3]; int k4 = w[kb + 4];
            int k5 = w[kb + 5]; int k6 = w[kb + 6]; int k7 = w[kb + 7];
            out[o] = clip8(half + (src[p + 0] & 0xff) * k0 + (src[p + 3] & 0xff) * k1 + (src[p + 6] & 0xff) * k2
                + (src[p + 9] & 0xff) * k3 + (src[p + 12] & 0xff) * k4 + (src[p + 15] & 0xff) * k5
                + (src[p + 18] & 0xff) * k6 + (src[p + 21] & 0xff) * k7, precision);
            out[o + 1] = clip8(half + (src[p + 1] & 0xff) * k0 + (src[p + 4] & 0xff) * k1 + (src[p + 7] & 0xff) * k2
                + (src[p + 10] & 0xff) * k3 + (src[p + 13] & 0xff) * k4 + (src[p + 16] & 0xff) * k5
                + (src[p + 19] & 0xff) * k6 + (src[p + 22] & 0xff) * k7, precision);
            out[o + 2] = clip8(half + (src[p + 2] & 0xff) * k0 + (src[p + 5] & 0xff) * k1 + (src[p + 8] & 0xff) * k2
                + (src[p + 11] & 0xff) * k3 + (src[p + 14] & 0xff) * k4 + (src[p + 17] & 0xff) * k5
                + (src[p + 20] & 0xff) * k6 + (src[p + 23] & 0xff) * k7, precision);
          }
          default -> {
            int s0 = half;
            int s1 = half;
            int s2 = half;
            for (int x = 0; x < taps; x++, p += 3) {
              int k = w[kb + x];
              s0 += (src[p] & 0xff) * k;
              s1 += (src[p + 1] & 0xff) * k;
              s2 += (src[p + 2] & 0xff) * k;
            }
            out[o] = clip8(s0, precision);
            out[o + 1] = clip8(s1, precision);
            out[o + 2] = clip8(s2, precision);
          }
        }
      }
    }
    return new RgbImage(outWidth, rows, out);
  }

  /**
   * The vertical pass: each output row is the weighted sum of a few input rows, one output byte at a time, with the
   * taps unrolled for kernels of up to 8 rows (every filter and shrink factor up to 3.5 for bicubic, 7 for bilinear)
   * and an accumulator row beyond that.
   */
  private static RgbImage verticalPass(RgbImage in, int outHeight, Coefficients c) {
    byte[] src = in.rgb();
    int stride = in.width() * 3;
    byte[] out = new byte[stride * outHeight];
    int ksize = c.kernelSize();
    int[] bounds = c.bounds();
    int[] w = c.weights();
    int[] acc = null;
    final int half = 1 << (c.precision() - 1);
    final int precision = c.precision();
    for (int yy = 0; yy < outHeight; yy++) {
      int row = bounds[yy * 2] * stride;
      int taps = bounds[yy * 2 + 1];
      int kb = yy * ksize;
      int o = yy * stride;
      switch (taps) {
        case 1 -> {
          int p0 = row + 0 * stride; int k0 = w[kb + 0];
          for (int i = 0; i < stride; i++) {
            out[o + i] = clip8(half + (src[p0 + i] & 0xff) * k0, precision);
          }
        }
        case 2 -> {
          int p0 = row + 0 * stride; int p1 = row + 1 * stride; int k0 = w[kb + 0]; int k1 = w[kb + 1];
          for (int i = 0; i < stride; i++) {
            out[o + i] = clip8(half + (src[p0 + i] & 0xff) * k0 + (src[p1 + i] & 0xff) * k1, precision);
          }
        }
        case 3 -> {
          int p0 = row + 0 * stride; int p1 = row + 1 * stride; int p2 = row + 2 * stride; int k0 = w[kb + 0];
          int k1 = w[kb + 1]; int k2 = w[kb + 2];
          for (int i = 0; i < stride; i++) {
            out[o + i] = clip8(half + (src[p0 + i] & 0xff) * k0 + (src[p1 + i] & 0xff) * k1
                + (src[p2 + i] & 0xff) * k2, precision);
          }
        }
        case 4 -> {
          int p0 = row + 0 * stride; int p1 = row + 1 * stride; int p2 = row + 2 * stride; int p3 = row + 3 * stride;
          int k0 = w[kb + 0]; int k1 = w[kb + 1]; int k2 = w[kb + 2]; int k3 = w[kb + 3];
          for (int i = 0; i < stride; i++) {
            out[o + i] = clip8(half + (src[p0 + i] & 0xff) * k0 + (src[p1 + i] & 0xff) * k1 + (src[p2 + i] & 0xff) * k2
                + (src[p3 + i] & 0xff) * k3, precision);
          }
        }
        case 5 -> {
          int p0 = row + 0 * stride; int p1 = row + 1 * stride; int p2 = row + 2 * stride; int p3 = row + 3 * stride;
          int p4 = row + 4 * stride; int k0 = w[kb + 0]; int k1 = w[kb + 1]; int k2 = w[kb + 2]; int k3 = w[kb + 3];
          int k4 = w[kb + 4];
          for (int i = 0; i < stride; i++) {
            out[o + i] = clip8(half + (src[p0 + i] & 0xff) * k0 + (src[p1 + i] & 0xff) * k1 + (src[p2 + i] & 0xff) * k2
                + (src[p3 + i] & 0xff) * k3 + (src[p4 + i] & 0xff) * k4, precision);
          }
        }
        case 6 -> {
          int p0 = row + 0 * stride; int p1 = row + 1 * stride; int p2 = row + 2 * stride; int p3 = row + 3 * stride;
          int p4 = row + 4 * stride; int p5 = row + 5 * stride; int k0 = w[kb + 0]; int k1 = w[kb + 1];
          int k2 = w[kb + 2]; int k3 = w[kb + 3]; int k4 = w[kb + 4]; int k5 = w[kb + 5];
          for (int i = 0; i < stride; i++) {
            out[o + i] = clip8(half + (src[p0 + i] & 0xff) * k0 + (src[p1 + i] & 0xff) * k1 + (src[p2 + i] & 0xff) * k2
                + (src[p3 + i] & 0xff) * k3 + (src[p4 + i] & 0xff) * k4 + (src[p5 + i] & 0xff) * k5, precision);
          }
        }
        case 7 -> {
          int p0 = row + 0 * stride; int p1 = row + 1 * stride; int p2 = row + 2 * stride; int p3 = row + 3 * stride;
          int p4 = row + 4 * stride; int p5 = row + 5 * stride; int p6 = row + 6 * stride; int k0 = w[kb + 0];
          int k1 = w[kb + 1]; int k2 = w[kb + 2]; int k3 = w[kb + 3]; int k4 = w[kb + 4]; int k5 = w[kb + 5];
          int k6 = w[kb + 6];
          for (int i = 0; i < stride; i++) {
            out[o + i] = clip8(half + (src[p0 + i] & 0xff) * k0 + (src[p1 + i] & 0xff) * k1 + (src[p2 + i] & 0xff) * k2
                + (src[p3 + i] & 0xff) * k3 + (src[p4 + i] & 0xff) * k4 + (src[p5 + i] & 0xff) * k5
                + (src[p6 + i] & 0xff) * k6, precision);
          }
        }
        case 8 -> {
          int p0 = row + 0 * stride; int p1 = row + 1 * stride; int p2 = row + 2 * stride; int p3 = row + 3 * stride;
          int p4 = row + 4 * stride; int p5 = row + 5 * stride; int p6 = row + 6 * stride; int p7 = row + 7 * stride;
          int k0 = w[kb + 0]; int k1 = w[kb + 1]; int k2 = w[kb + 2]; int k3 = w[kb + 3]; int k4 = w[kb + 4];
          int k5 = w[kb + 5]; int k6 = w[kb + 6]; int k7 = w[kb + 7];
          for (int i = 0; i < stride; i++) {
            out[o + i] = clip8(half + (src[p0 + i] & 0xff) * k0 + (src[p1 + i] & 0xff) * k1 + (src[p2 + i] & 0xff) * k2
                + (src[p3 + i] & 0xff) * k3 + (src[p4 + i] & 0xff) * k4 + (src[p5 + i] & 0xff) * k5
                + (src[p6 + i] & 0xff) * k6 + (src[p7 + i] & 0xff) * k7, precision);
          }
        }
        default -> {
          if (acc == null) {
            acc = new int[stride];
          }
          java.util.Arrays.fill(acc, half);
          for (int y = 0; y < taps; y++) {
            int k = w[kb + y];
            int r = row + y * stride;
            for (int i = 0; i < stride; i++) {
              acc[i] += (src[r + i] & 0xff) * k;
            }
          }
          for (int i = 0; i < stride; i++) {
            out[o + i] = clip8(acc[i], precision);
          }
        }
      }
    }
    return new RgbImage(in.width(), outHeight, out);
  }

  /** The sum shifted down to 8 bits and clamped to 0..255; also the scalar tail of {@link VectorKernels}. */
  static byte clip8(int v, int precision) {
    int r = v >> precision;
    return (byte) ((r & ~0xff) == 0 ? r : (~r >> 31) & 0xff);
  }

  /** PIL's nearest neighbour: the source pixel under each target pixel's centre. */
  private static RgbImage nearest(RgbImage in, int width, int height) {
    byte[] out = new byte[width * height * 3];
    double sx = (double) in.width() / width;
    double sy = (double) in.height() / height;
    for (int y = 0; y < height; y++) {
      int srcY = Math.min(in.height() - 1, (int) ((y + 0.5) * sy));
      for (int x = 0; x < width; x++) {
        int srcX = Math.min(in.width() - 1, (int) ((x + 0.5) * sx));
        System.arraycopy(in.rgb(), (srcY * in.width() + srcX) * 3, out, (y * width + x) * 3, 3);
      }
    }
    return new RgbImage(width, height, out);
  }
}
