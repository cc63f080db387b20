package io.mmfuse.examples.bench;

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

/**
 * The benchmark's fused encoders: 277 tokens per example (1 global CLS + 64 text tokens + 196 image patches of
 * 16x16x3 values on a 14x14 grid + 16 table columns), at two sizes.
 */
public final class Workloads {
  private Workloads() {}

  public static final int TEXT_TOKENS = 64;
  public static final int PATCHES = 196;
  public static final int GRID = 14;
  public static final int PATCH_FEATURES = 3 * 16 * 16;
  public static final int COLUMNS = 16;
  public static final int TOKENS = 1 + TEXT_TOKENS + PATCHES + COLUMNS;

  /** One encoder size with its batch. */
  public record Workload(String name, int width, int layers, int heads, int ffn, int batch) {
    /** Matrix-product FLOPs of one example's forward pass (2 per multiply-add), counted analytically. */
    public double forwardFlops() {
      double l = TOKENS;
      double h = width;
      double projection = 2.0 * PATCHES * PATCH_FEATURES * h;
      double perLayer = l * (2 * h * 3 * h + 2 * h * h + 2 * 2 * h * ffn) // QKV, output, feed-forward
          + 2 * 2 * l * l * h; // scores and context over all heads
      double pooler = 2 * h * h;
      return projection + layers * perLayer + pooler;
    }

    public EncoderConfig encoder(io.mmfuse.api.proto.Precision precision) {
      return new EncoderConfig(width, layers, heads, ffn, true, io.mmfuse.api.proto.Activation.GELU, 1e-6f, 0f, 0f, true,
          true, precision);
    }
  }

  public static final Workload SMALL = new Workload("mm-small", 256, 4, 4, 1024, 16);
  public static final Workload BASE = new Workload("mm-base", 768, 12, 12, 3072, 8);

  static final InputConfig TEXT = new InputConfig("text", TokenKind.DISCRETE, 30522, 0, false,
      PositionLayout.SEQUENCE, 512, 0, 0, 0, false, false, false);
  static final InputConfig IMAGE = new InputConfig("image", TokenKind.CONTINUOUS, 0, PATCH_FEATURES, false,
      PositionLayout.GRID, GRID * GRID, GRID, GRID, 0, false, false, false);
  static final InputConfig TABLE = new InputConfig("table", TokenKind.DISCRETE, 1024, 0, true,
      PositionLayout.SEQUENCE, COLUMNS, 0, 0, 0, false, false, false);

  /** The fused model of a workload: text, image and table concatenated behind a global CLS. */
  public static FusionConfig config(Workload w, io.mmfuse.api.proto.Precision precision) {
    return new FusionConfig(List.of(TEXT, IMAGE, TABLE), FusionStrategies.named("concat"), true, true, w.encoder(precision));
  }

  /** Random feeds for {@code batch} examples, every token real. */
  public static Map<String, InputFeed> feeds(int batch, long seed) {
    Random r = new Random(seed);
    Map<String, InputFeed> feeds = new LinkedHashMap<>();
    feeds.put("text", discrete(batch, TEXT_TOKENS, TEXT.vocabularySize(), false, r));
    feeds.put("table", discrete(batch, COLUMNS, TABLE.vocabularySize(), true, r));
    int bt = batch * PATCHES;
    float[] features = new float[bt * PATCH_FEATURES];
    for (int i = 0; i < features.length; i++) {
      features[i] = (float) r.nextGaussian();
    }
    int[] index = new int[bt * 4];
    float[] weight = new float[bt * 4];
    for (int i = 0; i < bt; i++) {
      int p = i % PATCHES;
      GridPositions.write(p / GRID, p % GRID, GRID, GRID, GRID, GRID, index, weight, 4 * i);
    }
    float[] mask = new float[bt];
    java.util.Arrays.fill(mask, 1f);
    feeds.put("image", new InputFeed(batch, PATCHES, null, null, features, PATCH_FEATURES, null, index, weight, null,
        mask));
    return feeds;
  }

  private static InputFeed discrete(int batch, int t, int vocab, boolean scaled, Random r) {
    int n = batch * t;
    int[] ids = new int[n];
    int[] positions = new int[n];
    float[] scales = scaled ? new float[n] : null;
    float[] mask = new float[n];
    for (int i = 0; i < n; i++) {
      ids[i] = r.nextInt(vocab);
      positions[i] = i % t;
      mask[i] = 1f;
      if (scales != null) {
        scales[i] = (float) r.nextGaussian();
      }
    }
    return new InputFeed(batch, t, ids, scales, null, 0, positions, null, null, null, mask);
  }
}
