package io.mmfuse.examples.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.mmfuse.api.plugin.Plugins;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A short demo run (few examples, few epochs: files and figures, not accuracy) writes everything it promises. */
class DemoRunTest {
  @Test
  void aShortRunWritesTheSummaryTheBundleAndBothPictures(@TempDir Path out) throws Exception {
    StringWriter log = new StringWriter();
    DemoRun.Summary s = new DemoRun(out, 400, 3, 2, Plugins.load(getClass().getClassLoader()), new PrintWriter(log))
        .run();
    JsonObject summary = JsonParser.parseString(Files.readString(out.resolve("summary.json"))).getAsJsonObject();
    assertEquals(s.fused(), summary.get("fused_accuracy").getAsDouble(), 1e-9);
    JsonObject uni = summary.getAsJsonObject("unimodal_accuracy");
    for (String m : new String[] {"text", "image", "table"}) {
      assertEquals(s.unimodal().get(m), uni.get(m).getAsDouble(), 1e-9, m);
    }
    assertTrue(summary.get("train_seconds").getAsDouble() > 0);
    assertEquals(400, summary.getAsJsonObject("settings").get("examples").getAsInt());
    assertTrue(Files.isRegularFile(out.resolve("model/manifest.json")));
    assertNotNull(ImageIO.read(out.resolve("training-curves.png").toFile()));
    assertNotNull(ImageIO.read(out.resolve("attention.png").toFile()));
    assertTrue(s.table().contains("fused (all three)") && s.table().contains("image only"), s.table());
  }

  @Test
  void theAttentionFigureHasOneScaleForPatchesWordsAndColumns() {
    java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(8, 8, java.awt.image.BufferedImage.TYPE_INT_RGB);
    var a = new Charts.Case(img, new float[] {0.1f, 0.05f, 0.02f, 0.03f}, 2, java.util.List.of("a", "b"),
        new float[] {0.3f, 0.1f}, java.util.List.of("check"), new float[] {0.2f}, "first");
    var b = new Charts.Case(img, new float[] {0.4f, 0.0f, 0.0f, 0.1f}, 2, java.util.List.of("c"), new float[] {0.05f},
        java.util.List.of("check"), new float[] {0.35f}, "second");
    // The largest weight of any group of any case: a patch of the second.
    assertEquals(0.4, Charts.sharedScale(java.util.List.of(a, b)), 1e-6);
    assertEquals(0.3, Charts.sharedScale(java.util.List.of(a)), 1e-6);
    // The colour scale spans it, from light to dark.
    var scale = Charts.paintScale(0.4);
    assertEquals(0.4, scale.getUpperBound(), 1e-9);
    java.awt.Color low = (java.awt.Color) scale.getPaint(0);
    java.awt.Color high = (java.awt.Color) scale.getPaint(0.4);
    assertTrue(low.getRed() + low.getGreen() + low.getBlue() > 3 * high.getRed() + high.getGreen() + high.getBlue());
  }

  @Test
  void theRetrievalDemoWritesItsFiguresAndGrid(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    // The emoji set kept in the repository (data/emoji, with its provenance); 60 emoji, 2 epochs: a quick run.
    java.nio.file.Path emoji = java.nio.file.Path.of("..", "data", "emoji");
    java.io.StringWriter log = new java.io.StringWriter();
    RetrievalDemo.Summary s = new RetrievalDemo(emoji, dir, 60, 7, 2,
        io.mmfuse.api.plugin.Plugins.load(getClass().getClassLoader()), new java.io.PrintWriter(log)).run();
    org.junit.jupiter.api.Assertions.assertTrue(log.toString().contains("unseen emoji (24 drawings)"), log.toString());
    org.junit.jupiter.api.Assertions.assertEquals(java.util.Set.of("recall_a_to_b@1", "recall_a_to_b@5",
        "recall_a_to_b@10", "recall_b_to_a@1", "recall_b_to_a@5", "recall_b_to_a@10", "mean_recall"),
        s.unseen().keySet());
    java.awt.image.BufferedImage grid = javax.imageio.ImageIO.read(s.grid().toFile());
    org.junit.jupiter.api.Assertions.assertTrue(grid.getWidth() > 800 && grid.getHeight() > 400);
    org.junit.jupiter.api.Assertions.assertTrue(java.nio.file.Files.readString(dir.resolve("summary.json"))
        .contains("zero_shot_accuracy"));
  }
}
