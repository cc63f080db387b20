package io.mmfuse.fusion.session;

import io.mmfuse.api.InvalidInputException;
import io.mmfuse.fusion.graph.InputConfig;
import io.mmfuse.fusion.graph.Names.Feed;
import io.mmfuse.fusion.graph.Names;
import java.util.function.UnaryOperator;

/**
 * The arrays fed for one input of a batch of B examples padded to T tokens. Unused arrays are null.
 *
 * @param batch B
 * @param length T
 * @param ids discrete ids [B,T]
 * @param scales per-token scales [B,T]
 * @param features continuous features [B,T,F]
 * @param featureWidth F
 * @param positions 1-D positions [B,T]
 * @param posIndex grid position rows [B,T,4]
 * @param posWeight grid position weights [B,T,4]
 * @param segments segment ids [B,T]
 * @param mask 1 for a token, 0 for padding [B,T]
 * @param missing 1 at the one token of a missing input (inputs with a [MISSING] token) [B,T], else null
 */
public record InputFeed(
    int batch,
    int length,
    int[] ids,
    float[] scales,
    float[] features,
    int featureWidth,
    int[] positions,
    int[] posIndex,
    float[] posWeight,
    int[] segments,
    float[] mask,
    float[] missing) {

  /** A feed without [MISSING] tokens. */
  public InputFeed(int batch, int length, int[] ids, float[] scales, float[] features, int featureWidth,
      int[] positions, int[] posIndex, float[] posWeight, int[] segments, float[] mask) {
    this(batch, length, ids, scales, features, featureWidth, positions, posIndex, posWeight, segments, mask, null);
  }

  /** Checks the feed against the input's configuration, naming the tensor that does not fit. */
  public void validate(InputConfig in) {
    String n = in.name();
    int bt = batch * length;
    check(mask != null && mask.length == bt, n + "/mask", "[" + batch + "," + length + "] floats");
    if (in.kind() == io.mmfuse.api.proto.TokenKind.DISCRETE) {
      check(ids != null && ids.length == bt, n + "/ids", "[" + batch + "," + length + "] ids");
      for (int i = 0; i < ids.length; i++) {
        if (ids[i] < 0 || ids[i] >= in.vocabularySize()) {
          throw new InvalidInputException("tensor " + n + "/ids: id " + ids[i] + " at [" + i / length + ", "
              + i % length + "] is outside the vocabulary of " + in.vocabularySize());
        }
      }
      if (in.scaled()) {
        check(scales != null && scales.length == bt, n + "/scales", "[" + batch + "," + length + "] floats");
      }
    } else {
      check(features != null && featureWidth == in.featureWidth() && features.length == (long) bt * featureWidth,
          n + "/features", "[" + batch + "," + length + "," + in.featureWidth() + "] floats");
    }
    if (in.maxPositions() > 0) {
      if (in.layout() == io.mmfuse.api.proto.PositionLayout.GRID) {
        check(posIndex != null && posIndex.length == bt * 4 && posWeight != null && posWeight.length == bt * 4,
            n + "/pos_index", "[" + batch + "," + length + ",4] grid positions");
        for (int p : posIndex) {
          if (p < 0 || p >= in.maxPositions()) {
            throw new InvalidInputException("tensor " + n + "/pos_index: position " + p
                + " is outside the position table of " + in.maxPositions());
          }
        }
      } else {
        check(positions != null && positions.length == bt, n + "/positions", "[" + batch + "," + length + "]");
        int max = in.maxPositions();
        for (int p : positions) {
          if (p < 0 || p >= max) {
            throw new InvalidInputException("tensor " + n + "/positions: position " + p + " is beyond the "
                + max + " positions the model has (sequence longer than its position table?)");
          }
        }
      }
    }
    if (in.segments() > 0) {
      check(segments != null && segments.length == bt, n + "/segments", "[" + batch + "," + length + "]");
      for (int s : segments) {
        if (s < 0 || s >= in.segments()) {
          throw new InvalidInputException("tensor " + n + "/segments: segment " + s + " is outside 0.."
              + (in.segments() - 1));
        }
      }
    }
  }

  private static void check(boolean ok, String tensor, String expected) {
    if (!ok) {
      throw new InvalidInputException("tensor " + tensor + ": expected " + expected + ", found another shape");
    }
  }

  /** Feeds this input's tensors to a call, each under the name {@code tensorName} gives for its graph op name. */
  void feedTo(Call call, InputConfig in, UnaryOperator<String> tensorName) {
    long b = batch;
    long t = length;
    for (Feed f : in.feeds()) {
      String name = tensorName.apply(Names.feed(in.name(), f));
      switch (f) {
        case MASK -> call.feedFloats(name, mask, b, t);
        case IDS -> call.feedInts(name, ids, b, t);
        case SCALES -> call.feedFloats(name, scales, b, t);
        case FEATURES -> call.feedFloats(name, features, b, t, featureWidth);
        case POS_INDEX -> call.feedInts(name, posIndex, b, t, 4);
        case POS_WEIGHT -> call.feedFloats(name, posWeight, b, t, 4);
        case POSITIONS -> call.feedInts(name, positions, b, t);
        case MISSING -> call.feedFloats(name, missing == null ? new float[batch * length] : missing, b, t);
        case SEGMENTS -> call.feedInts(name, segments, b, t);
      }
    }
  }
}
