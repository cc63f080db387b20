package io.mmfuse.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.proto.Precision;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** CPU features read from cpuinfo texts, and the precision each machine gets. */
class PrecisionPolicyTest {
  static CpuFeatures cpu(String name) throws Exception {
    return CpuFeatures.parse(Files.readString(Path.of("src/test/resources/cpuinfo", name)), "amd64", 2);
  }

  @Test
  void featuresAreReadFromTheKernelsFlags() throws Exception {
    CpuFeatures zen4 = cpu("epyc-zen4.txt");
    assertEquals("AMD EPYC", zen4.model());
    assertEquals("AuthenticAMD", zen4.vendor());
    assertTrue(zen4.avx2() && zen4.avx512() && zen4.avx512Bf16() && zen4.nativeBfloat16());
    assertFalse(zen4.amx());
    assertEquals(List.of("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16"), zen4.summary());
    assertEquals("AMD EPYC (AuthenticAMD, amd64, 2 cores): avx2 fma avx512f avx512_vnni avx512_bf16; no AMX",
        zen4.describe());
    CpuFeatures xeon = cpu("xeon-amx.txt");
    assertTrue(xeon.amx() && xeon.avx512Bf16());
    assertTrue(xeon.summary().containsAll(List.of("amx_tile", "amx_bf16", "avx512_fp16")));
    CpuFeatures avx2 = cpu("epyc-avx2.txt");
    assertTrue(avx2.avx2());
    assertFalse(avx2.avx512() || avx2.nativeBfloat16() || avx2.amx());
    CpuFeatures arm = CpuFeatures.parse(Files.readString(Path.of("src/test/resources/cpuinfo/arm-neoverse.txt")),
        "aarch64", 4);
    assertTrue(arm.nativeBfloat16() && arm.has("sve"));
    assertFalse(arm.amx() || arm.avx2());
    CpuFeatures unknown = CpuFeatures.parse("", "amd64", 2);
    assertEquals("unknown CPU (amd64, 2 cores): features unknown", unknown.describe());
  }

  @Test
  void autoTrainsInFloat32EvenWithAmxOrAvx512Bf16() throws Exception {
    for (String fast : List.of("xeon-amx.txt", "epyc-zen4.txt")) {
      // bfloat16 in hardware trains faster, but it lost accuracy (docs/performance.md): asked for, never chosen.
      PrecisionPolicy.Choice c = PrecisionPolicy.choose(Precision.AUTO, false, false, cpu(fast));
      assertEquals(Precision.FLOAT32, c.used(), fast);
      assertTrue(c.reason().contains(fast.startsWith("xeon") ? "AMX" : "AVX512_BF16"), c.reason());
      assertTrue(c.reason().contains("MIXED_BFLOAT16 asks for it"), c.reason());
      assertTrue(c.warning().isEmpty(), fast);
      assertEquals(Precision.MIXED_BFLOAT16, PrecisionPolicy.choose(Precision.MIXED_BFLOAT16, false, false, cpu(fast))
          .used(), "asked for on " + fast + ": as asked");
    }
    PrecisionPolicy.Choice avx2 = PrecisionPolicy.choose(Precision.PRECISION_UNSPECIFIED, false, false,
        cpu("epyc-avx2.txt"));
    assertEquals(Precision.AUTO, avx2.asked(), "unset reads as AUTO");
    assertEquals(Precision.FLOAT32, avx2.used());
    assertTrue(avx2.warning().isEmpty(), "AUTO does what it says without a warning");
    CpuFeatures arm = CpuFeatures.parse(Files.readString(Path.of("src/test/resources/cpuinfo/arm-neoverse.txt")),
        "aarch64", 4);
    assertEquals(Precision.FLOAT32, PrecisionPolicy.choose(Precision.AUTO, false, false, arm).used(),
        "ARM's BF16 is not measured: float32");
    assertEquals(Precision.FLOAT32, PrecisionPolicy.choose(Precision.AUTO, false, true, cpu("xeon-amx.txt")).used(),
        "on a GPU AUTO is float32");
  }

  @Test
  void bfloat16WithoutAmxWarnsAndRunsFloat32UnlessForced() throws Exception {
    PrecisionPolicy.Choice c = PrecisionPolicy.choose(Precision.MIXED_BFLOAT16, false, false, cpu("epyc-avx2.txt"));
    assertEquals(Precision.FLOAT32, c.used());
    String w = c.warning().orElseThrow();
    assertTrue(w.startsWith("warning: precision MIXED_BFLOAT16 asked for, training in float32 instead: this CPU has"
        + " neither AMX nor AVX512_BF16 (AMD EPYC 7B12"), w);
    assertTrue(w.endsWith("Set backbone.force_precision: true to train in bfloat16 anyway"), w);
    PrecisionPolicy.Choice forced = PrecisionPolicy.choose(Precision.MIXED_BFLOAT16, true, false,
        cpu("epyc-avx2.txt"));
    assertEquals(Precision.MIXED_BFLOAT16, forced.used());
    assertTrue(forced.warning().orElseThrow().startsWith("warning: precision MIXED_BFLOAT16 is forced"));
    for (String fast : List.of("xeon-amx.txt", "epyc-zen4.txt")) {
      PrecisionPolicy.Choice asked = PrecisionPolicy.choose(Precision.MIXED_BFLOAT16, false, false, cpu(fast));
      assertEquals(Precision.MIXED_BFLOAT16, asked.used(), fast);
      assertTrue(asked.warning().isEmpty(), fast);
    }
    assertEquals(Precision.FLOAT32, PrecisionPolicy.choose(Precision.FLOAT32, true, false, cpu("xeon-amx.txt"))
        .used(), "float32 asked for is float32 everywhere");
  }

  @Test
  void thisMachinesCpuIsRead() {
    CpuFeatures here = CpuFeatures.detect();
    assertEquals(Runtime.getRuntime().availableProcessors(), here.cores());
    if (Files.isReadable(Path.of("/proc/cpuinfo"))) {
      assertFalse(here.flags().isEmpty(), "Linux lists the CPU's flags");
    }
  }

  /**
   * TensorFlow turns its oneDNN kernels on by default only for CPUs with AVX512_VNNI, AVX512_BF16, AVX_VNNI or AMX:
   * a real AVX2-only EPYC runs its Eigen kernels (its traces name {@code _FusedMatMul}, not {@code
   * _MklNativeFusedMatMul}), unless TF_ENABLE_ONEDNN_OPTS says otherwise.
   */
  @Test
  void tensorFlowRunsOneDnnOnlyOnCpusWithNeuralNetworkFeatures() throws Exception {
    CpuFeatures zen3 = cpu("epyc-zen3-avx2.txt");
    assertTrue(zen3.avx2() && !zen3.avx512(), zen3.describe());
    assertFalse(zen3.oneDnnKernels(null));
    assertTrue(zen3.oneDnnKernels("1"));
    assertTrue(zen3.oneDnnKernels("TRUE"));
    assertFalse(zen3.oneDnnKernels("maybe"), "a value TensorFlow does not read keeps its default");
    assertFalse(zen3.oneDnnKernels(" 1"), "TensorFlow does not strip the value");
    assertFalse(cpu("epyc-avx2.txt").oneDnnKernels(null));
    for (String on : List.of("epyc-zen4.txt", "xeon-amx.txt")) {
      assertTrue(cpu(on).oneDnnKernels(null), on);
      assertTrue(cpu(on).oneDnnKernels(""), on);
      assertFalse(cpu(on).oneDnnKernels("0"), on);
      assertFalse(cpu(on).oneDnnKernels("false"), on);
    }
    assertFalse(cpu("arm-neoverse.txt").oneDnnKernels(null));
  }

  @Test
  void oneDnnHeldBelowTheCpuCountsAsTheLesserCpu() throws Exception {
    CpuFeatures zen4 = cpu("epyc-zen4.txt");
    CpuFeatures avx2 = zen4.withIsaCap("avx2");
    assertEquals("AVX2", avx2.isaCap());
    assertTrue(avx2.avx2() && avx2.has("avx512_bf16"), "the CPU's flags stay");
    assertFalse(avx2.avx512() || avx2.avx512Bf16() || avx2.bfloat16Runs());
    assertTrue(avx2.describe().endsWith("; oneDNN held to AVX2 (ONEDNN_MAX_CPU_ISA)"), avx2.describe());
    PrecisionPolicy.Choice auto = PrecisionPolicy.choose(Precision.AUTO, false, false, avx2);
    assertEquals(Precision.FLOAT32, auto.used());
    assertTrue(auto.warning().isEmpty());
    PrecisionPolicy.Choice asked = PrecisionPolicy.choose(Precision.MIXED_BFLOAT16, false, false, avx2);
    assertEquals(Precision.FLOAT32, asked.used());
    assertTrue(asked.warning().orElseThrow().contains("abort"), asked.warning().orElseThrow());
    // Forcing it would abort the process in native code: refused instead, with what to change.
    io.mmfuse.api.InvalidConfigurationException e = org.junit.jupiter.api.Assertions.assertThrows(
        io.mmfuse.api.InvalidConfigurationException.class,
        () -> PrecisionPolicy.choose(Precision.MIXED_BFLOAT16, true, false, avx2));
    assertTrue(e.getMessage().contains("ONEDNN_MAX_CPU_ISA"), e.getMessage());
    // Held at AVX-512 without its bfloat16: bfloat16 runs (emulated), AUTO takes float32.
    CpuFeatures core = zen4.withIsaCap("AVX512_CORE");
    assertTrue(core.avx512() && core.bfloat16Runs());
    assertFalse(core.avx512Bf16());
    assertEquals(Precision.FLOAT32, PrecisionPolicy.choose(Precision.AUTO, false, false, core).used());
    // AMX above the cap, AVX512_BF16 under it (either name of the level), and no cap at all.
    CpuFeatures xeon = cpu("xeon-amx.txt");
    for (String cap : List.of("AVX512_CORE_FP16", "avx10_1_512")) {
      assertFalse(xeon.withIsaCap(cap).amx(), cap);
      assertTrue(xeon.withIsaCap(cap).avx512Bf16(), cap);
    }
    for (String none : List.of("", "ALL", "default", "NO_SUCH_ISA")) {
      assertTrue(xeon.withIsaCap(none).amx() && xeon.withIsaCap(none).isaCap().isEmpty(), none);
    }
    // An AVX2-only CPU takes TensorFlow's own bfloat16 kernels, whatever the cap.
    assertTrue(cpu("epyc-avx2.txt").withIsaCap("AVX").bfloat16Runs());
  }
}
