package io.mmfuse.fusion.graph;

import io.mmfuse.api.InvalidConfigurationException;
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
    LateFusion.Segmented s = LateFusion.segmented(tf, inputs, globalCls, sides);
    Pooling pooling = (ops, graph, hidden, m) -> ops.concat(List.of(
        LateFusion.segmentMean(ops, hidden, m, s.segment(), 0), LateFusion.segmentMean(ops, hidden, m, s.segment(), 1)),
        ops.constant(1));
    return new Fused(s.embeddings(), s.mask(), s.allowed(), pooling);
  }
}
