package io.mmfuse.examples.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.Specs;
import io.mmfuse.api.proto.ModelSpec;
import io.mmfuse.fusion.data.Dataset;
import io.mmfuse.fusion.train.Trainer;
import io.mmfuse.fusion.train.TrainingConfig;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Late fusion with augmented images learns a label that neither input gives alone (whether the picture's colour
 * agrees with the caption's size: 50% from either input by itself; 0.5 untrained), and augmentation keeps training
 * deterministic.
 */
class LateFusionTrainingTest {
  @Test
  void lateFusionLearnsWhatNeedsBothInputsAndAugmentedTrainingIsDeterministic(@TempDir Path dir) throws Exception {
    Random r = new Random(4);
    Files.createDirectories(dir.resolve("img"));
    List<String> rows = new ArrayList<>(List.of("caption,picture,label"));
    for (int i = 0; i < 320; i++) {
      boolean red = r.nextBoolean();
      boolean big = r.nextBoolean();
      BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
      Graphics2D g = img.createGraphics();
      g.setColor(red ? new Color(220, 30, 30) : new Color(30, 30, 220));
      g.fillRect(2 + r.nextInt(4), 2 + r.nextInt(4), 9, 9);
      g.dispose();
      ImageIO.write(img, "png", dir.resolve("img/p" + i + ".png").toFile());
      rows.add(String.join(",", big ? "a big thing" : "a small thing", "img/p" + i + ".png",
          red == big ? "agree" : "differ"));
    }
    Path data = Files.write(dir.resolve("data.csv"), rows);
    Files.writeString(dir.resolve("model.spec"), """
        inputs { name: "caption" modality: "text" }
        inputs { name: "picture" modality: "image"
          settings { [mmfuse/mmfuse.image.ImageSettings] { augmentation { enabled: true } } } }
        backbone { width: 32 layers: 1 heads: 2 ffn_width: 64 norm: PRE activation: GELU dropout: 0.1
          fusion: "late" final_layer_norm: true }
        """);
    ModelSpec spec = Specs.read(dir.resolve("model.spec"));
    Dataset d = Dataset.read(data, "label", spec, TrainingTest.REGISTRY);
    TrainingConfig config = TrainingConfig.builder().optEpochs(25).optPatience(25).optTargetScore(0.98)
        .optTargetEpochs(2).optLearningRate(3e-3f).build();
    Trainer.Result a = new Trainer(config, TrainingTest.REGISTRY).fit(spec, d, dir, dir.resolve("a"));
    double accuracy = a.validation().get("accuracy");
    assertTrue(accuracy >= 0.75, "held-out accuracy " + accuracy + " after " + a.epochsRun() + " epochs");

    // The same seed, the same augmented images on however many threads: the same model.
    Trainer.Result b = new Trainer(TrainingConfig.builder().optEpochs(2).build(), TrainingTest.REGISTRY)
        .fit(spec, d, dir, dir.resolve("b"));
    Trainer.Result c = new Trainer(TrainingConfig.builder().optEpochs(2).build(), TrainingTest.REGISTRY)
        .fit(spec, d, dir, dir.resolve("c"));
    assertArrayEquals(b.validationPredictions(), c.validationPredictions(), 0f);
  }
}
