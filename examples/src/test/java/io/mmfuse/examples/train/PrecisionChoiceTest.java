package io.mmfuse.examples.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.mmfuse.api.proto.ModelSpec;
import io.mmfuse.api.proto.Precision;
import io.mmfuse.fusion.data.Dataset;
import io.mmfuse.fusion.graph.ModelSpecs;
import io.mmfuse.fusion.train.Trainer;
import io.mmfuse.fusion.train.TrainingConfig;
import io.mmfuse.fusion.train.TrainingListener;
import io.mmfuse.runtime.CpuFeatures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainer applies the precision policy for this machine and records it in the manifest, not in the spec. */
class PrecisionChoiceTest {
  /** AUTO as the policy gives it, whatever a test before set. */
  @org.junit.jupiter.api.BeforeEach
  @org.junit.jupiter.api.AfterEach
  void autoByPolicy() {
    System.clearProperty("mmfuse.autoPrecision");
  }

  @Test
  void thePropertyFixesAuto(@TempDir Path dir) throws Exception {
    System.setProperty("mmfuse.autoPrecision", "FLOAT32");
    Dataset d = Dataset.read(ResumeAndDeterminismTest.data(dir, "y"), "y", null);
    new Trainer(TrainingConfig.builder().optEpochs(1).build(), TrainingTest.REGISTRY)
        .fit(ModelSpec.getDefaultInstance(), d, dir, dir.resolve("m"));
    JsonObject p = machine(dir.resolve("m")).getAsJsonObject("precision");
    assertEquals("FLOAT32", p.get("used").getAsString());
    assertEquals("-Dmmfuse.autoPrecision=FLOAT32", p.get("reason").getAsString());
  }
  static JsonObject machine(Path bundle) throws Exception {
    return JsonParser.parseString(Files.readString(bundle.resolve("manifest.json"))).getAsJsonObject()
        .getAsJsonObject("provenance").getAsJsonObject("machine");
  }

  @Test
  void bfloat16AskedForIsWhatThisCpuDoesWellAndTheSpecKeepsWhatWasAsked(@TempDir Path dir) throws Exception {
    Dataset d = Dataset.read(ResumeAndDeterminismTest.data(dir, "y"), "y", null);
    ModelSpec spec = ModelSpec.newBuilder().setBackbone(ModelSpecs.defaultBackbone().toBuilder()
        .setPrecision(Precision.MIXED_BFLOAT16)).build();
    List<String> notes = new ArrayList<>();
    Trainer.Result r = new Trainer(TrainingConfig.builder().optEpochs(1).build(), TrainingTest.REGISTRY)
        .addListener(new TrainingListener() {
          @Override
          public void onNote(String note) {
            notes.add(note);
          }
        }).fit(spec, d, dir, dir.resolve("m"));
    assertEquals(Precision.MIXED_BFLOAT16, r.spec().getBackbone().getPrecision(), "the spec keeps what was asked");
    JsonObject precision = machine(dir.resolve("m")).getAsJsonObject("precision");
    assertEquals("MIXED_BFLOAT16", precision.get("asked").getAsString());
    boolean fast = io.mmfuse.runtime.PrecisionPolicy.fastBfloat16(CpuFeatures.detect());
    assertEquals(fast ? "MIXED_BFLOAT16" : "FLOAT32", precision.get("used").getAsString(), precision.toString());
    long warnings = notes.stream().filter(n -> n.startsWith("warning: precision MIXED_BFLOAT16 asked for")).count();
    assertEquals(fast ? 0 : 1, warnings, notes.toString());
  }

  @Test
  void unsetPrecisionIsAutoAndRecordedWithTheMachine(@TempDir Path dir) throws Exception {
    Dataset d = Dataset.read(ResumeAndDeterminismTest.data(dir, "y"), "y", null);
    new Trainer(TrainingConfig.builder().optEpochs(1).build(), TrainingTest.REGISTRY)
        .fit(ModelSpec.getDefaultInstance(), d, dir, dir.resolve("m"));
    JsonObject m = machine(dir.resolve("m"));
    assertEquals("AUTO", m.getAsJsonObject("precision").get("asked").getAsString());
    // Float32 on every CPU, bfloat16 in hardware or not: bfloat16 training cost the demo's model its accuracy.
    assertEquals("FLOAT32", m.getAsJsonObject("precision").get("used").getAsString(), m.toString());
    assertEquals(CpuFeatures.detect().summary().size(), m.getAsJsonArray("cpu_features").size());
    assertTrue(m.get("device").getAsString().startsWith("CPU"), m.toString());
    assertEquals(0, TrainingTest.bfloat16Nodes(dir.resolve("m")));
  }
}
