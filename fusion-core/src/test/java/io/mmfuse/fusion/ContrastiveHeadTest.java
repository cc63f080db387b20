package io.mmfuse.fusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.mmfuse.api.proto.Activation;
import io.mmfuse.api.proto.Task;
import io.mmfuse.fusion.graph.EncoderConfig;
import io.mmfuse.fusion.graph.FusionConfig;
import io.mmfuse.fusion.graph.Names;
import io.mmfuse.fusion.graph.SideFusion;
import io.mmfuse.fusion.session.InputFeed;
import io.mmfuse.fusion.train.AdamW;
import io.mmfuse.fusion.train.TrainingModel;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The contrastive head against CLIP's loss written out by hand: symmetric cross-entropy over the in-batch cosine
 * similarities times 1/0.07, with rows that share a side left out of each other's negatives.
 */
class ContrastiveHeadTest {
  static final int B = 4;

  static InputFeed ids(int[][] rows) {
    int t = rows[0].length;
    int[] ids = new int[rows.length * t];
    int[] pos = new int[rows.length * t];
    float[] mask = new float[rows.length * t];
    for (int i = 0; i < rows.length; i++) {
      for (int j = 0; j < t; j++) {
        ids[i * t + j] = rows[i][j];
        pos[i * t + j] = j;
        mask[i * t + j] = 1;
      }
    }
    return new InputFeed(rows.length, t, ids, null, null, 0, pos, null, null, null, mask);
  }

  /** CLIP's loss from the two sides' normalized embeddings, the shared rows masked out. */
  static double reference(float[] a, float[] b, int width, float[] labels) {
    double scale = 1 / 0.07;
    double[][] logits = new double[B][B];
    for (int i = 0; i < B; i++) {
      for (int j = 0; j < B; j++) {
        double d = 0;
        for (int c = 0; c < width; c++) {
          d += a[i * width + c] * b[j * width + c];
        }
        boolean shared = i != j && (labels[2 * i] == labels[2 * j] || labels[2 * i + 1] == labels[2 * j + 1]);
        logits[i][j] = shared ? Double.NEGATIVE_INFINITY : scale * d;
      }
    }
    double loss = 0;
    for (int i = 0; i < B; i++) {
      double rowMax = Double.NEGATIVE_INFINITY;
      double colMax = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < B; j++) {
        rowMax = Math.max(rowMax, logits[i][j]);
        colMax = Math.max(colMax, logits[j][i]);
      }
      double row = 0;
      double col = 0;
      for (int j = 0; j < B; j++) {
        row += Math.exp(logits[i][j] - rowMax);
        col += Math.exp(logits[j][i] - colMax);
      }
      loss += -(logits[i][i] - rowMax - Math.log(row)) - (logits[i][i] - colMax - Math.log(col));
    }
    return loss / (2 * B);
  }

  @Test
  void theLossIsClipsWithSharedRowsMaskedAndEachSideIsEncodedAlone() {
    EncoderConfig e = new EncoderConfig(8, 1, 2, 16, true, Activation.GELU, 1e-6f, 0, 0, true, true);
    FusionConfig config = new FusionConfig(List.of(LateFusionTest.input("a", 7), LateFusionTest.input("b", 9)),
        new SideFusion(new int[] {0, 1}), false, true, e);
    Map<String, InputFeed> feeds = new LinkedHashMap<>();
    feeds.put("a", ids(new int[][] {{1, 2, 3}, {1, 2, 3}, {4, 5, 6}, {2, 2, 1}}));
    feeds.put("b", ids(new int[][] {{7, 1}, {3, 3}, {3, 4}, {8, 2}}));
    // Rows 0 and 1 share side A: neither is the other's negative.
    float[] labels = {0, 0, 0, 1, 2, 2, 3, 3};
    try (TrainingModel m = TrainingModel.create(config, Task.CONTRASTIVE, 2, 0, AdamW.of(0, 1), null)) {
      m.initializeRandom(3);
      List<float[]> out = m.outputs(feeds, Names.EMBEDDINGS, Names.EMBEDDINGS_B, Names.PREDICTIONS);
      float[] a = out.get(0);
      float[] b = out.get(1);
      for (int i = 0; i < B; i++) {
        double na = 0;
        double dot = 0;
        for (int c = 0; c < 8; c++) {
          na += a[i * 8 + c] * a[i * 8 + c];
          dot += a[i * 8 + c] * b[i * 8 + c];
        }
        assertEquals(1.0, na, 1e-5, "normalized");
        assertEquals(dot, out.get(2)[i], 1e-5, "predictions are the pair's cosine similarity");
      }
      assertArrayEquals(java.util.Arrays.copyOfRange(a, 0, 8), java.util.Arrays.copyOfRange(a, 8, 16), 1e-6f,
          "the same side A gives the same embedding, whatever its side B: each side is encoded alone");
      double expected = reference(a, b, 8, labels);
      double unmasked = reference(a, b, 8, new float[] {0, 0, 1, 1, 2, 2, 3, 3});
      assertNotEquals(expected, unmasked, 1e-3, "the mask matters on this batch");
      float loss = m.trainStep(feeds, labels, 0f);
      assertEquals(expected, loss, 1e-4);
    }
  }

  @Test
  void twoTowersGiveEachSideItsOwnEncoderUnderTheSameLoss() {
    EncoderConfig e = new EncoderConfig(8, 1, 2, 16, true, Activation.GELU, 1e-6f, 0, 0, true, true);
    FusionConfig config = new FusionConfig(List.of(LateFusionTest.input("a", 7), LateFusionTest.input("b", 9)),
        new SideFusion(new int[] {0, 1}, 2), false, true, e);
    Map<String, InputFeed> feeds = new LinkedHashMap<>();
    feeds.put("a", ids(new int[][] {{1, 2, 3}, {3, 2, 1}, {4, 5, 6}, {2, 2, 1}}));
    feeds.put("b", ids(new int[][] {{7, 1}, {3, 3}, {3, 4}, {8, 2}}));
    float[] labels = {0, 0, 1, 1, 2, 2, 3, 3};
    try (TrainingModel m = TrainingModel.create(config, Task.CONTRASTIVE, 2, 0, AdamW.of(0, 1), null)) {
      m.initializeRandom(3);
      assertEquals(true, m.graph().parameters().containsKey("tower_b/encoder/layer_0/attention/qkv/kernel"),
          m.graph().parameters().keySet().toString());
      List<float[]> before = m.outputs(feeds, Names.EMBEDDINGS, Names.EMBEDDINGS_B);
      // Other weights for tower B alone: side A's embeddings stay, side B's move.
      Map<String, io.mmfuse.fusion.graph.Weight> w = new LinkedHashMap<>(m.weights());
      String key = "tower_b/encoder/layer_0/ffn/in/kernel";
      float[] changed = w.get(key).data().clone();
      for (int i = 0; i < changed.length; i++) {
        changed[i] += 0.5f * (i % 3 - 1);
      }
      w.put(key, new io.mmfuse.fusion.graph.Weight(w.get(key).shape(), changed));
      m.load(w, "test");
      List<float[]> after = m.outputs(feeds, Names.EMBEDDINGS, Names.EMBEDDINGS_B);
      assertArrayEquals(before.get(0), after.get(0), 1e-6f, "side A does not go through tower B");
      assertNotEquals(before.get(1)[0], after.get(1)[0], 1e-4f, "side B does");
      assertEquals(reference(after.get(0), after.get(1), 8, labels), m.trainStep(feeds, labels, 0f), 1e-4);
    }
  }

  @Test
  void aSideOfTwoInputsIsEncodedTogetherAndApartFromTheOtherSide() {
    EncoderConfig e = new EncoderConfig(8, 1, 2, 16, true, Activation.GELU, 1e-6f, 0, 0, true, true);
    // Inputs a and c on side A, b on side B (--pair a+c,b).
    FusionConfig config = new FusionConfig(List.of(LateFusionTest.input("a", 7), LateFusionTest.input("b", 9),
        LateFusionTest.input("c", 5)), new SideFusion(new int[] {0, 1, 0}), false, true, e);
    Map<String, InputFeed> feeds = new LinkedHashMap<>();
    feeds.put("a", ids(new int[][] {{1, 2}, {1, 2}, {4, 5}, {2, 2}}));
    feeds.put("b", ids(new int[][] {{7, 1}, {3, 3}, {3, 4}, {8, 2}}));
    feeds.put("c", ids(new int[][] {{1}, {3}, {1}, {2}}));
    try (TrainingModel m = TrainingModel.create(config, Task.CONTRASTIVE, 2, 0, AdamW.of(0, 1), null)) {
      m.initializeRandom(5);
      float[] a = m.outputs(feeds, Names.EMBEDDINGS).get(0);
      // Rows 0 and 1 share a, differ in c: side A sees c. Their b differs too, which side A must not see.
      assertNotEquals(a[0], a[8], 1e-4f, "side A reads both of its inputs");
      feeds.put("b", ids(new int[][] {{2, 2}, {2, 2}, {2, 2}, {2, 2}}));
      assertArrayEquals(a, m.outputs(feeds, Names.EMBEDDINGS).get(0), 1e-6f, "side A never sees side B");
    }
  }
}
