package io.mmfuse.api;

import io.mmfuse.api.proto.PositionLayout;
import io.mmfuse.api.proto.TokenKind;
import io.mmfuse.api.proto.TokenSequenceProto;
import java.util.Arrays;
import java.util.Objects;

/**
 * One input flattened into a one-dimensional sequence of tokens: what every modality tokenizer returns and what
 * fusion-core embeds.
 *
 * <p>Discrete sequences carry one id per token and, optionally, one scale per token that multiplies the token's
 * embedding (a numeric table cell). Continuous sequences carry one feature vector of {@code featureWidth} floats per
 * token, row after row. Positions hold {@code coordinates(layout)} integers per token. The arrays belong to the
 * sequence and are not copied: do not change them after construction.
 *
 * @param modality the modality name of the tokenizer that produced it
 * @param kind discrete or continuous
 * @param ids one id per token (discrete), empty for continuous sequences
 * @param scales one scale per token, or empty when the embeddings are not scaled
 * @param featureWidth floats per token (continuous), 0 for discrete sequences
 * @param features {@code length * featureWidth} floats (continuous), empty for discrete sequences
 * @param layout how positions are given
 * @param positions one index per token (SEQUENCE) or a row and a column per token (GRID)
 * @param segmentIds one segment per token (sentence A/B), or empty
 */
public record TokenSequence(
    String modality,
    TokenKind kind,
    int[] ids,
    float[] scales,
    int featureWidth,
    float[] features,
    PositionLayout layout,
    int[] positions,
    int[] segmentIds) {

  private static final int[] NO_INTS = new int[0];
  private static final float[] NO_FLOATS = new float[0];

  public TokenSequence {
    Objects.requireNonNull(modality, "modality");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(layout, "layout");
    ids = ids == null ? NO_INTS : ids;
    scales = scales == null ? NO_FLOATS : scales;
    features = features == null ? NO_FLOATS : features;
    segmentIds = segmentIds == null ? NO_INTS : segmentIds;
    Objects.requireNonNull(positions, "positions");
    if (kind != TokenKind.DISCRETE && kind != TokenKind.CONTINUOUS) {
      throw invalid(modality, "token kind must be DISCRETE or CONTINUOUS, found " + kind);
    }
    if (layout != PositionLayout.SEQUENCE && layout != PositionLayout.GRID) {
      throw invalid(modality, "position layout must be SEQUENCE or GRID, found " + layout);
    }
    int length;
    if (kind == TokenKind.DISCRETE) {
      length = ids.length;
      if (featureWidth != 0 || features.length != 0) {
        throw invalid(modality, "a discrete sequence carries no features, found width " + featureWidth);
      }
      if (scales.length != 0 && scales.length != length) {
        throw invalid(modality, "expected " + length + " scales (one per id), found " + scales.length);
      }
    } else {
      if (featureWidth <= 0) {
        throw invalid(modality, "a continuous sequence needs a feature width > 0, found " + featureWidth);
      }
      if (features.length % featureWidth != 0) {
        throw invalid(
            modality, features.length + " features is not a whole number of tokens of width " + featureWidth);
      }
      if (ids.length != 0 || scales.length != 0) {
        throw invalid(modality, "a continuous sequence carries no ids or scales");
      }
      length = features.length / featureWidth;
    }
    if (positions.length != length * coordinates(layout)) {
      throw invalid(
          modality,
          "expected " + length * coordinates(layout) + " position values (" + coordinates(layout)
              + " per token, " + length + " tokens), found " + positions.length);
    }
    if (segmentIds.length != 0 && segmentIds.length != length) {
      throw invalid(modality, "expected " + length + " segment ids, found " + segmentIds.length);
    }
  }

  private static InvalidInputException invalid(String modality, String what) {
    return new InvalidInputException("token sequence of '" + modality + "': " + what);
  }

  /** A discrete sequence with positions 0..n-1 and no segments. */
  public static TokenSequence ofIds(String modality, int[] ids) {
    return new TokenSequence(
        modality, TokenKind.DISCRETE, ids, null, 0, null, PositionLayout.SEQUENCE, range(ids.length), null);
  }

  /** A discrete sequence with positions 0..n-1 and one segment id per token. */
  public static TokenSequence ofIds(String modality, int[] ids, int[] segmentIds) {
    return new TokenSequence(
        modality, TokenKind.DISCRETE, ids, null, 0, null, PositionLayout.SEQUENCE, range(ids.length), segmentIds);
  }

  /** A continuous sequence of vectors laid out on a grid; {@code rowColumns} holds a row and a column per token. */
  public static TokenSequence ofGridFeatures(String modality, int featureWidth, float[] features, int[] rowColumns) {
    return new TokenSequence(
        modality, TokenKind.CONTINUOUS, null, null, featureWidth, features, PositionLayout.GRID, rowColumns, null);
  }

  /** A sequence of discrete ids, each with a scale, at positions 0, 1, 2, ... */
  public static TokenSequence ofScaledIds(String modality, int[] ids, float[] scales) {
    return new TokenSequence(
        modality, TokenKind.DISCRETE, ids, scales, 0, null, PositionLayout.SEQUENCE, range(ids.length), null);
  }

  /** A sequence of feature vectors of one width, row after row, at positions 0, 1, 2, ... */
  public static TokenSequence ofFeatures(String modality, int featureWidth, float[] features) {
    int n = featureWidth > 0 ? features.length / featureWidth : 0;
    return new TokenSequence(
        modality, TokenKind.CONTINUOUS, null, null, featureWidth, features, PositionLayout.SEQUENCE, range(n), null);
  }

  /** Returns 0, 1, ..., n-1. */
  public static int[] range(int n) {
    int[] r = new int[n];
    for (int i = 0; i < n; i++) {
      r[i] = i;
    }
    return r;
  }

  /** Returns the number of tokens. */
  public int length() {
    return kind == TokenKind.DISCRETE ? ids.length : features.length / featureWidth;
  }

  /** Returns whether the sequence carries segment ids. */
  public boolean hasSegments() {
    return segmentIds.length > 0;
  }

  /** Returns whether discrete embeddings are scaled per token. */
  public boolean isScaled() {
    return scales.length > 0;
  }

  /** Returns this sequence as its protobuf wire message. */
  public TokenSequenceProto toProto() {
    TokenSequenceProto.Builder b =
        TokenSequenceProto.newBuilder()
            .setModality(modality)
            .setKind(kind)
            .setLength(length())
            .setFeatureWidth(featureWidth)
            .setLayout(layout);
    for (int id : ids) {
      b.addIds(id);
    }
    for (float s : scales) {
      b.addScales(s);
    }
    for (float f : features) {
      b.addFeatures(f);
    }
    for (int p : positions) {
      b.addPositions(p);
    }
    for (int s : segmentIds) {
      b.addSegmentIds(s);
    }
    return b.build();
  }

  /** Reads a sequence from its protobuf wire message, validating it. */
  public static TokenSequence fromProto(TokenSequenceProto p) {
    TokenKind kind =
        switch (p.getKind()) {
          case DISCRETE -> TokenKind.DISCRETE;
          case CONTINUOUS -> TokenKind.CONTINUOUS;
          default -> throw invalid(p.getModality(), "token kind must be DISCRETE or CONTINUOUS, found " + p.getKind());
        };
    PositionLayout layout =
        switch (p.getLayout()) {
          case SEQUENCE -> PositionLayout.SEQUENCE;
          case GRID -> PositionLayout.GRID;
          default -> throw invalid(p.getModality(), "position layout must be SEQUENCE or GRID, found " + p.getLayout());
        };
    float[] features = new float[p.getFeaturesCount()];
    for (int i = 0; i < features.length; i++) {
      features[i] = p.getFeatures(i);
    }
    float[] scales = new float[p.getScalesCount()];
    for (int i = 0; i < scales.length; i++) {
      scales[i] = p.getScales(i);
    }
    TokenSequence s =
        new TokenSequence(
            p.getModality(),
            kind,
            p.getIdsList().stream().mapToInt(Integer::intValue).toArray(),
            scales,
            p.getFeatureWidth(),
            features,
            layout,
            p.getPositionsList().stream().mapToInt(Integer::intValue).toArray(),
            p.getSegmentIdsList().stream().mapToInt(Integer::intValue).toArray());
    if (p.getLength() != s.length()) {
      throw invalid(p.getModality(), "declared length " + p.getLength() + " but carries " + s.length() + " tokens");
    }
    return s;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TokenSequence t
        && modality.equals(t.modality)
        && kind == t.kind
        && featureWidth == t.featureWidth
        && layout == t.layout
        && Arrays.equals(ids, t.ids)
        && Arrays.equals(scales, t.scales)
        && Arrays.equals(features, t.features)
        && Arrays.equals(positions, t.positions)
        && Arrays.equals(segmentIds, t.segmentIds);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        modality, kind, featureWidth, layout, Arrays.hashCode(ids), Arrays.hashCode(scales),
        Arrays.hashCode(features), Arrays.hashCode(positions), Arrays.hashCode(segmentIds));
  }

  @Override
  public String toString() {
    return "TokenSequence[" + modality + ", " + kind + ", " + length() + " tokens, " + layout + "]";
  }

  /** How many integers describe one token's position: 1 in a sequence, 2 (row, column) on a grid. */
  public static int coordinates(PositionLayout layout) {
    return layout == PositionLayout.GRID ? 2 : 1;
  }
}
