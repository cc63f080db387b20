package io.mmfuse.api;

/** How the tokens of a sequence are embedded. */
public enum TokenKind {
  /**
   * Each token is an id into an embedding table (text, categorical cells). An optional scale per token multiplies
   * the embedding (numeric table cells, FT-Transformer style).
   */
  DISCRETE,
  /** Each token is a feature vector of a fixed width, projected by a learned matrix (image patches). */
  CONTINUOUS
}
