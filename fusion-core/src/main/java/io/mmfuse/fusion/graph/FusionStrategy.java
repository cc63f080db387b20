package io.mmfuse.fusion.graph;

import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * How embedded inputs become one sequence. {@code concat} and {@code add} are built in; a plugin adds its own from
 * its Guice module with {@link FusionStrategies#bind(com.google.inject.Binder)}, and a spec chooses one by name
 * ({@code backbone { fusion: "NAME" }}).
 */
public interface FusionStrategy {

  /** The name a spec selects the strategy by. */
  String name();

  /** Checks, before any graph is built, that the inputs can be fused this way; throws naming what does not fit. */
  void validate(FusionConfig config);

  /**
   * Checks, before a batch is run, that the inputs' lengths in this batch (tokens per example, padded) can be fused;
   * throws an {@link io.mmfuse.api.InvalidInputException} naming the inputs when not. Most strategies take any.
   */
  default void validateLengths(java.util.Map<String, Integer> lengths) {}

  /**
   * Fuses the embedded inputs (each {@code [B, T_i, H]} with a mask {@code [B, T_i]}, 1 for a real token) into one
   * sequence and its mask. {@code globalCls}, when not null, is the learned {@code [B, 1, H]} token to put first.
   */
  Fused fuse(Ops tf, List<Embedded> inputs, Operand<TFloat32> globalCls);

  /** One embedded input. */
  record Embedded(String name, Operand<TFloat32> embeddings, Operand<TFloat32> mask) {}

  /**
   * The fused sequence {@code [B, L, H]} and its mask {@code [B, L]}; optionally which token may attend to which
   * ({@code allowed}, {@code [L, L]}, 1 where query row i may see key column j, shared by the batch; null: every real
   * token sees every other) and how the encoder's output is pooled for the head ({@code pooling}; null: the first
   * token through the pooler).
   */
  record Fused(Operand<TFloat32> embeddings, Operand<TFloat32> mask, Operand<TFloat32> allowed, Pooling pooling) {
    /** Full attention, the default pooling. */
    public Fused(Operand<TFloat32> embeddings, Operand<TFloat32> mask) {
      this(embeddings, mask, null, null);
    }
  }

  /** Pools the encoder's last hidden state for the head, in place of the default pooler. */
  @FunctionalInterface
  interface Pooling {
    /**
     * Returns the {@code [B, H]} vector the task head reads, from the last hidden state {@code [B, L, H]} and the
     * fused mask {@code [B, L]}; new learned tensors come from {@link FusionGraph#addParameter}.
     */
    Operand<TFloat32> pool(Ops tf, FusionGraph graph, Operand<TFloat32> lastHiddenState, Operand<TFloat32> mask);
  }
}
