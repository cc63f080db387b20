package io.mmfuse.fusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.CheckpointException;
import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.proto.PositionLayout;
import io.mmfuse.api.proto.TokenKind;
import io.mmfuse.fusion.graph.EncoderConfig;
import io.mmfuse.fusion.graph.FusionConfig;
import io.mmfuse.fusion.graph.FusionStrategies;
import io.mmfuse.fusion.graph.InputConfig;
import io.mmfuse.fusion.graph.Weight;
import io.mmfuse.fusion.hf.HfCheckpoints;
import io.mmfuse.fusion.inference.FusedModel;
import io.mmfuse.fusion.session.InputFeed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FusionGraphTest {
  @Test
  void concatPutsTheGlobalClsFirstAndConcatenatesMasks() {
    FusionConfig config = SmallModels.all(io.mmfuse.api.proto.Activation.GELU, true, 0f);
    try (FusedModel model = FusedModel.create(config, null)) {
      model.initializeRandom(1);
      Map<String, InputFeed> feeds = SmallModels.feeds(config, 2, 1);
      FusedModel.Output out = model.forward(feeds);
      // 1 global CLS + 5 words + 4 cells + (1 image CLS + 9 patches).
      assertEquals(20, out.length());
      assertEquals(1f, out.mask()[0]);
      // The second example's last word is padding (see SmallModels.feeds).
      assertEquals(0f, out.mask()[20 + 5]);
      assertEquals(1f, out.mask()[20 + 4]);
      for (float v : out.lastHiddenState()) {
        assertTrue(Float.isFinite(v));
      }
    }
  }

  @Test
  void paddingNeverChangesTheRealTokens() {
    FusionConfig config = SmallModels.all(io.mmfuse.api.proto.Activation.GELU, false, 0f);
    try (FusedModel model = FusedModel.create(config, null)) {
      model.initializeRandom(2);
      Map<String, InputFeed> feeds = SmallModels.feeds(config, 2, 3);
      FusedModel.Output a = model.forward(feeds);
      // Change the ids under every padding position: no real token may notice.
      InputFeed w = feeds.get("words");
      int[] ids = w.ids().clone();
      for (int i = 0; i < ids.length; i++) {
        if (w.mask()[i] == 0) {
          ids[i] = (ids[i] + 17) % 50;
        }
      }
      feeds.put("words", new InputFeed(w.batch(), w.length(), ids, null, null, 0, w.positions(), null, null,
          w.segments(), w.mask()));
      FusedModel.Output b = model.forward(feeds);
      for (int i = 0; i < a.mask().length; i++) {
        if (a.mask()[i] == 1f) {
          for (int k = 0; k < a.width(); k++) {
            assertEquals(a.lastHiddenState()[i * a.width() + k], b.lastHiddenState()[i * a.width() + k], 1e-5);
          }
        }
      }
    }
  }

  @Test
  void addFusionSumsAlignedInputsAndRefusesMismatchedOnes() {
    InputConfig first =
        new InputConfig("a", TokenKind.DISCRETE, 10, 0, false, PositionLayout.SEQUENCE, 8, 0, 0, 0, false, false, false);
    InputConfig second =
        new InputConfig("b", TokenKind.CONTINUOUS, 0, 3, false, PositionLayout.SEQUENCE, 8, 0, 0, 0, false, false, false);
    EncoderConfig e = new EncoderConfig(8, 1, 2, 16, true, io.mmfuse.api.proto.Activation.GELU, 1e-6f, 0, 0, true, false);
    FusionConfig config = new FusionConfig(List.of(first, second), FusionStrategies.named("add"), false, true, e);
    try (FusedModel model = FusedModel.create(config, null)) {
      model.initializeRandom(4);
      float[] mask = {1, 1, 1, 1};
      InputFeed fa = new InputFeed(1, 4, new int[] {1, 2, 3, 4}, null, null, 0, new int[] {0, 1, 2, 3}, null, null,
          null, mask);
      InputFeed fb = new InputFeed(1, 4, null, null, new float[12], 3, new int[] {0, 1, 2, 3}, null, null, null, mask);
      assertEquals(4, model.forward(Map.of("a", fa, "b", fb)).length());
      InputFeed shorter = new InputFeed(1, 3, null, null, new float[9], 3, new int[] {0, 1, 2}, null, null, null,
          new float[] {1, 1, 1});
      InvalidInputException ex =
          assertThrows(InvalidInputException.class, () -> model.forward(Map.of("a", fa, "b", shorter)));
      assertTrue(ex.getMessage().contains("fusion 'add'"), ex.getMessage());
    }
    InputConfig longer =
        new InputConfig("c", TokenKind.DISCRETE, 10, 0, false, PositionLayout.SEQUENCE, 9, 0, 0, 0, false, false, false);
    InvalidConfigurationException ex = assertThrows(InvalidConfigurationException.class,
        () -> FusedModel.create(new FusionConfig(List.of(first, longer), FusionStrategies.named("add"), false, false, e), null));
    assertTrue(ex.getMessage().contains("fusion 'add' needs inputs of one length and layout"), ex.getMessage());
    InvalidConfigurationException unknown =
        assertThrows(InvalidConfigurationException.class, () -> FusionStrategies.named("zip"));
    assertTrue(unknown.getMessage().contains("known: add, concat"), unknown.getMessage());
  }

  @Test
  void aCheckpointWhoseShapesDoNotFitIsRefusedNamingTheTensor(@TempDir Path dir) throws Exception {
    Path src = HfParityTest.checkpoint("bert-tiny");
    Files.copy(src.resolve("model.safetensors"), dir.resolve("model.safetensors"));
    Files.writeString(dir.resolve("config.json"),
        Files.readString(src.resolve("config.json")).replace("\"vocab_size\": 1000", "\"vocab_size\": 2000"));
    CheckpointException e = assertThrows(CheckpointException.class, () -> HfCheckpoints.read(dir));
    assertTrue(e.getMessage().contains("tensor embeddings.word_embeddings.weight has shape [1000, 64]; expected"
        + " [2000, 64]"), e.getMessage());
    Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"gpt2\"}");
    assertThrows(io.mmfuse.api.UnsupportedFeatureException.class, () -> HfCheckpoints.read(dir));
  }

  @Test
  void inputFeedsAreCheckedBeforeAnythingRuns() {
    FusionConfig config = SmallModels.all(io.mmfuse.api.proto.Activation.GELU, true, 0f);
    try (FusedModel model = FusedModel.create(config, null)) {
      model.initializeRandom(1);
      Map<String, InputFeed> feeds = SmallModels.feeds(config, 2, 1);
      feeds.remove("cells");
      InvalidInputException e = assertThrows(InvalidInputException.class, () -> model.forward(feeds));
      assertTrue(e.getMessage().contains("no feed for input 'cells'"), e.getMessage());
    }
  }

  /** Resident memory of this process in kB, from /proc. */
  private static long rssKb() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }

  /** Resident memory outside the Java heap, in kB. */
  private static long nativeKb() throws Exception {
    System.gc();
    return rssKb() - Runtime.getRuntime().totalMemory() / 1024;
  }

  @Test
  void nativeMemoryIsClosedInEveryPath() throws Exception {
    FusionConfig config = SmallModels.all(io.mmfuse.api.proto.Activation.GELU, true, 0f);
    try (FusedModel model = FusedModel.create(config, null)) {
      model.initializeRandom(1);
      Map<String, InputFeed> feeds = SmallModels.feeds(config, 8, 1);
      Map<String, InputFeed> bad = new java.util.HashMap<>(feeds);
      InputFeed w = feeds.get("words");
      int[] out = w.ids().clone();
      out[0] = 999;
      bad.put("words", new InputFeed(w.batch(), w.length(), out, null, null, 0, w.positions(), null, null,
          w.segments(), w.mask()));
      for (int i = 0; i < 300; i++) {
        model.forward(feeds);
      }
      Map<String, Weight> weights = model.weights();
      long before = nativeKb();
      for (int i = 0; i < 3000; i++) {
        model.forward(feeds);
        assertThrows(InvalidInputException.class, () -> model.forward(bad));
        if (i % 10 == 0) {
          model.load(weights, "again");
        }
      }
      long growth = nativeKb() - before;
      // Unclosed, the inputs and outputs of 3000 runs and 300 loads would hold well over 100 MB.
      assertTrue(growth < 40_000, "resident memory grew by " + growth + " kB");
    }
  }
}
