package io.mmfuse.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class DevicesCommandTest {
  /**
   * oneDNN held to AVX2 by the environment, as oneDNN itself reads it: the process counts its CPU as that lesser one
   * and AUTO trains in float32 (on an AVX-512 CPU bfloat16 would abort the process there).
   */
  @Test
  void aOneDnnCapInTheEnvironmentIsTheCpuThePolicyChoosesFor() throws Exception {
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), Main.class.getName(), "devices")
        .redirectError(ProcessBuilder.Redirect.DISCARD);
    pb.environment().put("ONEDNN_MAX_CPU_ISA", "avx2");
    pb.environment().remove("DNNL_MAX_CPU_ISA");
    // TensorFlow's own kernels, as TF_ENABLE_ONEDNN_OPTS=0 asks (on any CPU): named on their own line.
    pb.environment().put("TF_ENABLE_ONEDNN_OPTS", "0");
    Process proc = pb.start();
    List<String> out;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8))) {
      out = r.lines().toList();
    }
    assertEquals(0, proc.waitFor(), String.join("\n", out));
    String text = String.join("\n", out);
    assertTrue(text.contains("oneDNN held to AVX2 (ONEDNN_MAX_CPU_ISA)"), text);
    assertTrue(text.contains("precision AUTO\tFLOAT32"), text);
    assertTrue(text.contains("kernels\tTensorFlow's Eigen ("), text);
  }

  private static io.mmfuse.runtime.CpuFeatures fixture(String name) throws java.io.IOException {
    return io.mmfuse.runtime.CpuFeatures.parse(
        java.nio.file.Files.readString(Path.of("../runtime-gpu/src/test/resources/cpuinfo", name)), "amd64", 2);
  }

  /** The kernels line on the fixtures' CPUs: how to turn oneDNN on, or which setting overrode TensorFlow. */
  @Test
  void theKernelsLineSaysWhatTheVariableChanged() throws Exception {
    io.mmfuse.runtime.CpuFeatures zen3 = fixture("epyc-zen3-avx2.txt");
    io.mmfuse.runtime.CpuFeatures xeon = fixture("xeon-amx.txt");
    assertTrue(DevicesCommand.kernelsNote(zen3, null).contains("TF_ENABLE_ONEDNN_OPTS=1 turns it on"));
    assertEquals(" (TF_ENABLE_ONEDNN_OPTS=1; TensorFlow's default here is Eigen)",
        DevicesCommand.kernelsNote(zen3, "1"));
    assertEquals("", DevicesCommand.kernelsNote(xeon, null));
    assertEquals("", DevicesCommand.kernelsNote(xeon, "true"));
    assertEquals(" (TF_ENABLE_ONEDNN_OPTS=0; TensorFlow's default here is oneDNN)",
        DevicesCommand.kernelsNote(xeon, "0"));
    // A value TensorFlow does not read changes nothing.
    assertTrue(DevicesCommand.kernelsNote(zen3, "yes").contains("turns it on"));
  }
}
