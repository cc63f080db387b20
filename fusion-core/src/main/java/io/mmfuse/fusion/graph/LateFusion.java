package io.mmfuse.fusion.graph;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * Late fusion ({@code fusion: "late"}): the shared encoder sees each input on its own (attention stays within an
 * input's tokens), each input is pooled by the mean of its real tokens, and a small head (dense + tanh over the
 * pooled vectors side by side) makes the one vector the task head reads. The inputs meet only there, as in the
 * default multimodal model of AutoGluon; a missing input contributes its learned missing token. Bound by
 * fusion-core's own plugin, through the same mechanism as any other strategy.
 */
public final class LateFusion implements FusionStrategy {
  /** The name a spec selects it by. */
  public static final String NAME = "late";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void validate(FusionConfig config) {}

  @Override
  public Fused fuse(Ops tf, List<Embedded> inputs, Operand<TFloat32> globalCls) {
    int[] own = new int[inputs.size()];
    for (int i = 0; i < own.length; i++) {
      own[i] = i;
    }
    Segmented s = segmented(tf, inputs, globalCls, own);
    int n = inputs.size();
    Pooling pooling = (ops, graph, hidden, m) -> pool(ops, graph, hidden, m, s.segment(), n);
    return new Fused(s.embeddings(), s.mask(), s.allowed(), pooling);
  }

  /**
   * Inputs side by side with attention kept within a segment.
   *
   * @param embeddings the fused sequence [B, L, H]
   * @param mask its mask [B, L]
   * @param segment per fused token, its segment (-1 for the global CLS, which then only sees itself) [L]
   * @param allowed 1 where two tokens share a segment [L, L]
   */
  record Segmented(Operand<TFloat32> embeddings, Operand<TFloat32> mask, Operand<TFloat32> segment,
      Operand<TFloat32> allowed) {}

  /** The inputs concatenated, input i in segment {@code segmentOf[i]}, each token seeing only its segment's. */
  static Segmented segmented(Ops tf, List<Embedded> inputs, Operand<TFloat32> globalCls, int[] segmentOf) {
    List<Operand<TFloat32>> parts = new ArrayList<>();
    List<Operand<TFloat32>> masks = new ArrayList<>();
    List<Operand<TFloat32>> segments = new ArrayList<>();
    if (globalCls != null) {
      parts.add(globalCls);
      masks.add(firstColumn(tf, inputs.get(0).mask()));
      segments.add(tf.constant(new float[] {-1f}));
    }
    for (int i = 0; i < inputs.size(); i++) {
      Embedded e = inputs.get(i);
      parts.add(e.embeddings());
      masks.add(e.mask());
      // [T_i] filled with the segment: the first row of the mask times zero, plus the segment.
      Operand<TFloat32> row = tf.reshape(tf.slice(e.mask(), tf.constant(new int[] {0, 0}),
          tf.constant(new int[] {1, -1})), tf.constant(new int[] {-1}));
      segments.add(tf.math.add(tf.math.mul(row, tf.constant(0f)), tf.constant((float) segmentOf[i])));
    }
    Operand<TFloat32> x = parts.size() == 1 ? parts.get(0) : tf.concat(parts, tf.constant(1));
    Operand<TFloat32> mask = masks.size() == 1 ? masks.get(0) : tf.concat(masks, tf.constant(1));
    Operand<TFloat32> segment = segments.size() == 1 ? segments.get(0) : tf.concat(segments, tf.constant(0));
    Operand<TFloat32> allowed = tf.dtypes.cast(tf.math.equal(tf.expandDims(segment, tf.constant(1)),
        tf.expandDims(segment, tf.constant(0))), TFloat32.class);
    return new Segmented(x, mask, segment, allowed);
  }

  /** The mean of the hidden states of segment {@code s}'s real tokens [B, H]. */
  static Operand<TFloat32> segmentMean(Ops tf, Operand<TFloat32> hidden, Operand<TFloat32> mask,
      Operand<TFloat32> segment, int s) {
    Operand<TFloat32> in = tf.dtypes.cast(tf.math.equal(segment, tf.constant((float) s)), TFloat32.class);
    Operand<TFloat32> w = tf.math.mul(mask, in);
    Operand<TFloat32> sum = tf.reduceSum(tf.math.mul(hidden, tf.expandDims(w, tf.constant(-1))), tf.constant(1));
    Operand<TFloat32> count = tf.math.maximum(tf.reduceSum(w, tf.constant(1),
        org.tensorflow.op.core.ReduceSum.keepDims(true)), tf.constant(1f));
    return tf.math.div(sum, count);
  }

  private static Operand<TFloat32> firstColumn(Ops tf, Operand<TFloat32> mask) {
    return tf.onesLike(tf.slice(mask, tf.constant(new int[] {0, 0}), tf.constant(new int[] {-1, 1})));
  }

  /** Masked mean per input, side by side [B, n*H], then dense to [B, H] and tanh. */
  private static Operand<TFloat32> pool(Ops tf, FusionGraph graph, Operand<TFloat32> hidden, Operand<TFloat32> mask,
      Operand<TFloat32> segment, int n) {
    int h = graph.config().encoder().width();
    List<Operand<TFloat32>> pooled = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      pooled.add(segmentMean(tf, hidden, mask, segment, i));
    }
    Operand<TFloat32> side = pooled.size() == 1 ? pooled.get(0) : tf.concat(pooled, tf.constant(1));
    Variable<TFloat32> kernel = graph.addParameter("late/pool/kernel", true, (long) n * h, h);
    Variable<TFloat32> bias = graph.addParameter("late/pool/bias", false, h);
    return tf.math.tanh(tf.nn.biasAdd(tf.linalg.matMul(side, kernel), bias));
  }
}
