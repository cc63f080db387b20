package io.mmfuse.fusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.proto.Activation;
import io.mmfuse.api.proto.Task;
import io.mmfuse.fusion.graph.FusionConfig;
import io.mmfuse.fusion.graph.Weight;
import io.mmfuse.fusion.session.InputFeed;
import io.mmfuse.fusion.train.AdamW;
import io.mmfuse.fusion.train.TrainingModel;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Lazy AdamW against dense AdamW, both as the same graph ops compute them: after a first step they agree everywhere
 * (a row no batch has touched has zero gradient and zero moments in both); after a second step on other ids, the
 * rows only the first step touched keep their weights under lazy updates and move by their momentum under dense
 * ones, and every other weight agrees.
 */
class LazyAdamWTest {
  static final String TABLE = "embed/words/tokens";

  /** The text feed with every id moved into [from, from + 5). */
  static Map<String, InputFeed> withIds(Map<String, InputFeed> feeds, int from) {
    Map<String, InputFeed> out = new LinkedHashMap<>(feeds);
    InputFeed f = feeds.get("words");
    int[] ids = new int[f.ids().length];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = from + Math.floorMod(f.ids()[i], 5);
    }
    out.put("words", new InputFeed(f.batch(), f.length(), ids, f.scales(), f.features(), f.featureWidth(),
        f.positions(), f.posIndex(), f.posWeight(), f.segments(), f.mask()));
    return out;
  }

  static float maxDiff(Map<String, Weight> a, Map<String, Weight> b, String except) {
    float max = 0;
    for (String name : a.keySet()) {
      if (name.equals(except)) {
        continue;
      }
      float[] x = a.get(name).data();
      float[] y = b.get(name).data();
      for (int i = 0; i < x.length; i++) {
        max = Math.max(max, Math.abs(x[i] - y[i]));
      }
    }
    return max;
  }

  static float rowChange(Weight before, Weight after, int row) {
    int w = (int) before.shape()[1];
    float max = 0;
    for (int j = 0; j < w; j++) {
      max = Math.max(max, Math.abs(before.data()[row * w + j] - after.data()[row * w + j]));
    }
    return max;
  }

  @Test
  void lazyUpdatesLeaveUntouchedRowsAndAgreeWithDenseElsewhere() {
    FusionConfig config = SmallModels.all(Activation.GELU, true, 0f);
    Map<String, InputFeed> base = SmallModels.feeds(config, 4, 5);
    Map<String, InputFeed> first = withIds(base, 10);
    Map<String, InputFeed> second = withIds(base, 30);
    float[] labels = {1, 0, 0, 1, 1, 0, 0, 1};
    try (TrainingModel dense = TrainingModel.create(config, Task.CLASSIFICATION, 2, AdamW.of(0, 1), null);
        TrainingModel lazy = TrainingModel.create(config, Task.CLASSIFICATION, 2,
            AdamW.of(0, 1).withLazyEmbeddings(true), null)) {
      dense.initializeRandom(7);
      lazy.initializeRandom(7);
      Map<String, Weight> start = lazy.weights();
      dense.trainStep(first, labels, 1e-2f, 1);
      lazy.trainStep(first, labels, 1e-2f, 1);
      Map<String, Weight> denseOne = dense.weights();
      Map<String, Weight> lazyOne = lazy.weights();
      assertTrue(maxDiff(denseOne, lazyOne, null) < 1e-6f, "one step: the same everywhere");
      assertTrue(rowChange(start.get(TABLE), lazyOne.get(TABLE), 10) > 1e-4f, "a row the batch used moved");
      assertEquals(0f, rowChange(start.get(TABLE), lazyOne.get(TABLE), 20), "a row no batch used stayed");

      dense.trainStep(second, labels, 1e-2f, 2);
      lazy.trainStep(second, labels, 1e-2f, 2);
      Map<String, Weight> denseTwo = dense.weights();
      Map<String, Weight> lazyTwo = lazy.weights();
      for (int row = 10; row < 15; row++) {
        assertEquals(0f, rowChange(lazyOne.get(TABLE), lazyTwo.get(TABLE), row), "lazy: row " + row + " stays");
        assertTrue(rowChange(denseOne.get(TABLE), denseTwo.get(TABLE), row) > 1e-4f,
            "dense: row " + row + " moves by its momentum");
      }
      for (int row = 30; row < 35; row++) {
        assertTrue(rowChange(lazyOne.get(TABLE), lazyTwo.get(TABLE), row) > 1e-4f, "lazy: used row " + row);
      }
      // The table's rows of the second batch agree (both had zero moments before), and so does every other weight
      // but the first batch's rows (which the forward pass of the second batch does not read).
      Weight d = denseTwo.get(TABLE);
      Weight l = lazyTwo.get(TABLE);
      for (int row = 30; row < 35; row++) {
        for (int j = 0; j < d.shape()[1]; j++) {
          int k = row * (int) d.shape()[1] + j;
          assertEquals(d.data()[k], l.data()[k], 1e-6f, "row " + row);
        }
      }
      assertTrue(maxDiff(denseTwo, lazyTwo, TABLE) < 1e-5f, "every other weight agrees");
    }
  }
}
