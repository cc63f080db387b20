package io.mmfuse.fusion.data;


import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.TokenSequence;
import io.mmfuse.api.proto.PositionLayout;
import io.mmfuse.api.proto.TokenKind;
import io.mmfuse.fusion.graph.InputConfig;
import io.mmfuse.fusion.internal.GridPositions;
import io.mmfuse.fusion.session.InputFeed;
import java.util.List;

/**
 * Pads the token sequences of one input across a batch into an {@link InputFeed}: lengths padded to the longest in
 * the batch (at least one slot), the mask 0 on padding. A missing example (null) adds no tokens and is masked out, or,
 * for inputs with a [MISSING] token, gets one slot flagged in {@code missing}.
 */
public final class Batches {
  private Batches() {}

  /** Builds the feed of input {@code in} for these examples' sequences (null where the input is missing). */
  public static InputFeed feed(InputConfig in, List<TokenSequence> sequences) {
    int b = sequences.size();
    int t = 1;
    for (TokenSequence s : sequences) {
      if (s != null) {
        if (s.kind() != in.kind()) {
          throw new InvalidInputException(
              "input '" + in.name() + "': expected " + in.kind() + " tokens, found " + s.kind());
        }
        t = Math.max(t, s.length());
      }
    }
    int bt = b * t;
    float[] mask = new float[bt];
    float[] missing = in.missingToken() ? new float[bt] : null;
    boolean grid = in.layout() == PositionLayout.GRID;
    int[] positions = !grid ? new int[bt] : null;
    int[] posIndex = grid ? new int[bt * 4] : null;
    float[] posWeight = grid ? new float[bt * 4] : null;
    int[] segments = in.segments() > 0 ? new int[bt] : null;
    int[] ids = in.kind() == TokenKind.DISCRETE ? new int[bt] : null;
    float[] scales = in.kind() == TokenKind.DISCRETE && in.scaled() ? new float[bt] : null;
    int f = in.featureWidth();
    float[] features = in.kind() == TokenKind.CONTINUOUS ? new float[bt * f] : null;
    for (int n = 0; n < b; n++) {
      TokenSequence s = sequences.get(n);
      int base = n * t;
      if (s == null) {
        if (missing != null) {
          missing[base] = 1f;
          mask[base] = 1f;
        }
        continue;
      }
      int len = s.length();
      if (len > in.maxPositions() && !grid && in.maxPositions() > 0) {
        throw new InvalidInputException("input '" + in.name() + "': " + len + " tokens, but the model has "
            + in.maxPositions() + " positions");
      }
      for (int i = 0; i < len; i++) {
        mask[base + i] = 1f;
      }
      if (ids != null) {
        System.arraycopy(s.ids(), 0, ids, base, len);
        if (scales != null) {
          if (s.isScaled()) {
            System.arraycopy(s.scales(), 0, scales, base, len);
          } else {
            java.util.Arrays.fill(scales, base, base + len, 1f);
          }
        }
      } else {
        if (s.featureWidth() != f) {
          throw new InvalidInputException("input '" + in.name() + "': tokens of width " + s.featureWidth()
              + ", the model expects " + f);
        }
        System.arraycopy(s.features(), 0, features, base * f, len * f);
      }
      if (segments != null && s.hasSegments()) {
        System.arraycopy(s.segmentIds(), 0, segments, base, len);
      }
      if (grid) {
        int h = 0;
        int w = 0;
        for (int i = 0; i < len; i++) {
          h = Math.max(h, s.positions()[2 * i] + 1);
          w = Math.max(w, s.positions()[2 * i + 1] + 1);
        }
        for (int i = 0; i < len; i++) {
          GridPositions.write(s.positions()[2 * i], s.positions()[2 * i + 1], h, w, in.gridRows(), in.gridColumns(),
              posIndex, posWeight, (base + i) * 4);
        }
      } else {
        System.arraycopy(s.positions(), 0, positions, base, len);
      }
    }
    return new InputFeed(b, t, ids, scales, features, f, positions, posIndex, posWeight, segments, mask, missing);
  }
}
