package io.mmfuse.modality.image;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Resize, rescale, normalize and patchify in one pass on SIMD lanes: the horizontal pass fills a ring of a few rows,
 * and the vertical pass writes each of its values, normalized, straight into its patch vector. No intermediate image
 * is allocated; the only large write is the output itself. Gives exactly the floats of the scalar loops.
 *
 * <p><b>Exact float sums.</b> The scalar passes ({@link Resampling}) compute {@code clip8((2^(p-1) + sum of w * v)
 * >> p)} in 32-bit integers. Here the same value comes from fused multiply-adds on floats, because a 32-bit integer
 * multiply costs AVX-512 two cycles and a fused multiply-add half of one. The pixels are centred ({@code v - 128}),
 * which halves the magnitude of the sums; the constant {@code 128 * sum of w + 2^(p-1)} is split into {@code hi *
 * 2^p + lo}, and the sum starts at {@code lo - 2^(p-1) + 0.5}. Every partial sum is then a multiple of 0.5 below
 * 2<sup>23</sup> in magnitude (checked per axis, {@link #exact}), so exact, and so after scaling by {@code 2^-p} (the
 * weights come scaled). And {@code floor(Y / 2^p)} of the integer {@code Y = lo + sum} is the integer nearest to
 * {@code (Y - 2^(p-1) + 0.5) / 2^p}, which is never half-way between two: adding 1.5 * 2<sup>23</sup> rounds to it
 * and leaves it in the low bits of the float. The result is those bits plus {@code hi}, clamped, without a
 * float-to-int conversion (JDK 17 has none for vectors).
 *
 * <p><b>Horizontal pass.</b> Where outputs are about as many as inputs (ViLT: 640 to 576 columns), a sum is computed
 * at every input position with the weights of the output whose window starts there (whole-vector loads), and each
 * output's sum is then picked by one gather per {@code LANES} outputs. Where the image shrinks more, each lane
 * gathers its own taps, as {@link VectorKernels#horizontal} does.
 *
 * <p><b>Compilation.</b> C2 stops inlining once a compilation has grown past its node limit, and a vector passed to a
 * method it did not inline is boxed, which makes a kernel slower than the scalar loops. So every loop is a {@link
 * Stage} of its own, all called through the one call site in {@link #run}, which sees too many classes for C2 to
 * inline any: each stage compiles on its own, within the limit. Helpers that take vectors stay within 35 bytes of
 * bytecode, which C2 inlines wherever they are called.
 */
final class FusedPatchKernel {
  private FusedPatchKernel() {}

  private static final VectorSpecies<Integer> INTS = VectorKernels.INTS;
  private static final VectorSpecies<Float> FLOATS = VectorKernels.FLOATS;
  private static final int LANES = VectorKernels.LANES;
  private static final int BYTES_LENGTH = VectorKernels.BYTES_LENGTH;
  /** 1.5 * 2<sup>23</sup>: added to a float below 2<sup>22</sup> in magnitude, rounds it to an integer. */
  private static final float MAGIC = 0x1.8p23f;
  private static final int MAGIC_BITS = Float.floatToIntBits(MAGIC);
  /** Flips the top bit of each byte: an unsigned 8-bit value {@code v} becomes the signed {@code v - 128}. */
  private static final int CENTRE = 0x80808080;

  /**
   * Whether the float sums of an axis are exact for any 8-bit input: every partial sum stays below 2<sup>23</sup>
   * in magnitude. True for PyTorch's 16-bit weights up to a shrink of about 2.5, false for PIL's 22-bit weights.
   */
  static boolean exact(int outSize, int ksize, int[] bounds, int[] weights, int precision) {
    if (precision < 1 || precision > 22) {
      return false;
    }
    Axis axis = new Axis(outSize, ksize, bounds, weights, precision, 0);
    for (int x = 0; x < outSize; x++) {
      long magnitude = 0;
      for (int t = 0; t < bounds[2 * x + 1]; t++) {
        magnitude += Math.abs(weights[x * ksize + t]);
      }
      if (Math.abs(axis.start[x] * (double) (1 << precision)) + 128.0 * magnitude >= 1 << 23) {
        return false;
      }
    }
    return true;
  }

  /**
   * The coefficients of one axis in float: weights scaled by {@code 2^-precision}; per output, where its sum starts
   * (scaled too) and what the rounded bits need added ({@code hi - MAGIC_BITS - centre}; {@code centre}: 128 to
   * leave the result centred, 0 for 0..255).
   */
  private static final class Axis {
    final int ksize;
    /** The most taps any output has (the kernel size can be larger: PIL's rounding leaves room). */
    final int taps;
    final int[] bounds;
    /** The fixed-point weights, as the scalar passes use them. */
    final int[] intWeights;
    final float[] weights;
    final float[] start;
    final int[] add;

    Axis(int outSize, int ksize, int[] bounds, int[] weights, int precision, int centre) {
      this.ksize = ksize;
      int most = 1;
      for (int x = 0; x < outSize; x++) {
        most = Math.max(most, bounds[2 * x + 1]);
      }
      this.taps = most;
      this.bounds = bounds;
      this.intWeights = weights;
      float scale = 1f / (1 << precision);
      this.weights = new float[weights.length];
      for (int i = 0; i < weights.length; i++) {
        this.weights[i] = weights[i] * scale;
      }
      start = new float[outSize];
      add = new int[outSize];
      for (int x = 0; x < outSize; x++) {
        long sum = 0;
        for (int t = 0; t < bounds[2 * x + 1]; t++) {
          sum += weights[x * ksize + t];
        }
        long c = 128 * sum + (1L << (precision - 1));
        long hi = Math.floorDiv(c, 1L << precision);
        long lo = c - (hi << precision);
        start[x] = (float) (lo - (1L << (precision - 1)) + 0.5) * scale;
        add[x] = (int) (hi - MAGIC_BITS - centre);
      }
    }
  }

  /**
   * The patch vectors of the image resized with these coefficients: {@code rows x cols} patches of {@code P x P},
   * from the horizontal coefficients of {@code cols * P} output columns and the vertical ones of {@code rows * P}
   * output rows (bounds in input pixels). P is a multiple of {@code LANES}, {@code cols * P} at least {@code 4 *
   * LANES}, and both axes are {@link #exact}. Written into {@code out} from {@code offset}, patch after patch.
   */
  static void patches(byte[] src, int inWidth, int hk, int[] hb, int[] hw, int hp, int vk, int[] vb, int[] vw,
      int vp, int rows, int cols, int p, float rescale, float[] mean, float[] std, float[] out, int offset) {
    int outW = cols * p;
    int outH = rows * p;
    Rows ring = new Rows(outW, cols, p, new Axis(outH, vk, vb, vw, vp, 0), out, offset);
    Stage[] vertical = new Stage[3];
    for (int c = 0; c < 3; c++) {
      vertical[c] = new Channel(ring, c, Normalization.of(rescale, mean[c], std[c]));
    }
    Axis h = new Axis(outW, hk, hb, hw, hp, 128);
    int shared = 0;
    for (int x = 1; x < outW; x++) {
      shared += hb[2 * x] == hb[2 * x - 2] ? 1 : 0;
    }
    int span = hb[2 * outW - 2] - hb[0] + 1;
    // Sums at every position cost span / outW times the taps; gathers cost more than that up to 1.5.
    Stage[] horizontal = shared <= 4 && span <= outW + outW / 2
        ? new Anchored(inWidth, outW, h, hp, ring).stages()
        : new Gathered(inWidth, outW, h, ring).stages();
    int next = vb[0];
    for (int yy = 0; yy < outH; yy++) {
      int end = vb[2 * yy] + vb[2 * yy + 1];
      for (int r = Math.max(next, vb[2 * yy]); r < end; r++) {
        run(horizontal, src, r);
      }
      next = Math.max(next, end);
      ring.select(yy);
      run(vertical, src, yy);
    }
  }

  /** Runs the stages in turn: the one call site of {@link Stage#run} (see the class comment). */
  private static void run(Stage[] stages, byte[] src, int r) {
    for (Stage stage : stages) {
      stage.run(src, r);
    }
  }

  /** One loop over a row. */
  private abstract static class Stage {
    /** Runs on input row {@code r} (horizontal stages) or output row {@code r} (vertical stages). */
    abstract void run(byte[] src, int r);
  }

  /** {@code round(u)} from its rounded bits, plus {@code add}, clamped to {@code lo..lo + 255}. */
  private static IntVector round(FloatVector u, IntVector add, int lo) {
    return u.add(MAGIC).reinterpretAsInts().add(add).max(lo).min(lo + 255);
  }

  private static FloatVector toFloat(IntVector v) {
    return (FloatVector) v.convertShape(VectorOperators.I2F, FLOATS, 0);
  }

  /** The channel that {@code pick} selects from pixels whose bytes hold {@code v - 128}, as floats. */
  private static FloatVector centred(ByteVector px, VectorShuffle<Byte> pick) {
    return toFloat((IntVector) px.rearrange(pick).convertShape(VectorOperators.B2I, INTS, 0));
  }

  /** The signed byte {@code shift} bits up from the bottom of each int (sign-extended), as floats. */
  private static FloatVector channel(IntVector px, int shift) {
    return toFloat(px.lanewise(VectorOperators.LSHL, 24 - shift).lanewise(VectorOperators.ASHR, 24));
  }

  /**
   * The ring of horizontal rows (three planes of {@code outW} centred floats per input row; row {@code r} in slot
   * {@code r % taps}: the vertical windows only move down and none is taller than that), the output (from
   * {@code offset}), and the vertical taps of the output row being computed.
   */
  private static final class Rows {
    final int outW;
    final Axis axis;
    final float[] ring;
    final float[] out;
    final int offset;
    /** Where each run of {@code LANES} output columns starts within its patch row. */
    final int[] chunks;
    final int cols;
    final int p;
    // The output row being computed: its taps (ring offsets and weights), start, add and place in the output.
    final int[] taps;
    final float[] tapWeights;
    int n;
    float start;
    int add;
    int base;

    Rows(int outW, int cols, int p, Axis axis, float[] out, int offset) {
      this.outW = outW;
      this.axis = axis;
      this.ring = new float[axis.taps * 3 * outW];
      this.out = out;
      this.offset = offset;
      this.chunks = new int[outW / LANES];
      for (int j = 0; j < chunks.length; j++) {
        int x = j * LANES;
        chunks[j] = (x / p) * 3 * p * p + x % p;
      }
      this.cols = cols;
      this.p = p;
      this.taps = new int[axis.taps];
      this.tapWeights = new float[axis.taps];
    }

    int slot(int r) {
      return (r % axis.taps) * 3 * outW;
    }

    void select(int yy) {
      int first = axis.bounds[2 * yy];
      n = axis.bounds[2 * yy + 1];
      for (int t = 0; t < n; t++) {
        taps[t] = slot(first + t);
        tapWeights[t] = axis.weights[yy * axis.ksize + t];
      }
      start = axis.start[yy];
      add = axis.add[yy];
      base = offset + (yy / p) * cols * 3 * p * p + (yy % p) * p;
    }
  }

  /**
   * Rescale and normalize of one channel: {@code ((float) v * rescale - mean) / std} as the scalar table has it
   * ({@link VectorKernels#normalizeRun}), or the same times {@code 1 / std} where that gives the same float for all
   * 256 values (ViT's and ViLT's 0.5 does, CLIP's do not): a vector division costs several cycles.
   */
  private record Normalization(float rescale, float mean, float std, boolean multiply) {
    static Normalization of(float rescale, float mean, float std) {
      float inverse = 1f / std;
      boolean multiply = true;
      for (int v = 0; v < 256 && multiply; v++) {
        float rescaled = (float) (v * (double) rescale);
        multiply = Float.floatToIntBits((rescaled - mean) * inverse)
            == Float.floatToIntBits((rescaled - mean) / std);
      }
      return new Normalization(rescale, mean, std, multiply);
    }
  }

  /**
   * The vertical pass of one channel for the selected output row: the sums, rounded to 8 bits, normalized, into the
   * patch vectors. Two runs of {@code LANES} columns per step, sharing each tap's weight (one chain of fused
   * multiply-adds would wait on its own latency; four pass C2's node limit); the last step moves back to end at the
   * last run.
   */
  private static final class Channel extends Stage {
    private final Rows rows;
    private final int plane;
    private final int offset;
    private final Normalization norm;

    Channel(Rows rows, int c, Normalization norm) {
      this.rows = rows;
      this.plane = c * rows.outW;
      this.offset = c * rows.p * rows.p;
      this.norm = norm;
    }

    @Override
    void run(byte[] src, int yy) {
      float[] ring = rows.ring;
      float[] out = rows.out;
      int[] taps = rows.taps;
      float[] w = rows.tapWeights;
      int n = rows.n;
      int[] chunks = rows.chunks;
      int base = rows.base + offset;
      boolean multiply = norm.multiply();
      float rescale = norm.rescale();
      float mean = norm.mean();
      float std = norm.std();
      float inverse = 1f / std;
      FloatVector s = FloatVector.broadcast(FLOATS, rows.start);
      IntVector add = IntVector.broadcast(INTS, rows.add);
      int last = chunks.length - 2;
      for (int j = 0; ; j = Math.min(j + 2, last)) {
        FloatVector s0 = s;
        FloatVector s1 = s;
        int x = plane + j * LANES;
        for (int t = 0; t < n; t++) {
          FloatVector k = FloatVector.broadcast(FLOATS, w[t]);
          int o = taps[t] + x;
          s0 = FloatVector.fromArray(FLOATS, ring, o).fma(k, s0);
          s1 = FloatVector.fromArray(FLOATS, ring, o + LANES).fma(k, s1);
        }
        FloatVector v0 = toFloat(round(s0, add, 0)).mul(rescale).sub(mean);
        FloatVector v1 = toFloat(round(s1, add, 0)).mul(rescale).sub(mean);
        if (multiply) {
          v0 = v0.mul(inverse);
          v1 = v1.mul(inverse);
        } else {
          v0 = v0.div(std);
          v1 = v1.div(std);
        }
        v0.intoArray(out, base + chunks[j]);
        v1.intoArray(out, base + chunks[j + 1]);
        if (j == last) {
          break;
        }
      }
    }
  }

  /** What both horizontal passes know: the coefficients, the input columns they read, the ring they fill. */
  private abstract static class Horizontal {
    final int inWidth;
    final int outW;
    final Axis axis;
    final Rows rows;
    /** The input columns the outputs read: {@code from} to {@code to}. */
    final int from;
    final int to;

    Horizontal(int inWidth, int outW, Axis axis, Rows rows) {
      this.inWidth = inWidth;
      this.outW = outW;
      this.axis = axis;
      this.rows = rows;
      int lo = Integer.MAX_VALUE;
      int hi = 0;
      for (int x = 0; x < outW; x++) {
        lo = Math.min(lo, axis.bounds[2 * x]);
        hi = Math.max(hi, axis.bounds[2 * x] + axis.bounds[2 * x + 1]);
      }
      this.from = lo;
      this.to = Math.min(hi, inWidth);
    }

    abstract Stage[] stages();

    /**
     * Where whole vectors of {@code LANES} pixels from {@link #from} stop in the row at {@code row} of an array of
     * {@code length} bytes: each ends by {@link #to} and its load of {@code BYTES_LENGTH} bytes within the array.
     */
    final int vectorEnd(int row, int length) {
      int byColumns = (to - from) / LANES;
      int room = length - BYTES_LENGTH - row - 3 * from;
      int byBytes = room < 0 ? 0 : room / (3 * LANES) + 1;
      return from + Math.min(byColumns, byBytes) * LANES;
    }
  }

  /**
   * A sum at every input position {@code i} with the weights of the output whose window starts at {@code i} (zero
   * where none does), then each output's sum picked by a gather. Outputs whose window starts where an earlier one's
   * does are summed one by one.
   */
  private static final class Anchored extends Horizontal {
    private final int precision;
    /** Positions summed: a whole number of vectors from {@link #from}. */
    private final int span;
    /** Weights by tap, then position: {@code [taps][span]}. */
    private final float[] positionWeights;
    private final float[] starts;
    private final int[] adds;
    /** Each output's first pixel, relative to {@link #from}. */
    private final int[] anchors;
    private final int[] extras;
    /** The row's three channels as centred floats, planes of {@link #length}. */
    private final float[] planes;
    private final int length;
    /** The sums at every position, three planes of {@link #span}. */
    private final float[] sums;
    private final int[] packed;

    Anchored(int inWidth, int outW, Axis axis, int precision, Rows rows) {
      super(inWidth, outW, axis, rows);
      this.precision = precision;
      int k = axis.ksize;
      int[] bounds = axis.bounds;
      span = ((bounds[2 * outW - 2] - from) / (2 * LANES) + 1) * 2 * LANES;
      positionWeights = new float[axis.taps * span];
      starts = new float[span];
      adds = new int[span];
      anchors = new int[outW];
      int[] shared = new int[outW];
      int count = 0;
      boolean[] owned = new boolean[span];
      for (int x = 0; x < outW; x++) {
        int a = bounds[2 * x] - from;
        anchors[x] = a;
        if (owned[a]) {
          shared[count++] = x;
          continue;
        }
        owned[a] = true;
        starts[a] = axis.start[x];
        adds[a] = axis.add[x];
        for (int t = 0; t < bounds[2 * x + 1]; t++) {
          positionWeights[t * span + a] = axis.weights[x * k + t];
        }
      }
      extras = java.util.Arrays.copyOf(shared, count);
      length = span + axis.taps + 2 * LANES;
      planes = new float[3 * length];
      sums = new float[3 * span];
      packed = new int[span];
    }

    @Override
    Stage[] stages() {
      return new Stage[] {new Planes(), new Sums(), new Pack(), new Pick()};
    }

    /**
     * Columns {@code from..to} of an input row as three planes of centred floats: each channel picked from the
     * loaded pixels by one byte shuffle, its bytes already flipped to {@code v - 128}, then widened with sign.
     */
    private final class Planes extends Stage {
      @Override
      void run(byte[] src, int y) {
        int row = y * inWidth * 3;
        int end = vectorEnd(row, src.length);
        int x = from;
        int i = 0;
        for (; x < end; x += LANES, i += LANES) {
          ByteVector px = ByteVector.fromArray(VectorKernels.BYTES, src, row + 3 * x)
              .lanewise(VectorOperators.XOR, (byte) 0x80);
          centred(px, VectorKernels.R).intoArray(planes, i);
          centred(px, VectorKernels.G).intoArray(planes, length + i);
          centred(px, VectorKernels.B).intoArray(planes, 2 * length + i);
        }
        for (; x < to; x++, i++) {
          int s = row + 3 * x;
          planes[i] = (src[s] & 0xff) - 128;
          planes[length + i] = (src[s + 1] & 0xff) - 128;
          planes[2 * length + i] = (src[s + 2] & 0xff) - 128;
        }
      }
    }

    /**
     * The sums at every position, two vectors of positions per step: six chains of fused multiply-adds that overlap,
     * and the loop's index arithmetic and bounds checks shared by twice the work.
     */
    private final class Sums extends Stage {
      @Override
      void run(byte[] src, int y) {
        int k = axis.taps;
        float[] in = planes;
        float[] w = positionWeights;
        float[] out = sums;
        int g = length;
        int b = 2 * length;
        for (int i = 0; i < span; i += 2 * LANES) {
          FloatVector r0 = FloatVector.fromArray(FLOATS, starts, i);
          FloatVector r1 = FloatVector.fromArray(FLOATS, starts, i + LANES);
          FloatVector g0 = r0;
          FloatVector g1 = r1;
          FloatVector b0 = r0;
          FloatVector b1 = r1;
          for (int t = 0, wo = i, po = i; t < k; t++, wo += span, po++) {
            FloatVector w0 = FloatVector.fromArray(FLOATS, w, wo);
            FloatVector w1 = FloatVector.fromArray(FLOATS, w, wo + LANES);
            r0 = FloatVector.fromArray(FLOATS, in, po).fma(w0, r0);
            r1 = FloatVector.fromArray(FLOATS, in, po + LANES).fma(w1, r1);
            g0 = FloatVector.fromArray(FLOATS, in, g + po).fma(w0, g0);
            g1 = FloatVector.fromArray(FLOATS, in, g + po + LANES).fma(w1, g1);
            b0 = FloatVector.fromArray(FLOATS, in, b + po).fma(w0, b0);
            b1 = FloatVector.fromArray(FLOATS, in, b + po + LANES).fma(w1, b1);
          }
          r0.intoArray(out, i);
          r1.intoArray(out, i + LANES);
          g0.intoArray(out, span + i);
          g1.intoArray(out, span + i + LANES);
          b0.intoArray(out, 2 * span + i);
          b1.intoArray(out, 2 * span + i + LANES);
        }
      }
    }

    /** The sums rounded to 8 bits, packed R | G << 8 | B << 16 (centred, low bytes). */
    private final class Pack extends Stage {
      @Override
      void run(byte[] src, int y) {
        for (int i = 0; i < span; i += LANES) {
          IntVector add = IntVector.fromArray(INTS, adds, i);
          round(FloatVector.fromArray(FLOATS, sums, i), add, -128).and(0xff)
              .or(round(FloatVector.fromArray(FLOATS, sums, span + i), add, -128).and(0xff)
                  .lanewise(VectorOperators.LSHL, 8))
              .or(round(FloatVector.fromArray(FLOATS, sums, 2 * span + i), add, -128)
                  .lanewise(VectorOperators.LSHL, 16))
              .intoArray(packed, i);
        }
      }
    }

    /** Each output's sum, unpacked into the ring's three planes; outputs that share a window start, one by one. */
    private final class Pick extends Stage {
      @Override
      void run(byte[] src, int y) {
        float[] ring = rows.ring;
        int o = rows.slot(y);
        for (int x = 0; x < outW; x += LANES) {
          IntVector v = IntVector.fromArray(INTS, packed, 0, anchors, x);
          channel(v, 0).intoArray(ring, o + x);
          channel(v, 8).intoArray(ring, o + outW + x);
          channel(v, 16).intoArray(ring, o + 2 * outW + x);
        }
        int k = axis.ksize;
        for (int x : extras) {
          int a = anchors[x];
          int r = 1 << (precision - 1);
          int g = r;
          int b = r;
          for (int t = 0; t < axis.bounds[2 * x + 1]; t++) {
            int w = axis.intWeights[x * k + t];
            r += ((int) planes[a + t] + 128) * w;
            g += ((int) planes[length + a + t] + 128) * w;
            b += ((int) planes[2 * length + a + t] + 128) * w;
          }
          ring[o + x] = (Resampling.clip8(r, precision) & 0xff) - 128;
          ring[o + outW + x] = (Resampling.clip8(g, precision) & 0xff) - 128;
          ring[o + 2 * outW + x] = (Resampling.clip8(b, precision) & 0xff) - 128;
        }
      }
    }
  }

  /** Each lane gathers its own taps from the row spread to one int per pixel. */
  private static final class Gathered extends Horizontal {
    /** The row being summed, one int per pixel, each byte less 128 (see {@link #channel}). */
    private final int[] pixels;
    private final int[] first;
    private final int[] taps;
    private final float[] laneWeights;

    Gathered(int inWidth, int outW, Axis axis, Rows rows) {
      super(inWidth, outW, axis, rows);
      int k = axis.ksize;
      // Loads reach ksize - 1 pixels and a vector past the last one read: junk there, weighted zero.
      pixels = new int[to - from + k + 2 * LANES];
      int blocks = outW / LANES;
      first = new int[outW];
      taps = new int[blocks];
      laneWeights = new float[blocks * k * LANES];
      for (int x = 0; x < outW; x++) {
        int b = x / LANES;
        int n = axis.bounds[2 * x + 1];
        first[x] = axis.bounds[2 * x] - from;
        taps[b] = Math.max(taps[b], n);
        for (int t = 0; t < n; t++) {
          laneWeights[(b * k + t) * LANES + x % LANES] = axis.weights[x * k + t];
        }
      }
    }

    @Override
    Stage[] stages() {
      return new Stage[] {new Spread(), new Sums(), new Round()};
    }

    /** Spreads columns {@code from..to} of an input row into {@link #pixels}. */
    private final class Spread extends Stage {
      @Override
      void run(byte[] src, int y) {
        int row = y * inWidth * 3;
        int end = vectorEnd(row, src.length);
        int x = from;
        int i = 0;
        for (; x < end; x += LANES, i += LANES) {
          VectorKernels.spread(src, row + 3 * x).lanewise(VectorOperators.XOR, CENTRE).intoArray(pixels, i);
        }
        for (; x < to; x++, i++) {
          int s = row + 3 * x;
          pixels[i] = ((src[s] & 0xff) | (src[s + 1] & 0xff) << 8 | (src[s + 2] & 0xff) << 16) ^ CENTRE;
        }
      }
    }

    /** The sums, into the ring as they are. */
    private final class Sums extends Stage {
      @Override
      void run(byte[] src, int y) {
        float[] ring = rows.ring;
        int o = rows.slot(y);
        int k = axis.ksize;
        for (int b = 0, x = 0; b < taps.length; b++, x += LANES) {
          FloatVector r = FloatVector.fromArray(FLOATS, axis.start, x);
          FloatVector g = r;
          FloatVector bl = r;
          for (int t = 0, wb = b * k * LANES; t < taps[b]; t++, wb += LANES) {
            IntVector px = IntVector.fromArray(INTS, pixels, t, first, x);
            FloatVector w = FloatVector.fromArray(FLOATS, laneWeights, wb);
            r = channel(px, 0).fma(w, r);
            g = channel(px, 8).fma(w, g);
            bl = channel(px, 16).fma(w, bl);
          }
          r.intoArray(ring, o + x);
          g.intoArray(ring, o + outW + x);
          bl.intoArray(ring, o + 2 * outW + x);
        }
      }
    }

    /** The sums in the ring rounded to 8 bits (centred), in place. */
    private final class Round extends Stage {
      @Override
      void run(byte[] src, int y) {
        float[] ring = rows.ring;
        int o = rows.slot(y);
        for (int c = 0; c < 3; c++, o += outW) {
          for (int x = 0; x < outW; x += LANES) {
            IntVector add = IntVector.fromArray(INTS, axis.add, x);
            toFloat(round(FloatVector.fromArray(FLOATS, ring, o + x), add, -128)).intoArray(ring, o + x);
          }
        }
      }
    }
  }
}
