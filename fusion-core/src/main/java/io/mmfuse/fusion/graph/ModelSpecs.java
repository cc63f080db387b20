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
    if (spec.getHead().getTask() == io.mmfuse.api.proto.Task.CONTRASTIVE) {
      return new FusionConfig(inputs, new SideFusion(sides(spec), Math.max(1, b.getTowers())), false,
          inputs.size() > 1, encoder(b));
    }
    FusionStrategy fusion = fusions.get(b.getFusion().isEmpty() ? "concat" : b.getFusion());
    return new FusionConfig(inputs, fusion, true, inputs.size() > 1, encoder(b));
  }

  /** Per input of a contrastive spec, its side: 0 (side_a) or 1 (side_b); every input must be on exactly one. */
  public static int[] sides(ModelSpec spec) {
    io.mmfuse.api.proto.HeadSpec h = spec.getHead();
    if (h.getSideACount() == 0 || h.getSideBCount() == 0) {
      throw new InvalidConfigurationException("a contrastive head needs inputs on both sides (head { side_a: ..."
          + " side_b: ... }, or --pair A,B)");
    }
    int[] sides = new int[spec.getInputsCount()];
    java.util.Set<String> names = new java.util.HashSet<>();
    for (int i = 0; i < sides.length; i++) {
      String n = spec.getInputs(i).getName();
      names.add(n);
      boolean a = h.getSideAList().contains(n);
      boolean bSide = h.getSideBList().contains(n);
      if (a == bSide) {
        throw new InvalidConfigurationException("contrastive input '" + n + "' must be on exactly one side; side_a: "
            + h.getSideAList() + ", side_b: " + h.getSideBList());
      }
      sides[i] = a ? 0 : 1;
    }
    for (String n : h.getSideAList()) {
      if (!names.contains(n)) {
        throw new InvalidConfigurationException("contrastive side_a names '" + n + "', which is not an input");
      }
    }
    for (String n : h.getSideBList()) {
      if (!names.contains(n)) {
        throw new InvalidConfigurationException("contrastive side_b names '" + n + "', which is not an input");
      }
    }
    return sides;
  }

  /** Number of head outputs: classes, or regression outputs (1 by default). */
  public static int outputs(ModelSpec spec) {
    if (spec.getHead().getTask() == Task.REGRESSION) {
      return Math.max(1, spec.getHead().getOutputs());
    }
    if (spec.getHead().getTask() == Task.CONTRASTIVE) {
      return 1;
    }
    return spec.getHead().getClassesCount();
  }
}
