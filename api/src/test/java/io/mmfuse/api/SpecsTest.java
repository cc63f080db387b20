package io.mmfuse.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.proto.Activation;
import io.mmfuse.api.proto.BackboneSpec;
import io.mmfuse.api.proto.HeadSpec;
import io.mmfuse.api.proto.ImageSettings;
import io.mmfuse.api.proto.InputSpec;
import io.mmfuse.api.proto.ModelSpec;
import io.mmfuse.api.proto.NormPlacement;
import io.mmfuse.api.proto.Task;
import io.mmfuse.api.proto.TextSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpecsTest {
  static ModelSpec sample() {
    return ModelSpec.newBuilder()
        .setName("vqa")
        .addInputs(
            InputSpec.newBuilder()
                .setName("question")
                .setModality("text")
                .setText(TextSettings.newBuilder().setTokenizerFile("tokenizer.json").setAddSpecialTokens(true)))
        .addInputs(
            InputSpec.newBuilder()
                .setName("picture")
                .setModality("image")
                .setImage(ImageSettings.newBuilder().setPreset("vit").setPatchSize(16).setShortestEdge(224)))
        .addInputs(InputSpec.newBuilder().setName("series").setModality("timeseries").putOptions("window", "32"))
        .setBackbone(
            BackboneSpec.newBuilder()
                .setWidth(256)
                .setLayers(4)
                .setHeads(4)
                .setFfnWidth(1024)
                .setNorm(NormPlacement.PRE)
                .setActivation(Activation.GELU)
                .setDropout(0.1f)
                .setFusion("concat")
                .setLayerNormEps(1e-12f))
        .setHead(HeadSpec.newBuilder().setTask(Task.CLASSIFICATION).addClasses("no").addClasses("yes"))
        .build();
  }

  @Test
  void specRoundTripsThroughTextFormat(@TempDir Path dir) {
    ModelSpec spec = sample();
    Path file = dir.resolve("model.spec");
    Specs.write(spec, file);
    ModelSpec back = Specs.read(file);
    assertEquals(spec, back);
    assertTrue(Specs.toText(spec).contains("name: \"question\""));
    assertTrue(Specs.toText(spec).contains("shortest_edge: 224"));
  }

  @Test
  void parseErrorNamesFileAndLine() {
    InvalidConfigurationException e =
        assertThrows(
            InvalidConfigurationException.class,
            () -> Specs.parse("name: \"x\"\ninputs { name: \"a\" modality: 7 }\n", "bad.spec"));
    assertTrue(e.getMessage().contains("bad.spec: line 2"), e.getMessage());
  }

  @Test
  void unreadableSpecFileIsReportedByName(@TempDir Path dir) {
    Path missing = dir.resolve("nope.spec");
    InvalidConfigurationException e =
        assertThrows(InvalidConfigurationException.class, () -> Specs.read(missing));
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
  }

  @Test
  void validationReportsEveryProblemAtOnce() {
    ModelSpec spec =
        sample().toBuilder()
            .addInputs(InputSpec.newBuilder().setName("question").setModality("text"))
            .setBackbone(sample().getBackbone().toBuilder().setHeads(3))
            .build();
    InvalidConfigurationException e =
        assertThrows(InvalidConfigurationException.class, () -> Specs.validate(spec, "s.spec"));
    assertTrue(e.getMessage().contains("2 problem(s)"), e.getMessage());
    assertTrue(e.getMessage().contains("'question' is used twice"), e.getMessage());
    assertTrue(e.getMessage().contains("not divisible by heads 3"), e.getMessage());
    assertEquals(sample(), Specs.validate(sample(), "ok.spec"));
  }

  @Test
  void failedWriteLeavesTheOldFileAndNoTemporaryFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("out.txt");
    Files.writeString(file, "old");
    assertThrows(
        IllegalStateException.class,
        () ->
            io.mmfuse.api.internal.AtomicFiles.write(
                file,
                out -> {
                  out.write("partial".getBytes());
                  throw new IllegalStateException("boom");
                }));
    assertEquals("old", Files.readString(file));
    try (var files = Files.list(dir)) {
      assertEquals(1, files.count());
    }
  }
}
