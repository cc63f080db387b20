package io.mmfuse.spark;

import io.mmfuse.api.Specs;
import io.mmfuse.api.plugin.Plugins;
import io.mmfuse.fusion.data.Dataset;
import io.mmfuse.fusion.train.Trainer;
import io.mmfuse.fusion.train.TrainingConfig;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * A small text + image + table bundle trained once per test JVM on generated rows (caption, picture path, size,
 * kind; label match/differ), and the CSV it was trained on: rows with an id column, some with a missing input.
 */
final class TestBundles {
  private TestBundles() {}

  static final Path BERT = Path.of("../modality-text/src/test/resources/fixtures/text/bert-base-uncased-tokenizer.json")
      .toAbsolutePath();
  static final int ROWS = 90;

  private static Path dir;

  /** The directory holding data.csv, img/ and model/ (the bundle). */
  static synchronized Path dir() {
    if (dir == null) {
      try {
        dir = Files.createTempDirectory("mmfuse-spark-test");
        Path made = dir;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> io.mmfuse.fusion.internal.Checksums.deleteTree(made)));
        build(dir);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return dir;
  }

  static Path bundle() {
    return dir().resolve("model");
  }

  static Path data() {
    return dir().resolve("data.csv");
  }

  private static void build(Path d) throws IOException {
    Random r = new Random(5);
    Files.createDirectories(d.resolve("img"));
    List<String> rows = new ArrayList<>(List.of("id,caption,picture,size,kind,label"));
    for (int i = 0; i < ROWS; i++) {
      boolean red = r.nextBoolean();
      boolean big = r.nextBoolean();
      BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
      Graphics2D g = img.createGraphics();
      g.setColor(red ? Color.RED : Color.BLUE);
      g.fillRect(r.nextInt(6), r.nextInt(6), 8, 8);
      g.dispose();
      ImageIO.write(img, "png", d.resolve("img/p" + i + ".png").toFile());
      String caption = (big ? "a big object" : "a small object") + " seen from " + (r.nextBoolean() ? "above" : "aside");
      String size = String.valueOf(big ? 8 + r.nextInt(4) : 1 + r.nextInt(4));
      String kind = r.nextBoolean() ? "toy" : "tool";
      // Every seventh row lacks its caption, every eleventh its picture.
      rows.add(String.join(",", "id" + i, i % 7 == 3 ? "" : "\"" + caption + "\"",
          i % 11 == 5 ? "" : "img/p" + i + ".png", size, kind, red == big ? "match" : "differ"));
    }
    Files.write(d.resolve("data.csv"), rows);
    Files.writeString(d.resolve("model.spec"), """
        inputs { name: "caption" modality: "text"
          settings { [mmfuse/mmfuse.text.TextSettings] { tokenizer_file: "%s" add_special_tokens: true max_length: 16 } } }
        inputs { name: "picture" modality: "image" missing: MISSING_TOKEN
          settings { [mmfuse/mmfuse.image.ImageSettings] { preset: "vit" resize_height: 16 resize_width: 16 patch_size: 4 } } }
        inputs { name: "table" modality: "table" }
        backbone { width: 32 layers: 1 heads: 2 ffn_width: 64 norm: PRE activation: GELU dropout: 0.1
          fusion: "concat" final_layer_norm: true }
        """.formatted(BERT));
    var registry = Plugins.load();
    var spec = Specs.read(d.resolve("model.spec"));
    Dataset data = Dataset.read(d.resolve("data.csv"), "label", spec, registry,
        new Dataset.ReadOptions(java.util.Set.of("id"), java.util.Map.of(), null));
    new Trainer(TrainingConfig.builder().optEpochs(2).build(), registry).fit(spec, data, d, d.resolve("model"));
  }
}
