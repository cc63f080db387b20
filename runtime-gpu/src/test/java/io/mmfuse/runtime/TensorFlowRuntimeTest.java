package io.mmfuse.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.api.proto.RuntimeSpec;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class TensorFlowRuntimeTest {
  private static final DeviceLister NO_GPU = () -> List.of(new DeviceInfo("/device:CPU:0", "CPU", 0));
  /** A lister that claims a GPU TensorFlow cannot actually use here: what a machine without CUDA libraries shows. */
  private static final DeviceLister PHANTOM_GPU = () -> List.of(new DeviceInfo("/device:CPU:0", "CPU", 0),
      new DeviceInfo("/device:GPU:0", "GPU", 80L << 30));

  @Test
  void theRealListerSeesThisMachinesCpu() {
    List<DeviceInfo> devices = new CApiDeviceLister(null).devices();
    assertTrue(devices.stream().anyMatch(d -> d.type().equals("CPU") && d.name().endsWith("CPU:0")), devices::toString);
  }

  @Test
  void theProbeRunsOnTheCpuAndSaysSo() {
    TensorFlowRuntime.Placement p = TensorFlowRuntime.place(RuntimeOptions.of("cpu"), NO_GPU);
    assertFalse(p.gpu());
    assertTrue(TensorFlowRuntime.probe(p).endsWith("device:CPU:0"));
  }

  @Test
  void gpuWithoutAGpuFailsSayingHowToFixIt() {
    InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class,
        () -> TensorFlowRuntime.place(RuntimeOptions.of("gpu"), NO_GPU));
    assertTrue(e.getMessage().contains("sees no GPU"), e.getMessage());
    assertTrue(e.getMessage().contains("-Pgpu") && e.getMessage().contains("CUDA 12"), e.getMessage());
    assertTrue(e.getMessage().contains("CPU-only"), e.getMessage());
  }

  @Test
  void aListedGpuThatCannotRunTheProbeIsRefusedNotSilentlyReplaced() {
    // The probe is pinned to the GPU with soft placement off: here TensorFlow has no GPU kernels, so it must fail.
    InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class,
        () -> TensorFlowRuntime.place(RuntimeOptions.of("gpu:0"), PHANTOM_GPU));
    assertTrue(e.getMessage().contains("probe could not run on GPU:0"), e.getMessage());
    assertThrows(InvalidConfigurationException.class,
        () -> TensorFlowRuntime.place(RuntimeOptions.of("gpu:1"), PHANTOM_GPU));
  }

  @Test
  void autoFallsBackToTheCpuWithOneWarning() {
    for (DeviceLister lister : List.of(NO_GPU, PHANTOM_GPU)) {
      TensorFlowRuntime.Placement p = TensorFlowRuntime.place(RuntimeOptions.of("auto"), lister);
      assertFalse(p.gpu());
      assertTrue(p.warning().orElseThrow().startsWith("mmfuse: warning: --device auto"), p.warning()::get);
      assertFalse(p.warning().get().contains("\n"));
      assertTrue(TensorFlowRuntime.probe(p).endsWith("device:CPU:0"));
    }
  }

  @Test
  void optionsComeFromTheSpecAndAreChecked() {
    RuntimeOptions o = RuntimeOptions.fromSpec(RuntimeSpec.newBuilder().setDevice("gpu:1").setIntraOpThreads(3)
        .setXla(true).setVisibleDevices("1,2").build());
    assertEquals(1, o.gpuIndex());
    assertEquals(3, o.intraOpThreads());
    assertTrue(o.xla());
    assertEquals(o, RuntimeOptions.fromSpec(o.toSpec()));
    assertEquals("cpu", RuntimeOptions.fromSpec(RuntimeSpec.getDefaultInstance()).device());
    assertThrows(InvalidConfigurationException.class, () -> RuntimeOptions.of("tpu"));
    assertThrows(InvalidConfigurationException.class, () -> RuntimeOptions.of("cpu").withThreads(-1, 0));
    InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class,
        () -> RuntimeOptions.fromSpec(RuntimeSpec.newBuilder().setVisibleDevices("0;1").build()));
    assertTrue(e.getMessage().contains("'0;1'"), e.getMessage());
  }

  @Test
  void aGraphInPartsGetsAThreadPerPartAndOneOpThreadPerCoreOfEachWhereTheUserLeftThreadsOpen() {
    int cores = Runtime.getRuntime().availableProcessors();
    TensorFlowRuntime.Placement cpu = TensorFlowRuntime.place(RuntimeOptions.of("cpu"), NO_GPU);
    org.tensorflow.proto.ConfigProto c = TensorFlowRuntime.forSequenceParts(cpu, 2).config();
    assertEquals(Math.max(1, cores / 2), c.getIntraOpParallelismThreads());
    assertEquals(Math.max(2, cores), c.getInterOpParallelismThreads());
    // The rest of the configuration stays: the CPU alone, no soft placement.
    assertEquals(0, c.getDeviceCountOrDefault("GPU", -1));
    assertFalse(c.getAllowSoftPlacement());
    // Threads the user set, one part, or a GPU: as they were.
    TensorFlowRuntime.Placement set = TensorFlowRuntime.place(RuntimeOptions.of("cpu").withThreads(3, 0), NO_GPU);
    assertEquals(set.config(), TensorFlowRuntime.forSequenceParts(set, 2).config());
    TensorFlowRuntime.Placement inter = TensorFlowRuntime.place(RuntimeOptions.of("cpu").withThreads(0, 1), NO_GPU);
    assertEquals(inter.config(), TensorFlowRuntime.forSequenceParts(inter, 2).config());
    assertEquals(cpu.config(), TensorFlowRuntime.forSequenceParts(cpu, 1).config());
    // No configuration at all: TensorFlow's defaults, with the parts' threads.
    assertEquals(null, TensorFlowRuntime.forSequenceParts((org.tensorflow.proto.ConfigProto) null, 1));
    assertEquals(Math.max(1, cores / 2),
        TensorFlowRuntime.forSequenceParts((org.tensorflow.proto.ConfigProto) null, 2).getIntraOpParallelismThreads());
    TensorFlowRuntime.Placement gpu = new TensorFlowRuntime.Placement("GPU", 0, cpu.config(), java.util.Optional.empty());
    assertEquals(cpu.config(), TensorFlowRuntime.forSequenceParts(gpu, 2).config());
  }

  @Test
  void aFormatLocaleWithOtherDigitsIsRefusedSayingWhatToSet() {
    java.util.Locale before = java.util.Locale.getDefault(java.util.Locale.Category.FORMAT);
    TensorFlowRuntime.Placement cpu = TensorFlowRuntime.place(RuntimeOptions.of("cpu"), NO_GPU);
    try {
      java.util.Locale.setDefault(java.util.Locale.Category.FORMAT, java.util.Locale.forLanguageTag("fa-IR"));
      io.mmfuse.api.InvalidConfigurationException e =
          org.junit.jupiter.api.Assertions.assertThrows(io.mmfuse.api.InvalidConfigurationException.class,
              () -> TensorFlowRuntime.probe(cpu));
      assertTrue(e.getMessage().contains("format locale (fa-IR) writes 10 as ۱۰"), e.getMessage());
      assertTrue(e.getMessage().contains("-Duser.language.format=en"), e.getMessage());
      // A locale with other separators but ASCII digits names nodes as TensorFlow wants.
      java.util.Locale.setDefault(java.util.Locale.Category.FORMAT, java.util.Locale.GERMANY);
      assertTrue(TensorFlowRuntime.probe(cpu).toUpperCase(java.util.Locale.ROOT).contains("CPU:0"));
    } finally {
      java.util.Locale.setDefault(java.util.Locale.Category.FORMAT, before);
    }
  }

  // Thread counts and XLA are process-wide in TensorFlow: each setting is observed in a JVM of its own.

  @Test
  void oneIntraOpThreadMeansOneThreadDoesTheWork() throws Exception {
    assertEquals("busy_threads=1", observe(1, false).get(0));
  }

  @Test
  void theIntraOpThreadCountBoundsTheThreadsThatShareTheWork() throws Exception {
    // Bounds that hold on a loaded machine too: the work of one run is done by the intra-op pool and the thread that
    // called it, so one pool thread means at most two busy threads; four pool threads split the products into blocks
    // that each of them takes, so more than two are busy whatever else the cores are doing.
    assertTrue(busy(observe(1, false).get(0)) <= 2);
    int four = busy(observe(4, false).get(0));
    assertTrue(four >= 3 && four <= 5, "busy threads with 4 intra-op threads: " + four);
  }

  private static int busy(String line) {
    return Integer.parseInt(line.substring("busy_threads=".length()));
  }

  @Test
  void xlaCompilesTheGraphOnlyWhenAskedFor() throws Exception {
    String off = observe(0, false).get(1);
    String on = observe(0, true).get(1);
    assertFalse(off.contains("_XlaRun"), off);
    assertTrue(off.contains("_MklMatMul") || off.contains("MatMul"), off);
    assertTrue(on.contains("_XlaCompile") && on.contains("_XlaRun"), on);
    assertFalse(on.contains("MatMul"), on);
  }

  private static List<String> observe(int threads, boolean xla) throws Exception {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), RuntimeObservation.class.getName(), Integer.toString(threads),
        Boolean.toString(xla)).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    List<String> lines;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      lines = r.lines().filter(l -> l.startsWith("busy_threads=") || l.startsWith("op_types=")).toList();
    }
    assertEquals(0, p.waitFor());
    assertEquals(2, lines.size(), lines::toString);
    return lines;
  }
}
