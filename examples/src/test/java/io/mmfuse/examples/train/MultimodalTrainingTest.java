package io.mmfuse.examples.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.Specs;
import io.mmfuse.fusion.data.Dataset;
import io.mmfuse.fusion.inference.Predictor;
import io.mmfuse.fusion.train.Trainer;
import io.mmfuse.fusion.train.TrainingConfig;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Text, image and table together, with a third of the examples missing one input. */
class MultimodalTrainingTest {
  static final Path BERT =
      Path.of("../modality-text/src/test/resources/fixtures/text/bert-base-uncased-tokenizer.json").toAbsolutePath();

  @Test
  void trainsWithMissingInputsAndPredictsWithMissingInputs(@TempDir Path dir) throws Exception {
    Random r = new Random(9);
    Files.createDirectories(dir.resolve("img"));
    List<String> rows = new ArrayList<>(List.of("caption,picture,size,kind,label"));
    for (int i = 0; i < 240; i++) {
      boolean red = r.nextBoolean();
      boolean big = r.nextBoolean();
      BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
      Graphics2D g = img.createGraphics();
      g.setColor(red ? Color.RED : Color.BLUE);
      g.fillRect(r.nextInt(6), r.nextInt(6), 8, 8);
      g.dispose();
      ImageIO.write(img, "png", dir.resolve("img/p" + i + ".png").toFile());
      String caption = (big ? "a big object" : "a small object") + " seen from " + (r.nextBoolean() ? "above" : "aside");
      String size = String.valueOf(big ? 8 + r.nextInt(4) : 1 + r.nextInt(4));
      String kind = r.nextBoolean() ? "toy" : "tool";
      int missing = i % 3 == 0 ? i / 3 % 3 : -1;
      rows.add(String.join(",", missing == 0 ? "" : "\"" + caption + "\"", missing == 1 ? "" : "img/p" + i + ".png",
          missing == 2 ? "" : size, missing == 2 ? "" : kind, red == big ? "match" : "differ"));
    }
    Path data = dir.resolve("data.csv");
    Files.write(data, rows);
    Files.writeString(dir.resolve("model.spec"), """
        inputs { name: "caption" modality: "text"
          settings { [mmfuse/mmfuse.text.TextSettings] { tokenizer_file: "%s" add_special_tokens: true max_length: 16 } } }
        inputs { name: "picture" modality: "image" missing: MISSING_TOKEN
          settings { [mmfuse/mmfuse.image.ImageSettings] { preset: "vit" resize_height: 16 resize_width: 16 patch_size: 4 } } }
        inputs { name: "table" modality: "table" }
        backbone { width: 32 layers: 1 heads: 2 ffn_width: 64 norm: PRE activation: GELU dropout: 0.1
          fusion: "concat" final_layer_norm: true }
        """.formatted(BERT));
    var spec = Specs.read(dir.resolve("model.spec"));
    Dataset d = Dataset.read(data, "label", spec);
    assertEquals(80, d.examples().stream().filter(e -> e.containsValue(null)).count());
    Trainer.Result result = new Trainer(TrainingConfig.builder().optEpochs(4).optModalityDropout(0.1f).build(),
        TrainingTest.REGISTRY).fit(spec, d, dir, dir.resolve("model"));
    assertEquals(4, result.epochsRun());
    try (Predictor p = Predictor.load(dir.resolve("model"), TrainingTest.REGISTRY)) {
      for (Map<String, Object> ex : d.examples().subList(0, 9)) {
        float[] probs = p.predict(ex);
        assertEquals(1f, probs[0] + probs[1], 1e-5);
      }
      Map<String, Object> onlyText = new HashMap<>();
      onlyText.put("caption", "a big object seen from above");
      assertEquals(2, p.predict(onlyText).length);
      InvalidInputException e = assertThrows(InvalidInputException.class, () -> p.predict(Map.of()));
      assertTrue(e.getMessage().contains("every input is missing"), e.getMessage());
    }
  }
}
