package io.mmfuse.fusion;

import io.mmfuse.api.proto.PositionLayout;
import io.mmfuse.api.proto.TokenKind;
import io.mmfuse.fusion.graph.EncoderConfig;
import io.mmfuse.fusion.graph.FusionConfig;
import io.mmfuse.fusion.graph.FusionStrategies;
import io.mmfuse.fusion.graph.InputConfig;
import io.mmfuse.fusion.internal.GridPositions;
import io.mmfuse.fusion.session.InputFeed;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Small models using every feature of the graph builder, and random feeds for them. */
final class SmallModels {
  private SmallModels() {}

  static final InputConfig TEXT =
      new InputConfig("words", TokenKind.DISCRETE, 50, 0, false, PositionLayout.SEQUENCE, 16, 0, 0, 2, false, true, false);
  static final InputConfig TABLE =
      new InputConfig("cells", TokenKind.DISCRETE, 12, 0, true, PositionLayout.SEQUENCE, 4, 0, 0, 0, false, false, false);
  static final InputConfig IMAGE =
      new InputConfig("pixels", TokenKind.CONTINUOUS, 0, 12, false, PositionLayout.GRID, 9, 3, 3, 0, true, false, false);

  static FusionConfig all(io.mmfuse.api.proto.Activation activation, boolean preNorm, float dropout) {
    EncoderConfig e = new EncoderConfig(16, 2, 4, 32, preNorm, activation, 1e-6f, dropout, dropout, preNorm, true);
    return new FusionConfig(List.of(TEXT, TABLE, IMAGE), FusionStrategies.named("concat"), true, true, e);
  }

  static Map<String, InputFeed> feeds(FusionConfig config, int batch, long seed) {
    Random r = new Random(seed);
    Map<String, InputFeed> feeds = new LinkedHashMap<>();
    for (InputConfig in : config.inputs()) {
      int t = in.layout() == PositionLayout.GRID ? in.maxPositions() : Math.min(in.maxPositions(), 5);
      int bt = batch * t;
      float[] mask = new float[bt];
      for (int i = 0; i < bt; i++) {
        mask[i] = i % t < t - (i / t) % 2 ? 1f : 0f;
      }
      if (in.kind() == TokenKind.DISCRETE) {
        int[] ids = new int[bt];
        int[] pos = new int[bt];
        int[] seg = in.segments() > 0 ? new int[bt] : null;
        float[] scales = in.scaled() ? new float[bt] : null;
        for (int i = 0; i < bt; i++) {
          ids[i] = r.nextInt(in.vocabularySize());
          pos[i] = i % t;
          if (seg != null) {
            seg[i] = (i % t) >= t / 2 ? 1 : 0;
          }
          if (scales != null) {
            scales[i] = (float) r.nextGaussian();
          }
        }
        feeds.put(in.name(), new InputFeed(batch, t, ids, scales, null, 0, pos, null, null, seg, mask));
      } else {
        float[] f = new float[bt * in.featureWidth()];
        for (int i = 0; i < f.length; i++) {
          f[i] = (float) r.nextGaussian();
        }
        int[] index = new int[bt * 4];
        float[] weight = new float[bt * 4];
        for (int i = 0; i < bt; i++) {
          int p = i % t;
          GridPositions.write(p / in.gridColumns(), p % in.gridColumns(), in.gridRows(), in.gridColumns(),
              in.gridRows(), in.gridColumns(), index, weight, 4 * i);
        }
        feeds.put(in.name(), new InputFeed(batch, t, null, null, f, in.featureWidth(), null, index, weight, null,
            mask));
      }
    }
    return feeds;
  }
}
