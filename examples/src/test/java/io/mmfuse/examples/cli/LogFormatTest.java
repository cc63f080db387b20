package io.mmfuse.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The command line writes the library's warnings one line each, as the JVM writes its own. */
class LogFormatTest {
  private static List<String> stderr(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    for (String a : args) {
      if (a.startsWith("-D")) {
        cmd.add(a);
      }
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), LogLineMain.class.getName()));
    for (String a : args) {
      if (!a.startsWith("-D")) {
        cmd.add(a);
      }
    }
    Process p = new ProcessBuilder(cmd).start();
    p.getOutputStream().close();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), err);
    assertEquals(0, p.exitValue(), err);
    return err.lines().toList();
  }

  @Test
  void aWarningIsOneLineWithItsLevel() throws Exception {
    assertEquals(List.of("WARNING: table row: ignoring columns the model does not know: label"), stderr("cli"));
    // The JDK's own default: the date and the class on a line of their own first.
    List<String> jdk = stderr("jdk");
    assertEquals(2, jdk.size(), jdk.toString());
    assertTrue(jdk.get(0).contains("LogLineMain main"), jdk.toString());
    // A format the user gives stays.
    assertEquals(List.of("W table row: ignoring columns the model does not know: label"),
        stderr("-Djava.util.logging.SimpleFormatter.format=%4$.1s %5$s%n", "cli"));
  }
}
