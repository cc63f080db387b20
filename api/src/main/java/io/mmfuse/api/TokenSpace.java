package io.mmfuse.api;

import io.mmfuse.api.proto.PositionLayout;
import io.mmfuse.api.proto.TokenKind;
import java.util.Objects;

/**
 * What the fusion layer needs to know to embed the sequences a tokenizer produces: their kind, the vocabulary size
 * or feature width, the longest sequence, and how positions are laid out.
 *
 * @param modality the modality name
 * @param kind discrete ids or continuous feature vectors
 * @param vocabularySize number of distinct ids (discrete), 0 for continuous tokens
 * @param featureWidth width of each feature vector (continuous), 0 for discrete tokens
 * @param scaled whether discrete tokens carry a scale that multiplies their embedding
 * @param maxLength the most tokens one sequence may have (the size of the position table)
 * @param layout sequence indices or grid coordinates
 * @param gridRows rows of the position grid (GRID layout), 0 otherwise
 * @param gridColumns columns of the position grid (GRID layout), 0 otherwise
 * @param segmentCount number of segment ids (2 for sentence pairs), 0 when the sequences carry none
 */
public record TokenSpace(
    String modality,
    TokenKind kind,
    int vocabularySize,
    int featureWidth,
    boolean scaled,
    int maxLength,
    PositionLayout layout,
    int gridRows,
    int gridColumns,
    int segmentCount) {

  public TokenSpace {
    Objects.requireNonNull(modality, "modality");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(layout, "layout");
    if (kind != TokenKind.DISCRETE && kind != TokenKind.CONTINUOUS) {
      throw new InvalidConfigurationException("token space of '" + modality + "': kind must be DISCRETE or"
          + " CONTINUOUS, found " + kind);
    }
    if (layout != PositionLayout.SEQUENCE && layout != PositionLayout.GRID) {
      throw new InvalidConfigurationException("token space of '" + modality + "': layout must be SEQUENCE or GRID,"
          + " found " + layout);
    }
    if (kind == TokenKind.DISCRETE && vocabularySize <= 0) {
      throw new InvalidConfigurationException(
          "token space of '" + modality + "': discrete tokens need a vocabulary size > 0, found " + vocabularySize);
    }
    if (kind == TokenKind.CONTINUOUS && featureWidth <= 0) {
      throw new InvalidConfigurationException(
          "token space of '" + modality + "': continuous tokens need a feature width > 0, found " + featureWidth);
    }
    if (maxLength <= 0) {
      throw new InvalidConfigurationException(
          "token space of '" + modality + "': maximum length must be > 0, found " + maxLength);
    }
    if (layout == PositionLayout.GRID && (gridRows <= 0 || gridColumns <= 0)) {
      throw new InvalidConfigurationException(
          "token space of '" + modality + "': a grid layout needs rows and columns > 0, found "
              + gridRows + "x" + gridColumns);
    }
    if (segmentCount < 0) {
      throw new InvalidConfigurationException(
          "token space of '" + modality + "': segment count must be >= 0, found " + segmentCount);
    }
  }

  /** A space of discrete ids each scaled by a value of its own (numeric table cells), with 1-D positions. */
  public static TokenSpace scaledDiscrete(String modality, int vocabularySize, int maxLength) {
    return new TokenSpace(
        modality, TokenKind.DISCRETE, vocabularySize, 0, true, maxLength, PositionLayout.SEQUENCE, 0, 0, 0);
  }

  /** A space of continuous feature vectors with 1-D positions (windows of a series, frames of a sound). */
  public static TokenSpace continuous(String modality, int featureWidth, int maxLength) {
    return new TokenSpace(
        modality, TokenKind.CONTINUOUS, 0, featureWidth, false, maxLength, PositionLayout.SEQUENCE, 0, 0, 0);
  }

  /** A space of discrete ids with 1-D positions. */
  public static TokenSpace discrete(String modality, int vocabularySize, int maxLength, int segmentCount) {
    return new TokenSpace(
        modality, TokenKind.DISCRETE, vocabularySize, 0, false, maxLength, PositionLayout.SEQUENCE, 0, 0,
        segmentCount);
  }

  /** A space of continuous feature vectors on a grid of patches. */
  public static TokenSpace grid(String modality, int featureWidth, int gridRows, int gridColumns) {
    return new TokenSpace(
        modality, TokenKind.CONTINUOUS, 0, featureWidth, false, gridRows * gridColumns, PositionLayout.GRID,
        gridRows, gridColumns, 0);
  }
}
