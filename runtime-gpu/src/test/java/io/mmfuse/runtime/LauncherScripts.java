package io.mmfuse.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Predicate;

/** Runs the launcher's shell libraries ({@code scripts/lib/*.sh}) in bash, for the tests of what they export. */
final class LauncherScripts {
  private LauncherScripts() {}

  static Path script(String name) {
    return Path.of("../scripts/lib", name).toAbsolutePath().normalize();
  }

  /**
   * Runs {@code command} in bash with {@code script} sourced and returns what it printed; the environment loses the
   * variables {@code drop} names, then gets {@code env} (a null value: unset). Fails if bash does.
   */
  static String bash(Path script, String command, Predicate<String> drop, Map<String, String> env)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder("bash", "-c", "source \"$1\" && " + command, "bash", script.toString())
        .redirectErrorStream(true);
    pb.environment().keySet().removeIf(drop);
    env.forEach((k, v) -> {
      if (v == null) {
        pb.environment().remove(k);
      } else {
        pb.environment().put(k, v);
      }
    });
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertEquals(0, p.waitFor(), out);
    return out;
  }

  /** That {@code ./mmfuse} sources {@code script} and runs {@code call} before it starts the JVM. */
  static void assertLauncherRunsBeforeJvm(String script, String call) throws IOException {
    String launcher = Files.readString(Path.of("../mmfuse"));
    int source = launcher.indexOf("source \"$root/scripts/lib/" + script + "\"");
    int at = launcher.indexOf(call);
    int java = launcher.indexOf("exec java");
    assertTrue(source >= 0 && source < at && at < java, "source " + source + ", " + call + " " + at + ", exec java "
        + java);
  }
}
