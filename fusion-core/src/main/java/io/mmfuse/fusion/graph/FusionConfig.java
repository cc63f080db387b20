package io.mmfuse.fusion.graph;

import io.mmfuse.api.InvalidConfigurationException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A whole fused model: its inputs, how they are fused, and the shared encoder.
 *
 * @param inputs the inputs, in the order their tokens are fused
 * @param fusion how the embedded inputs become one sequence ({@link FusionStrategies})
 * @param globalCls whether a learned global CLS token starts the fused sequence
 * @param modalityTypes whether a learned modality-type embedding (one per input) is added to its tokens
 * @param encoder the shared Transformer
 */
public record FusionConfig(
    List<InputConfig> inputs, FusionStrategy fusion, boolean globalCls, boolean modalityTypes, EncoderConfig encoder) {

  public FusionConfig {
    inputs = List.copyOf(inputs);
    if (inputs.isEmpty()) {
      throw new InvalidConfigurationException("a fused model needs at least one input");
    }
    if (fusion == null) {
      throw new InvalidConfigurationException("a fused model needs a fusion strategy");
    }
    Set<String> names = new HashSet<>();
    for (InputConfig in : inputs) {
      if (!names.add(in.name())) {
        throw new InvalidConfigurationException("input name '" + in.name() + "' is used twice");
      }
    }
  }

  /** The same model with another encoder arithmetic. */
  public FusionConfig withPrecision(io.mmfuse.api.proto.Precision p) {
    return new FusionConfig(inputs, fusion, globalCls, modalityTypes, encoder.withPrecision(p));
  }

  /** The same model as a bundle serves it ({@link EncoderConfig#forServing}): float32, no dropout. */
  public FusionConfig forServing() {
    return new FusionConfig(inputs, fusion, globalCls, modalityTypes, encoder.forServing());
  }

  /** Returns the input of that name. */
  public InputConfig input(String name) {
    return inputs.stream().filter(i -> i.name().equals(name)).findFirst()
        .orElseThrow(() -> new InvalidConfigurationException("the model has no input '" + name + "'"));
  }
}
