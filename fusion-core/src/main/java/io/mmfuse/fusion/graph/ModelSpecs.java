package io.mmfuse.fusion.graph;

import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.api.TokenSpace;
import io.mmfuse.api.proto.Activation;
import io.mmfuse.api.proto.BackboneSpec;
import io.mmfuse.api.proto.InputSpec;
import io.mmfuse.api.proto.MissingInput;
import io.mmfuse.api.proto.ModelSpec;
import io.mmfuse.api.proto.NormPlacement;
import io.mmfuse.api.proto.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Turns a model spec and its inputs' token spaces into the fused model's configuration, the same way every time. */
public final class ModelSpecs {
  private ModelSpecs() {}

  /** The fusion of the default backbone for a model of several inputs (see docs/fusion.md for the measurements). */
  public static final String DEFAULT_FUSION = LateFusion.NAME;

  /** The backbone used when a spec gives none: small enough to train on two cores; concat fusion. */
  public static BackboneSpec defaultBackbone() {
    return BackboneSpec.newBuilder().setWidth(64).setLayers(2).setHeads(4).setFfnWidth(128).setNorm(NormPlacement.PRE)
        .setActivation(Activation.GELU).setDropout(0.1f).setAttentionDropout(0.0f).setFusion("concat")
        .setLayerNormEps(1e-6f).setFinalLayerNorm(true).build();
  }

  /**
   * The backbone used when a spec of {@code inputs} inputs gives none: {@link #defaultBackbone()}, with {@link
   * #DEFAULT_FUSION} where there are two inputs or more (on real data, early fusion did worse than either input
   * alone, late fusion as well as the better one).
   */
  public static BackboneSpec defaultBackbone(int inputs) {
    BackboneSpec b = defaultBackbone();
    return inputs >= 2 ? b.toBuilder().setFusion(DEFAULT_FUSION).build() : b;
  }

  /** The spec with a backbone filled in, for its inputs, where it had none. */
  public static ModelSpec withDefaults(ModelSpec spec) {
    ModelSpec.Builder b = spec.toBuilder();
    if (!spec.hasBackbone()) {
      b.setBackbone(defaultBackbone(spec.getInputsCount()));
    }
    return b.build();
  }

  /** The encoder a backbone spec describes. */
  public static EncoderConfig encoder(BackboneSpec b) {
    return new EncoderConfig(b.getWidth(), b.getLayers(), b.getHeads(), b.getFfnWidth(),
        b.getNorm() != NormPlacement.POST, b.getActivation(), b.getLayerNormEps() > 0 ? b.getLayerNormEps() : 1e-6f,
        b.getDropout(), b.getAttentionDropout(), b.getFinalLayerNorm(), b.getPooler(), b.getPrecision());
  }

  /** The fused model of a spec whose inputs tokenize into these spaces, fused by a strategy of {@code fusions}. */
  public static FusionConfig fusionConfig(ModelSpec spec, Map<String, TokenSpace> spaces, FusionStrategies fusions) {
    List<InputConfig> inputs = new ArrayList<>();
    for (InputSpec in : spec.getInputsList()) {
      TokenSpace space = spaces.get(in.getName());
      if (space == null) {
        throw new InvalidConfigurationException("input '" + in.getName() + "' has no tokenizer");
      }
      inputs.add(InputConfig.of(in.getName(), space, false).withEmbeddingNorm(true)
          .withMissingToken(in.getMissing() == MissingInput.MISSING_TOKEN));
    }
    BackboneSpec b = spec.getBackbone();
    FusionStrategy fusion = fusions.get(b.getFusion().isEmpty() ? "concat" : b.getFusion());
    return new FusionConfig(inputs, fusion, true, inputs.size() > 1, encoder(b));
  }

  /** Number of head outputs: classes, or regression outputs (1 by default). */
  public static int outputs(ModelSpec spec) {
    if (spec.getHead().getTask() == Task.REGRESSION) {
      return Math.max(1, spec.getHead().getOutputs());
    }
    return spec.getHead().getClassesCount();
  }
}
