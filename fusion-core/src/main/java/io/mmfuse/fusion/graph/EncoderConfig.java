package io.mmfuse.fusion.graph;

import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.api.proto.Activation;
import io.mmfuse.api.proto.Precision;

/**
 * The shared Transformer encoder.
 *
 * @param width hidden size
 * @param layers number of layers
 * @param heads attention heads (width must be a multiple)
 * @param ffnWidth feed-forward inner width
 * @param preNorm LayerNorm before attention and feed-forward (ViT, ViLT) instead of after the residual sum (BERT)
 * @param activation the feed-forward activation
 * @param layerNormEps LayerNorm epsilon
 * @param dropout dropout on embeddings, attention output and feed-forward output (training only)
 * @param attentionDropout dropout on attention probabilities (training only)
 * @param finalNorm a LayerNorm after the last layer
 * @param pooler dense + tanh on the first token
 * @param precision the arithmetic of the matrix products
 */
public record EncoderConfig(
    int width,
    int layers,
    int heads,
    int ffnWidth,
    boolean preNorm,
    Activation activation,
    float layerNormEps,
    float dropout,
    float attentionDropout,
    boolean finalNorm,
    boolean pooler,
    Precision precision) {

  /** A float32 encoder. */
  public EncoderConfig(int width, int layers, int heads, int ffnWidth, boolean preNorm, Activation activation,
      float layerNormEps, float dropout, float attentionDropout, boolean finalNorm, boolean pooler) {
    this(width, layers, heads, ffnWidth, preNorm, activation, layerNormEps, dropout, attentionDropout, finalNorm,
        pooler, Precision.FLOAT32);
  }

  /** The same encoder with another arithmetic. */
  public EncoderConfig withPrecision(Precision p) {
    return new EncoderConfig(width, layers, heads, ffnWidth, preNorm, activation, layerNormEps, dropout,
        attentionDropout, finalNorm, pooler, p);
  }

  /**
   * The encoder a bundle serves with: float32, no dropout. Dropout is the identity outside training, but its ops
   * (a random draw the size of each tensor it masks, the attention probabilities among them) still run in a graph
   * built with it: at rate 0.1 they made mm-small's predictions about a third slower.
   */
  public EncoderConfig forServing() {
    return new EncoderConfig(width, layers, heads, ffnWidth, preNorm, activation, layerNormEps, 0f, 0f, finalNorm,
        pooler, Precision.FLOAT32);
  }

  public EncoderConfig {
    // A graph's arithmetic is concrete: AUTO is resolved for the machine (io.mmfuse.runtime.PrecisionPolicy) before a
    // graph is built, and a graph built without that is float32.
    if (precision == null || precision == Precision.PRECISION_UNSPECIFIED || precision == Precision.AUTO) {
      precision = Precision.FLOAT32;
    }
    if (precision == Precision.UNRECOGNIZED) {
      throw new InvalidConfigurationException("encoder: precision is not one this version knows");
    }
    if (activation == null || activation == Activation.ACTIVATION_UNSPECIFIED) {
      activation = Activation.GELU;
    }
    if (activation == Activation.UNRECOGNIZED) {
      throw new InvalidConfigurationException("encoder: activation is not one this version knows");
    }
    if (width <= 0 || heads <= 0 || ffnWidth <= 0 || layers < 0) {
      throw new InvalidConfigurationException(
          "encoder: width, heads and ffn width must be > 0 and layers >= 0; found width " + width + ", heads "
              + heads + ", ffn " + ffnWidth + ", layers " + layers);
    }
    if (width % heads != 0) {
      throw new InvalidConfigurationException("encoder: width " + width + " is not divisible by " + heads + " heads");
    }
    if (dropout < 0 || dropout >= 1 || attentionDropout < 0 || attentionDropout >= 1) {
      throw new InvalidConfigurationException("encoder: dropout rates must be in [0, 1)");
    }
  }
}
