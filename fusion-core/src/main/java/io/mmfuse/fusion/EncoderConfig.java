package io.mmfuse.fusion;

import io.mmfuse.api.InvalidConfigurationException;

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

  /** The arithmetic of the encoder's matrix products. */
  public enum Precision {
    /** float32 everywhere. */
    FLOAT32,
    /**
     * bfloat16 operands for every matrix product (input projections, Q/K/V, attention scores and context, output,
     * feed-forward), float32 master weights and results; LayerNorm, softmax, residual sums, the head and the loss in
     * float32.
     */
    MIXED_BFLOAT16
  }

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

  /** Feed-forward activations. */
  public enum Activation {
    GELU,
    GELU_TANH,
    RELU
  }

  public EncoderConfig {
    if (precision == null) {
      throw new InvalidConfigurationException("encoder: precision is null");
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
