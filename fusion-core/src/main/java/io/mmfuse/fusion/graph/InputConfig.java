package io.mmfuse.fusion.graph;

import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.api.TokenSpace;
import io.mmfuse.api.proto.PositionLayout;
import io.mmfuse.api.proto.TokenKind;

/**
 * How one input is embedded before fusion.
 *
 * @param name the input's name (graph tensors are named after it)
 * @param kind discrete ids or continuous feature vectors
 * @param vocabularySize ids of the embedding table (discrete)
 * @param featureWidth width of a feature vector (continuous); projected by a learned matrix and bias
 * @param scaled whether each discrete token's embedding is multiplied by its scale (numeric table cells)
 * @param layout 1-D positions or a 2-D grid
 * @param maxPositions size of the position table: sequence length, or grid rows x columns
 * @param gridRows rows of the trained position grid (GRID)
 * @param gridColumns columns of the trained position grid (GRID)
 * @param segments number of segment ids (0: none)
 * @param cls whether the input has its own learned CLS token in front (ViT's image CLS), with its own position
 * @param embeddingNorm whether a LayerNorm follows the embedding sum (BERT)
 * @param missingToken whether a missing input becomes one learned [MISSING] token (fed through {@code n/missing})
 */
public record InputConfig(
    String name,
    TokenKind kind,
    int vocabularySize,
    int featureWidth,
    boolean scaled,
    PositionLayout layout,
    int maxPositions,
    int gridRows,
    int gridColumns,
    int segments,
    boolean cls,
    boolean embeddingNorm,
    boolean missingToken) {

  public InputConfig {
    if (name == null || !name.matches("[A-Za-z][A-Za-z0-9_]*")) {
      throw new InvalidConfigurationException(
          "input name '" + name + "': expected a letter followed by letters, digits or '_'");
    }
    if (kind == TokenKind.DISCRETE && vocabularySize <= 0) {
      throw new InvalidConfigurationException("input '" + name + "': vocabulary size must be > 0");
    }
    if (kind == TokenKind.CONTINUOUS && featureWidth <= 0) {
      throw new InvalidConfigurationException("input '" + name + "': feature width must be > 0");
    }
    if (layout == PositionLayout.GRID && gridRows * gridColumns != maxPositions) {
      throw new InvalidConfigurationException(
          "input '" + name + "': a " + gridRows + "x" + gridColumns + " grid needs " + gridRows * gridColumns
              + " positions, found " + maxPositions);
    }
  }

  /** The embedding an input of this token space needs, with defaults for the rest. */
  public static InputConfig of(String name, TokenSpace space, boolean cls) {
    return new InputConfig(
        name, space.kind(), space.vocabularySize(), space.featureWidth(), space.scaled(), space.layout(),
        space.maxLength(), space.gridRows(), space.gridColumns(), space.segmentCount(), cls, false, false);
  }

  /** Returns a copy with (or without) a LayerNorm after the embedding. */
  public InputConfig withEmbeddingNorm(boolean norm) {
    return new InputConfig(name, kind, vocabularySize, featureWidth, scaled, layout, maxPositions, gridRows,
        gridColumns, segments, cls, norm, missingToken);
  }

  /** Returns a copy where a missing input becomes one learned [MISSING] token. */
  public InputConfig withMissingToken(boolean missing) {
    return new InputConfig(name, kind, vocabularySize, featureWidth, scaled, layout, maxPositions, gridRows,
        gridColumns, segments, cls, embeddingNorm, missing);
  }

  /** The tensors fed for this input, in feeding order. */
  public java.util.List<Names.Feed> feeds() {
    java.util.List<Names.Feed> out = new java.util.ArrayList<>();
    out.add(Names.Feed.MASK);
    if (kind == TokenKind.DISCRETE) {
      out.add(Names.Feed.IDS);
      if (scaled) {
        out.add(Names.Feed.SCALES);
      }
    } else {
      out.add(Names.Feed.FEATURES);
    }
    if (maxPositions > 0) {
      if (layout == PositionLayout.GRID) {
        out.add(Names.Feed.POS_INDEX);
        out.add(Names.Feed.POS_WEIGHT);
      } else {
        out.add(Names.Feed.POSITIONS);
      }
    }
    if (missingToken) {
      out.add(Names.Feed.MISSING);
    }
    if (segments > 0) {
      out.add(Names.Feed.SEGMENTS);
    }
    return out;
  }
}
