package io.mmfuse.fusion.train;

import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.api.TokenSpace;
import io.mmfuse.api.proto.Activation;
import io.mmfuse.api.proto.BackboneSpec;
import io.mmfuse.api.proto.FusionMode;
import io.mmfuse.api.proto.InputSpec;
import io.mmfuse.api.proto.MissingInput;
import io.mmfuse.api.proto.ModelSpec;
import io.mmfuse.api.proto.NormPlacement;
import io.mmfuse.api.proto.Task;
import io.mmfuse.fusion.EncoderConfig;
import io.mmfuse.fusion.FusionConfig;
import io.mmfuse.fusion.InputConfig;
import io.mmfuse.fusion.TaskModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Turns a model spec and its inputs' token spaces into the fused model's configuration, the same way every time. */
public final class ModelSpecs {
  private ModelSpecs() {}

  /** The backbone used when a spec gives none: small enough to train on two cores. */
  public static BackboneSpec defaultBackbone() {
    return BackboneSpec.newBuilder().setWidth(64).setLayers(2).setHeads(4).setFfnWidth(128).setNorm(NormPlacement.PRE)
        .setActivation(Activation.GELU).setDropout(0.1f).setAttentionDropout(0.0f).setFusion(FusionMode.CONCAT)
        .setLayerNormEps(1e-6f).setFinalLayerNorm(true).build();
  }

  /** The spec with a backbone filled in where it had none. */
  public static ModelSpec withDefaults(ModelSpec spec) {
    ModelSpec.Builder b = spec.toBuilder();
    if (!spec.hasBackbone()) {
      b.setBackbone(defaultBackbone());
    }
    return b.build();
  }

  public static EncoderConfig encoder(BackboneSpec b) {
    EncoderConfig.Activation a = switch (b.getActivation()) {
      case GELU_TANH -> EncoderConfig.Activation.GELU_TANH;
      case RELU -> EncoderConfig.Activation.RELU;
      default -> EncoderConfig.Activation.GELU;
    };
    return new EncoderConfig(b.getWidth(), b.getLayers(), b.getHeads(), b.getFfnWidth(),
        b.getNorm() != NormPlacement.POST, a, b.getLayerNormEps() > 0 ? b.getLayerNormEps() : 1e-6f,
        b.getDropout(), b.getAttentionDropout(), b.getFinalLayerNorm(), b.getPooler(),
        b.getPrecision() == io.mmfuse.api.proto.Precision.MIXED_BFLOAT16
            ? EncoderConfig.Precision.MIXED_BFLOAT16 : EncoderConfig.Precision.FLOAT32);
  }

  /** The fused model of a spec whose inputs tokenize into these spaces. */
  public static FusionConfig fusionConfig(ModelSpec spec, Map<String, TokenSpace> spaces) {
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
    String fusion = b.getFusion() == FusionMode.ADD ? "add" : "concat";
    return new FusionConfig(inputs, fusion, true, inputs.size() > 1, encoder(b));
  }

  public static TaskModel.Task task(ModelSpec spec) {
    return switch (spec.getHead().getTask()) {
      case MULTI_LABEL -> TaskModel.Task.MULTI_LABEL;
      case REGRESSION -> TaskModel.Task.REGRESSION;
      default -> TaskModel.Task.CLASSIFICATION;
    };
  }

  /** Number of head outputs: classes, or regression outputs (1 by default). */
  public static int outputs(ModelSpec spec) {
    if (spec.getHead().getTask() == Task.REGRESSION) {
      return Math.max(1, spec.getHead().getOutputs());
    }
    return spec.getHead().getClassesCount();
  }
}
