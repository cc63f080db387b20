package io.mmfuse.fusion.graph;

import io.mmfuse.api.InvalidConfigurationException;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * The two sides of a contrastive pair through one shared encoder: attention stays within a side's tokens (so each
 * side is encoded as if alone, the inputs of one side together), and each side is pooled by the mean of its real
 * tokens. The pooled output is {@code [B, 2H]}: side A's vector, then side B's. Chosen by the contrastive task, not
 * by a spec's {@code fusion}. With two towers the graph builder encodes each side with its own encoder instead.
 */
public final class SideFusion implements FusionStrategy {
  private final int[] sides;
  private final int towers;

  /** {@code sides[i]} is the side (0: A, 1: B) of the model's i-th input; one tower. */
  public SideFusion(int[] sides) {
    this(sides, 1);
  }

  /**
   * {@code towers}: 1, the shared encoder for both sides; 2, one encoder per side, of the same shape (side B's
   * parameters under {@code tower_b/}).
   */
  public SideFusion(int[] sides, int towers) {
    if (towers != 1 && towers != 2) {
      throw new InvalidConfigurationException("a contrastive model has 1 or 2 towers, not " + towers);
    }
    this.sides = sides.clone();
    this.towers = towers;
  }

  public int towers() {
    return towers;
  }

  /** The side of the model's i-th input. */
  public int side(int input) {
    return sides[input];
  }

  @Override
  public String name() {
    return "contrastive sides";
  }

  @Override
  public void validate(FusionConfig config) {
    if (config.inputs().size() != sides.length) {
      throw new InvalidConfigurationException("contrastive sides: " + sides.length + " sides for "
          + config.inputs().size() + " inputs");
    }
  }

  @Override
  public Fused fuse(Ops tf, List<Embedded> inputs, Operand<TFloat32> globalCls) {
    List<Operand<TFloat32>> parts = new ArrayList<>();
    List<Operand<TFloat32>> masks = new ArrayList<>();
    List<Operand<TFloat32>> segments = new ArrayList<>();
    if (globalCls != null) {
      parts.add(globalCls);
      masks.add(tf.onesLike(tf.slice(inputs.get(0).mask(), tf.constant(new int[] {0, 0}),
          tf.constant(new int[] {-1, 1}))));
      segments.add(tf.constant(new float[] {-1f}));
    }
    for (int i = 0; i < inputs.size(); i++) {
      Embedded e = inputs.get(i);
      parts.add(e.embeddings());
      masks.add(e.mask());
      Operand<TFloat32> row = tf.reshape(tf.slice(e.mask(), tf.constant(new int[] {0, 0}),
          tf.constant(new int[] {1, -1})), tf.constant(new int[] {-1}));
      segments.add(tf.math.add(tf.math.mul(row, tf.constant(0f)), tf.constant((float) sides[i])));
    }
    Operand<TFloat32> x = parts.size() == 1 ? parts.get(0) : tf.concat(parts, tf.constant(1));
    Operand<TFloat32> mask = masks.size() == 1 ? masks.get(0) : tf.concat(masks, tf.constant(1));
    Operand<TFloat32> segment = segments.size() == 1 ? segments.get(0) : tf.concat(segments, tf.constant(0));
    Operand<TFloat32> allowed = tf.dtypes.cast(tf.math.equal(tf.expandDims(segment, tf.constant(1)),
        tf.expandDims(segment, tf.constant(0))), TFloat32.class);
    Pooling pooling = (ops, graph, hidden, m) -> {
      List<Operand<TFloat32>> pooled = new ArrayList<>();
      for (int side = 0; side < 2; side++) {
        Operand<TFloat32> in = ops.dtypes.cast(ops.math.equal(segment, ops.constant((float) side)), TFloat32.class);
        Operand<TFloat32> w = ops.math.mul(m, in);
        Operand<TFloat32> sum = ops.reduceSum(ops.math.mul(hidden, ops.expandDims(w, ops.constant(-1))),
            ops.constant(1));
        Operand<TFloat32> count = ops.math.maximum(ops.reduceSum(w, ops.constant(1),
            org.tensorflow.op.core.ReduceSum.keepDims(true)), ops.constant(1f));
        pooled.add(ops.math.div(sum, count));
      }
      return ops.concat(pooled, ops.constant(1));
    };
    return new Fused(x, mask, allowed, pooling);
  }
}
