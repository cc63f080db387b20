package io.mmfuse.examples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.safetensors.SafeTensors;
import io.mmfuse.api.safetensors.SafeTensorsWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfRunCommandTest {
  static final Path HF = Path.of("../fusion-core/src/test/resources/fixtures/hf");

  @Test
  void runsBertAndWritesHiddenStateAndPoolerMatchingTransformers(@TempDir Path dir) {
    Path out = dir.resolve("out.safetensors");
    Path ref = HF.resolve("bert-tiny/reference.safetensors");
    List<String> err = TokenizeTextCommandTest.run("hf-run", "--checkpoint", HF.resolve("bert-tiny").toString(),
        "--inputs", ref.toString(), "--output", out.toString());
    assertEquals("0", err.get(1), err.get(0));
    SafeTensors st = SafeTensors.open(out);
    SafeTensors expected = SafeTensors.open(ref);
    assertArrayEquals(expected.floats("last_hidden_state"), st.floats("last_hidden_state"), 1e-4f);
    assertArrayEquals(expected.floats("pooler_output"), st.floats("pooler_output"), 1e-4f);
  }

  @Test
  void theCommandLineRunsInALocaleWhoseDigitsAreNotAscii(@TempDir Path dir) throws Exception {
    // Persian writes digits as ۰-۹, and TensorFlow Java numbers graph nodes in the default format locale; Turkish
    // lower-cases I to a dotless i. The command line runs its own JVM, so it runs there as anywhere.
    Path out = dir.resolve("out.safetensors");
    Path ref = HF.resolve("bert-tiny/reference.safetensors");
    Path err = dir.resolve("err.txt");
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Duser.language=tr", "-Duser.country=TR", "-Duser.language.format=fa", "-Duser.country.format=IR", "-cp",
        System.getProperty("java.class.path"), Main.class.getName(), "hf-run", "--checkpoint",
        HF.resolve("bert-tiny").toString(), "--inputs", ref.toString(), "--output", out.toString())
        .redirectErrorStream(true).redirectOutput(err.toFile()).start();
    try {
      assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), java.nio.file.Files.readString(err));
      assertEquals(0, p.exitValue(), java.nio.file.Files.readString(err));
    } finally {
      p.destroyForcibly();
    }
    SafeTensors st = SafeTensors.open(out);
    SafeTensors expected = SafeTensors.open(ref);
    assertArrayEquals(expected.floats("last_hidden_state"), st.floats("last_hidden_state"), 1e-4f);
  }

  /** Runs {@code mmfuse hf-run} on bert-tiny in a JVM of its own; returns its standard error. */
  private static String hfRunInItsOwnJvm(Path dir, String logLevel) throws Exception {
    Path ref = HF.resolve("bert-tiny/reference.safetensors");
    Path err = dir.resolve("err-" + logLevel + ".txt");
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), Main.class.getName(), "hf-run", "--checkpoint",
        HF.resolve("bert-tiny").toString(), "--inputs", ref.toString(), "--output", dir.resolve("out.safetensors")
        .toString()).redirectError(err.toFile()).redirectOutput(dir.resolve("out.txt").toFile());
    pb.environment().put("TF_CPP_MIN_LOG_LEVEL", logLevel);
    Process p = pb.start();
    try {
      assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), java.nio.file.Files.readString(err));
      assertEquals(0, p.exitValue(), java.nio.file.Files.readString(err));
    } finally {
      p.destroyForcibly();
    }
    return java.nio.file.Files.readString(err);
  }

  @Test
  void tensorFlowsFirstRunNoticesStayOffStandardErrorUnlessAskedFor(@TempDir Path dir) throws Exception {
    // TensorFlow prints these two at a process's first session run through a logger TF_CPP_MIN_LOG_LEVEL does not
    // reach; the command line runs that first session aside and drops them.
    String quiet = hfRunInItsOwnJvm(dir, "2");
    assertTrue(!quiet.contains("MLIR V1 optimization pass") && !quiet.contains("absl::InitializeLog"), quiet);
    String verbose = hfRunInItsOwnJvm(dir, "0");
    assertTrue(verbose.contains("MLIR V1 optimization pass is not enabled"), verbose);
    assertTrue(Main.runsTensorFlow("hf-run", "--checkpoint", "x") && Main.runsTensorFlow("demo"));
    assertTrue(!Main.runsTensorFlow("hf-run", "--help") && !Main.runsTensorFlow("tokenize", "text")
        && !Main.runsTensorFlow() && !Main.runsTensorFlow("train", "-h"));
  }

  @Test
  void vitHasNoPoolerOutput(@TempDir Path dir) {
    Path out = dir.resolve("out.safetensors");
    List<String> err = TokenizeTextCommandTest.run("hf-run", "--checkpoint", HF.resolve("vit-tiny").toString(),
        "--inputs", HF.resolve("vit-tiny/reference.safetensors").toString(), "--output", out.toString());
    assertEquals("0", err.get(1), err.get(0));
    SafeTensors st = SafeTensors.open(out);
    assertArrayEquals(new long[] {2, 197, 64}, st.info("last_hidden_state").shape());
    assertTrue(st.find("pooler_output").isEmpty());
  }

  @Test
  void missingInputsAndBadIdsAreNamedAndNothingIsWritten(@TempDir Path dir) {
    Path out = dir.resolve("out.safetensors");
    Path noIds = dir.resolve("in.safetensors");
    new SafeTensorsWriter().addLongs("attention_mask", new long[] {1, 1}, 1, 2).write(noIds);
    List<String> err = TokenizeTextCommandTest.run("hf-run", "--checkpoint", HF.resolve("bert-tiny").toString(),
        "--inputs", noIds.toString(), "--output", out.toString());
    assertEquals("2", err.get(1));
    assertTrue(err.get(0).contains("tensor input_ids is missing"), err.get(0));

    Path badIds = dir.resolve("bad.safetensors");
    new SafeTensorsWriter().addLongs("input_ids", new long[] {101, 5000}, 1, 2).write(badIds);
    err = TokenizeTextCommandTest.run("hf-run", "--checkpoint", HF.resolve("bert-tiny").toString(),
        "--inputs", badIds.toString(), "--output", out.toString());
    assertEquals("2", err.get(1));
    assertTrue(err.get(0).contains("tensor text/ids: id 5000 at [0, 1] is outside the vocabulary of 1000"),
        err.get(0));

    Path tooLong = dir.resolve("long.safetensors");
    new SafeTensorsWriter().addLongs("input_ids", new long[200], 1, 200).write(tooLong);
    err = TokenizeTextCommandTest.run("hf-run", "--checkpoint", HF.resolve("bert-tiny").toString(),
        "--inputs", tooLong.toString(), "--output", out.toString());
    assertEquals("2", err.get(1));
    assertTrue(err.get(0).contains("position 128 is beyond the 128 positions"), err.get(0));

    Path floatIds = dir.resolve("float.safetensors");
    new SafeTensorsWriter().addFloats("input_ids", new float[] {1, 2}, 1, 2).write(floatIds);
    err = TokenizeTextCommandTest.run("hf-run", "--checkpoint", HF.resolve("bert-tiny").toString(),
        "--inputs", floatIds.toString(), "--output", out.toString());
    assertEquals("2", err.get(1));
    assertTrue(err.get(0).contains("tensor input_ids: dtype F32 is not an integer type"), err.get(0));
    assertFalse(out.toFile().exists());
  }

  @Test
  void gpuFailsHereNamingTheMissingGpuAndAutoRunsOnTheCpuWithOneWarning(@TempDir Path dir) {
    List<String> err = TokenizeTextCommandTest.run("hf-run", "--checkpoint", HF.resolve("bert-tiny").toString(),
        "--inputs", HF.resolve("bert-tiny/reference.safetensors").toString(), "--output",
        dir.resolve("o").toString(), "--device", "gpu");
    assertEquals("2", err.get(1));
    assertTrue(err.get(0).contains("--device gpu: TensorFlow sees no GPU")
        && err.get(0).contains("-Pgpu") && err.get(0).contains("CUDA 12"), err.get(0));
    assertFalse(dir.resolve("o").toFile().exists());

    Path out = dir.resolve("auto.safetensors");
    err = TokenizeTextCommandTest.run("hf-run", "--checkpoint", HF.resolve("bert-tiny").toString(),
        "--inputs", HF.resolve("bert-tiny/reference.safetensors").toString(), "--output", out.toString(),
        "--device", "auto");
    assertEquals("0", err.get(1), err.get(0));
    assertEquals(1, err.get(0).lines().filter(l -> l.contains("warning")).count(), err.get(0));
    assertTrue(err.get(0).contains("found no GPU") && err.get(0).contains("running on the CPU"), err.get(0));
    assertArrayEquals(SafeTensors.open(HF.resolve("bert-tiny/reference.safetensors")).floats("last_hidden_state"),
        SafeTensors.open(out).floats("last_hidden_state"), 1e-4f);
  }

  @Test
  void devicesListsTheCpu() {
    List<String> err = new java.util.ArrayList<>();
    String out = PluginJars.run(err, "devices");
    assertEquals("0", err.get(1), err.get(0));
    assertTrue(out.lines().anyMatch(l -> l.matches(".*device:CPU:0\\tCPU\\t\\d+")), out);
    assertTrue(out.contains("cpu\t" + io.mmfuse.runtime.CpuFeatures.detect().describe() + "\n"), out);
    assertTrue(out.lines().anyMatch(l -> l.matches("precision AUTO\t(FLOAT32|MIXED_BFLOAT16) \\(.+\\)")), out);
  }
}
