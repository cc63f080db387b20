package io.mmfuse.examples.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.proto.HeadSpec;
import io.mmfuse.api.proto.ModelSpec;
import io.mmfuse.api.proto.Task;
import io.mmfuse.fusion.data.Dataset;
import io.mmfuse.fusion.inference.Predictor;
import io.mmfuse.fusion.train.EpochCheckpoints;
import io.mmfuse.fusion.train.Trainer;
import io.mmfuse.fusion.train.TrainingConfig;
import io.mmfuse.fusion.train.TrainingListener;
import io.mmfuse.fusion.train.TrainingModel;
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
    TrainingConfig opt = TrainingConfig.builder().optEpochs(4).build();
    ModelSpec spec = ModelSpec.getDefaultInstance();
    Trainer.Result straight = new Trainer(opt, TrainingTest.REGISTRY).fit(spec, d, dir, dir.resolve("a"));
    Trainer.Result again = new Trainer(opt, TrainingTest.REGISTRY).fit(spec, d, dir, dir.resolve("a2"));
    assertArrayEquals(straight.validationPredictions(), again.validationPredictions(), "same seed, same model");

    // A listener stops the run after epoch 2 as an interruption would: checkpoint kept, no bundle.
    TrainingListener pause = new TrainingListener() {
      @Override
      public Decision onEpoch(Epoch e, TrainingModel model) {
        return e.epoch() == 2 ? Decision.PAUSE : Decision.CONTINUE;
      }
    };
    Trainer.Result paused = new Trainer(opt, TrainingTest.REGISTRY).addListener(pause)
        .fit(spec, d, dir, dir.resolve("b"));
    assertFalse(paused.bundleWritten());
    assertEquals(2, paused.epochsRun());
    assertFalse(Files.exists(dir.resolve("b")), "a paused run writes no bundle");
    assertTrue(Files.exists(EpochCheckpoints.directory(dir.resolve("b")).resolve("state.properties")));
    Trainer.Result resumed = new Trainer(opt.toBuilder().optResume(true).build(), TrainingTest.REGISTRY)
        .fit(spec, d, dir, dir.resolve("b"));
    assertEquals(4, resumed.epochsRun());
    assertArrayEquals(straight.validationPredictions(), resumed.validationPredictions(), 1e-6f);
  }

  @Test
  void resumingAFinishedRunIsRefusedAndLeavesItsBundle(@TempDir Path dir) throws Exception {
    Dataset d = Dataset.read(data(dir, "y"), "y", null);
    TrainingConfig opt = TrainingConfig.builder().optEpochs(2).build();
    ModelSpec spec = ModelSpec.getDefaultInstance();
    Path out = dir.resolve("a");
    new Trainer(opt, TrainingTest.REGISTRY).fit(spec, d, dir, out);
    byte[] manifest = Files.readAllBytes(out.resolve(io.mmfuse.fusion.bundle.BundleReader.MANIFEST_FILE));
    TrainingConfig resume = opt.toBuilder().optResume(true).build();
    io.mmfuse.api.InvalidInputException e = org.junit.jupiter.api.Assertions.assertThrows(
        io.mmfuse.api.InvalidInputException.class, () -> new Trainer(resume, TrainingTest.REGISTRY)
            .fit(spec, d, dir, out));
    assertTrue(e.getMessage().contains("nothing to resume at " + out + ": the run that wrote it finished"),
        e.getMessage());
    assertArrayEquals(manifest, Files.readAllBytes(out.resolve(io.mmfuse.fusion.bundle.BundleReader.MANIFEST_FILE)),
        "the finished bundle is left as it was");

    // With neither checkpoint nor bundle, --resume starts at epoch 1 and says so.
    List<String> notes = new ArrayList<>();
    Trainer.Result fresh = new Trainer(resume, TrainingTest.REGISTRY).addListener(new TrainingListener() {
      @Override
      public void onNote(String note) {
        notes.add(note);
      }
    }).fit(spec, d, dir, dir.resolve("b"));
    assertEquals(2, fresh.epochsRun());
    assertTrue(notes.contains("no checkpoint in " + EpochCheckpoints.directory(dir.resolve("b"))
        + "; starting at epoch 1"), notes.toString());
  }

  @Test
  void multiLabelAndRegressionHeadsTrain(@TempDir Path dir) throws Exception {
    Path csv = data(dir, "z");
    ModelSpec multi = ModelSpec.newBuilder().setHead(HeadSpec.newBuilder().setTask(Task.MULTI_LABEL)).build();
    Dataset d = Dataset.read(csv, "y", multi);
    Trainer.Result r = new Trainer(TrainingConfig.builder().optEpochs(3).build(), TrainingTest.REGISTRY)
        .fit(multi, d, dir, dir.resolve("multi"));
    try (Predictor p = Predictor.load(dir.resolve("multi"), TrainingTest.REGISTRY)) {
      assertEquals(List.of("p", "q"), p.classes());
      float[] v = p.predict(d.examples().get(0));
      assertTrue(v[0] >= 0 && v[0] <= 1 && v[1] >= 0 && v[1] <= 1);
    }
    ModelSpec regression = ModelSpec.newBuilder().setHead(HeadSpec.newBuilder().setTask(Task.REGRESSION)).build();
    Dataset dz = Dataset.read(csv, "z", regression);
    Trainer.Result rr = new Trainer(TrainingConfig.builder().optEpochs(30).build(), TrainingTest.REGISTRY)
        .fit(regression, dz, dir, dir.resolve("reg"));
    double std = Math.sqrt(dz.labels().stream().mapToDouble(Double::parseDouble).map(x -> x * x).average()
        .orElseThrow());
    assertTrue(rr.validation().get("rmse") < 0.5 * std, "rmse " + rr.validation() + " vs std " + std);
  }
}
