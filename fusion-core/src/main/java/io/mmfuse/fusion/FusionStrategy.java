package io.mmfuse.fusion;

import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * How embedded inputs become one sequence. Strategies are found with {@link java.util.ServiceLoader} (list an
 * implementation in {@code META-INF/services/io.mmfuse.fusion.FusionStrategy}); {@code concat} and {@code add} are
 * built in.
 */
public interface FusionStrategy {

  /** The name a spec selects the strategy by. */
  String name();

  /** Checks, before any graph is built, that the inputs can be fused this way; throws naming what does not fit. */
  void validate(FusionConfig config);

  /**
   * Fuses the embedded inputs (each {@code [B, T_i, H]} with a mask {@code [B, T_i]}, 1 for a real token) into one
   * sequence and its mask. {@code globalCls}, when not null, is the learned {@code [B, 1, H]} token to put first.
   */
  Fused fuse(Ops tf, List<Embedded> inputs, Operand<TFloat32> globalCls);

  /** One embedded input. */
  record Embedded(String name, Operand<TFloat32> embeddings, Operand<TFloat32> mask) {}

  /** The fused sequence {@code [B, L, H]} and its mask {@code [B, L]}. */
  record Fused(Operand<TFloat32> embeddings, Operand<TFloat32> mask) {}
}
