package io.mmfuse.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example third-party plugin (module plugin-timeseries), used only through a plugin directory. */
class TimeSeriesPluginTest {
  static final Path PLUGINS = Path.of(System.getProperty("mmfuse.test.plugins", "target/test-plugins"));

  @Test
  void isNotOnTheClassPathButIsDiscoveredInItsDirectory() {
    assertThrows(ClassNotFoundException.class, () -> Class.forName("com.example.timeseries.TimeSeriesPlugin"));
    List<String> err = new ArrayList<>();
    String out = PluginJars.run(err, "modalities", "--plugins", PLUGINS.toString());
    assertEquals("0", err.get(1), err.get(0));
    assertTrue(out.lines().toList().contains("timeseries\tcom.example.timeseries.TimeSeriesTokenizer"), out);
  }

  @Test
  void trainsTogetherWithTextAndPredicts(@TempDir Path dir) throws Exception {
    Random r = new Random(3);
    List<String> rows = new ArrayList<>(List.of("note,readings,trend"));
    String[] notes = {"morning sensor log", "evening sensor log", "noisy channel", "backup channel reading"};
    for (int i = 0; i < 300; i++) {
      boolean up = r.nextBoolean();
      StringBuilder series = new StringBuilder();
      double v = r.nextGaussian();
      for (int k = 0; k < 12; k++) {
        v += (up ? 0.5 : -0.5) + r.nextGaussian() * 0.2;
        series.append(String.format(Locale.ROOT, "%.3f ", v));
      }
      rows.add("\"" + notes[r.nextInt(notes.length)] + "\"," + series.toString().trim() + "," + (up ? "up" : "down"));
    }
    Files.write(dir.resolve("series.csv"), rows);
    Path bert = Path.of("../modality-text/src/test/resources/fixtures/text/bert-base-uncased-tokenizer.json")
        .toAbsolutePath();
    Files.writeString(dir.resolve("model.spec"), """
        inputs { name: "note" modality: "text" settings { [mmfuse/mmfuse.text.TextSettings] { tokenizer_file: "%s" add_special_tokens: true max_length: 16 } } }
        inputs { name: "readings" modality: "timeseries"
          settings { [mmfuse/example.timeseries.TimeSeriesSettings] { window: 3 standardize: true } } }
        backbone { width: 32 layers: 1 heads: 2 ffn_width: 64 norm: PRE activation: GELU fusion: "concat"
          final_layer_norm: true }
        """.formatted(bert));
    Path model = dir.resolve("model");
    String[] train = TrainingCli.run("train", "--plugins", PLUGINS.toString(), "--data",
        dir.resolve("series.csv").toString(), "--label", "trend", "--spec", dir.resolve("model.spec").toString(),
        "--out", model.toString(), "--epochs", "15");
    assertEquals("0", train[2], train[1]);
    double accuracy = JsonParser.parseString(train[0].strip()).getAsJsonObject().get("accuracy").getAsDouble();
    assertTrue(accuracy >= 0.9, "validation accuracy " + accuracy);
    String[] predict = TrainingCli.run("predict", "--plugins", PLUGINS.toString(), "--model", model.toString(),
        "--input", dir.resolve("series.csv").toString());
    assertEquals("0", predict[2], predict[1]);
    assertEquals(300, predict[0].lines().count());
    // The plugin's typed settings and fitted state travel in the bundle's spec, readable by name.
    String saved = Files.readString(model.resolve("model.spec"));
    assertTrue(saved.contains("[mmfuse/example.timeseries.TimeSeriesSettings]") && saved.contains("readings: 2700"),
        saved);
    // Without the plugin directory the bundle cannot be loaded, and says which modality is missing.
    String[] without = TrainingCli.run("predict", "--model", model.toString(), "--input",
        dir.resolve("series.csv").toString());
    assertEquals("2", without[2]);
    assertTrue(without[1].contains("unknown modality 'timeseries'"), without[1]);
  }

  @Test
  void itsModalityClaimsAColumnOfNumericSeriesWhenNoSpecNamesTheInputs(@TempDir Path dir) throws Exception {
    List<String> rows = new ArrayList<>(List.of("note,readings,amount"));
    for (int i = 0; i < 20; i++) {
      rows.add("\"a note of several words\",\"" + i + " " + (i + 1) + " " + (i + 2) + " " + (i + 3) + "\"," + i);
    }
    Files.write(dir.resolve("d.csv"), rows);
    try (var loader = io.mmfuse.api.plugin.Plugins.openPluginDirectory(PLUGINS, getClass().getClassLoader())) {
      var registry = io.mmfuse.api.plugin.Plugins.load(loader);
      var d = io.mmfuse.fusion.data.Dataset.read(dir.resolve("d.csv"), null, null, registry);
      assertEquals(List.of("note:text", "readings:timeseries", "table:table"),
          d.inputs().stream().map(in -> in.getName() + ":" + in.getModality()).toList());
      // Without the plugin, the same column is free text.
      var plain = io.mmfuse.fusion.data.Dataset.read(dir.resolve("d.csv"), null, null,
          io.mmfuse.api.plugin.Plugins.load(getClass().getClassLoader()));
      assertEquals(List.of("note:text", "readings:text", "table:table"),
          plain.inputs().stream().map(in -> in.getName() + ":" + in.getModality()).toList());
    }
  }

  /** Runs the command line, returning stdout, stderr and the exit code. */
  static final class TrainingCli {
    static String[] run(String... args) {
      var out = new java.io.StringWriter();
      var err = new java.io.StringWriter();
      int code = Main.run(new java.io.PrintWriter(out), new java.io.PrintWriter(err), args);
      return new String[] {out.toString(), err.toString(), Integer.toString(code)};
    }
  }
}
