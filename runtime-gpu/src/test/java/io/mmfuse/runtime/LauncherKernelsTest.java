package io.mmfuse.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The launcher's choice of TensorFlow's CPU kernels ({@code scripts/lib/kernels.sh}, run by bash on the cpuinfo
 * fixtures): oneDNN asked for exactly where TensorFlow would run Eigen's kernels on an x86 CPU with AVX2, by the
 * same rule {@link CpuFeatures#oneDnnKernels(String)} applies.
 */
class LauncherKernelsTest {
  private static final Path SCRIPT = LauncherScripts.script("kernels.sh");
  private static final Path CPUINFO = Path.of("src/test/resources/cpuinfo");

  /** Runs {@code command} in bash with the script sourced; the environment gets {@code env} (null value: unset). */
  private static String bash(String command, Map<String, String> env) throws IOException, InterruptedException {
    return LauncherScripts.bash(SCRIPT, command, "TF_ENABLE_ONEDNN_OPTS"::equals, env);
  }

  private static String setting(Path cpuinfo) throws Exception {
    return bash("mmfuse_onednn_setting \"" + cpuinfo.toAbsolutePath() + "\"", Map.of());
  }

  @Test
  void oneDnnIsAskedForOnAvx2CpusWhereTensorFlowWouldRunEigen() throws Exception {
    assertEquals("1", setting(CPUINFO.resolve("epyc-zen3-avx2.txt")), "a real AVX2-only EPYC (Zen 3)");
    assertEquals("1", setting(CPUINFO.resolve("epyc-avx2.txt")));
    // TensorFlow turns oneDNN on itself for these: the launcher leaves them to it.
    assertEquals("", setting(CPUINFO.resolve("epyc-zen4.txt")));
    assertEquals("", setting(CPUINFO.resolve("xeon-amx.txt")));
    // ARM, and a file that is not there: TensorFlow's default.
    assertEquals("", setting(CPUINFO.resolve("arm-neoverse.txt")));
    assertEquals("", setting(CPUINFO.resolve("no-such-file.txt")));
  }

  @Test
  void theScriptAndCpuFeaturesAgreeOnEveryFixture() throws Exception {
    List<String> checked = new ArrayList<>();
    try (var files = Files.list(CPUINFO)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".txt")).sorted().toList()) {
        CpuFeatures cpu = CpuFeatures.parse(Files.readString(f), f.getFileName().toString().startsWith("arm")
            ? "aarch64" : "amd64", 2);
        boolean eigenByDefault = !cpu.oneDnnKernels(null);
        boolean avx2 = cpu.has("avx2") && cpu.has("fma");
        assertEquals(eigenByDefault && avx2 ? "1" : "", setting(f), f.getFileName().toString());
        // What TensorFlow then runs, by its own reading of the value the launcher exports.
        String v = setting(f);
        assertEquals(avx2 || !eigenByDefault, cpu.oneDnnKernels(v.isEmpty() ? null : v), f.getFileName().toString());
        checked.add(f.getFileName().toString());
      }
    }
    assertEquals(5, checked.size(), checked.toString());
  }

  @Test
  void aValueTheUserSetIsLeftAsItIs() throws Exception {
    String zen3 = CPUINFO.resolve("epyc-zen3-avx2.txt").toAbsolutePath().toString();
    String show = "mmfuse_choose_kernels \"" + zen3 + "\" && echo \"${TF_ENABLE_ONEDNN_OPTS-unset}\"";
    java.util.HashMap<String, String> unset = new java.util.HashMap<>();
    unset.put("TF_ENABLE_ONEDNN_OPTS", null);
    assertEquals("1", bash(show, unset));
    assertEquals("0", bash(show, Map.of("TF_ENABLE_ONEDNN_OPTS", "0")));
    assertEquals("", bash(show, Map.of("TF_ENABLE_ONEDNN_OPTS", "")));
    // On a CPU where TensorFlow decides, nothing is exported.
    String zen4 = CPUINFO.resolve("epyc-zen4.txt").toAbsolutePath().toString();
    assertEquals("unset", bash("mmfuse_choose_kernels \"" + zen4 + "\" && echo \"${TF_ENABLE_ONEDNN_OPTS-unset}\"",
        unset));
  }

  @Test
  void theLauncherChoosesBeforeItStartsTheJvm() throws Exception {
    LauncherScripts.assertLauncherRunsBeforeJvm("kernels.sh", "mmfuse_choose_kernels /proc/cpuinfo");
  }
}
