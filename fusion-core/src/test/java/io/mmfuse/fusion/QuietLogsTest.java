package io.mmfuse.fusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** An embedder's process (no launcher, no environment variable) gets no TensorFlow INFO lines on standard error. */
class QuietLogsTest {
  private static String[] run(String... jvmArgs) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of(jvmArgs));
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), QuietLogsMain.class.getName()));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().remove("TF_CPP_MIN_LOG_LEVEL");
    Process p = pb.start();
    p.getOutputStream().close();
    var err = p.getErrorStream();
    byte[] out = p.getInputStream().readAllBytes();
    String errText = new String(err.readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child JVM did not finish");
    return new String[] {new String(out, StandardCharsets.UTF_8), errText, Integer.toString(p.exitValue())};
  }

  private static long infoLines(String stderr) {
    return stderr.lines().filter(l -> l.matches(".*\\] ?.*") && l.contains(": I tensorflow/")).count();
  }

  @Test
  void tensorFlowInfoLinesAreQuietByDefaultAndComeBackWhenAskedFor() throws Exception {
    String[] quiet = run();
    assertEquals("0", quiet[2], quiet[1]);
    assertEquals("loaded", quiet[0].strip());
    assertEquals(0, infoLines(quiet[1]), quiet[1]);
    String[] verbose = run("-Dmmfuse.tensorflow.log=verbose");
    assertEquals("0", verbose[2], verbose[1]);
    assertTrue(infoLines(verbose[1]) > 0, "TensorFlow's own default logs its INFO lines:\n" + verbose[1]);
  }
}
