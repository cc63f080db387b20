package io.mmfuse.examples.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.proto.HeadSpec;
import io.mmfuse.api.proto.ModelSpec;
import io.mmfuse.api.proto.Task;
import io.mmfuse.fusion.train.Dataset;
import io.mmfuse.fusion.train.Predictor;
import io.mmfuse.fusion.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResumeAndDeterminismTest {
  static Path data(Path dir, String label) throws Exception {
    Random r = new Random(1);
    List<String> rows = new ArrayList<>(List.of("a,b,c,y,z"));
    for (int i = 0; i < 200; i++) {
      double a = r.nextGaussian();
      double b = r.nextGaussian();
      String c = r.nextBoolean() ? "x" : "w";
      rows.add(String.format(java.util.Locale.ROOT, "%.3f,%.3f,%s,%s,%.3f", a, b, c,
          a + b > 0 ? (c.equals("x") ? "p|q" : "p") : "q", 2 * a - b));
    }
    Path f = dir.resolve(label + ".csv");
    Files.write(f, rows);
    return f;
  }

  @Test
  void aRunPausedAndResumedEndsExactlyAsAnUninterruptedOne(@TempDir Path dir) throws Exception {
    Path csv = data(dir, "y");
    Dataset d = Dataset.read(csv, "y", null);
    Trainer.Options opt = Trainer.Options.defaults().withEpochs(4);
    Trainer.Result straight = Trainer.train(ModelSpec.getDefaultInstance(), d, "y", opt, dir, dir.resolve("a"),
        TrainingTest.REGISTRY, null);
    Trainer.Result again = Trainer.train(ModelSpec.getDefaultInstance(), d, "y", opt, dir, dir.resolve("a2"),
        TrainingTest.REGISTRY, null);
    assertArrayEquals(straight.validationPredictions(), again.validationPredictions(), "same seed, same model");

    Trainer.Result paused = Trainer.train(ModelSpec.getDefaultInstance(), d, "y", opt.withPauseAfterEpoch(2), dir,
        dir.resolve("b"), TrainingTest.REGISTRY, null);
    assertEquals(2, paused.epochsRun());
    assertFalse(Files.exists(dir.resolve("b")), "a paused run writes no bundle");
    assertTrue(Files.exists(Trainer.checkpointDir(dir.resolve("b")).resolve("state.properties")));
    Trainer.Result resumed = Trainer.train(ModelSpec.getDefaultInstance(), d, "y", opt.withResume(true), dir,
        dir.resolve("b"), TrainingTest.REGISTRY, null);
    assertEquals(4, resumed.epochsRun());
    assertArrayEquals(straight.validationPredictions(), resumed.validationPredictions(), 1e-6f);
  }

  @Test
  void multiLabelAndRegressionHeadsTrain(@TempDir Path dir) throws Exception {
    Path csv = data(dir, "z");
    ModelSpec multi = ModelSpec.newBuilder().setHead(HeadSpec.newBuilder().setTask(Task.MULTI_LABEL)).build();
    Dataset d = Dataset.read(csv, "y", multi);
    Trainer.Result r = Trainer.train(multi, d, "y", Trainer.Options.defaults().withEpochs(3), dir,
        dir.resolve("multi"), TrainingTest.REGISTRY, null);
    try (Predictor p = Predictor.load(dir.resolve("multi"), TrainingTest.REGISTRY)) {
      assertEquals(List.of("p", "q"), p.classes());
      float[] v = p.predict(d.examples().get(0));
      assertTrue(v[0] >= 0 && v[0] <= 1 && v[1] >= 0 && v[1] <= 1);
    }
    ModelSpec regression = ModelSpec.newBuilder().setHead(HeadSpec.newBuilder().setTask(Task.REGRESSION)).build();
    Dataset dz = Dataset.read(csv, "z", regression);
    Trainer.Result rr = Trainer.train(regression, dz, "z", Trainer.Options.defaults().withEpochs(30), dir,
        dir.resolve("reg"), TrainingTest.REGISTRY, null);
    double std = Math.sqrt(dz.labels().stream().mapToDouble(Double::parseDouble).map(x -> x * x).average()
        .orElseThrow());
    assertTrue(rr.validation().get("rmse") < 0.5 * std, "rmse " + rr.validation() + " vs std " + std);
  }
}
