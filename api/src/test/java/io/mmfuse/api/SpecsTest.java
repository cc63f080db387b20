package io.mmfuse.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.proto.Activation;
import io.mmfuse.api.proto.BackboneSpec;
import io.mmfuse.api.proto.HeadSpec;
import io.mmfuse.api.proto.InputSpec;
import io.mmfuse.api.proto.ModelSpec;
import io.mmfuse.api.proto.NormPlacement;
import io.mmfuse.api.proto.Task;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpecsTest {
  /** A plugin's settings message, as far as api can tell: any message; here protobuf's own Struct and Duration. */
  static final com.google.protobuf.Struct WINDOW = com.google.protobuf.Struct.newBuilder()
      .putFields("window", com.google.protobuf.Value.newBuilder().setNumberValue(32).build()).build();

  static {
    Specs.register(java.util.List.of(com.google.protobuf.Struct.getDescriptor(),
        com.google.protobuf.Duration.getDescriptor()));
  }

  static ModelSpec sample() {
    return ModelSpec.newBuilder()
        .setName("vqa")
        .addInputs(
            Settings.with(InputSpec.newBuilder().setName("question").setModality("text").build(),
                com.google.protobuf.Duration.newBuilder().setSeconds(224).build()))
        .addInputs(Settings.with(InputSpec.newBuilder().setName("series").setModality("timeseries").build(), WINDOW))
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
    // Settings are spelled out by their type's name, not as bytes.
    assertTrue(Specs.toText(spec).contains("[mmfuse/google.protobuf.Duration] {\n      seconds: 224"),
        Specs.toText(spec));
    assertEquals(WINDOW, Settings.of(back.getInputs(1), com.google.protobuf.Struct.class));
  }

  @Test
  void settingsOfAnotherTypeThanTheModalityExpectsAreRefusedNamingBoth() {
    InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class,
        () -> Settings.of(sample().getInputs(1), com.google.protobuf.Duration.class));
    assertTrue(e.getMessage().contains("input 'series': settings of type google.protobuf.Struct; modality"
        + " 'timeseries' expects google.protobuf.Duration"), e.getMessage());
    assertEquals(com.google.protobuf.Duration.getDefaultInstance(),
        Settings.of(InputSpec.newBuilder().setName("x").build(), com.google.protobuf.Duration.class));
  }

  @Test
  void settingsOfATypeNoPluginProvidesAreAParseErrorWithTheLine() {
    InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class,
        () -> Specs.parse("inputs { name: \"a\" modality: \"smell\"\n settings { [mmfuse/acme.SmellSettings] { } } }",
            "smell.spec"));
    assertTrue(e.getMessage().contains("smell.spec: line 2"), e.getMessage());
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
