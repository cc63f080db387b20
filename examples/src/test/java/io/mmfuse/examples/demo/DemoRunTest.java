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
}
