package io.mmfuse.fusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** With XLA the imported checkpoints still match transformers within float32's 1e-4, and XLA really ran. */
class XlaParityTest {
  @Test
  void xlaCompiledForwardPassesMatchTransformers() throws Exception {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), XlaParityMain.class.getName())
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    List<String> lines;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      lines = r.lines().filter(l -> l.contains("max_abs_diff=")).toList();
    }
    assertEquals(0, p.waitFor());
    assertEquals(2, lines.size(), lines::toString);
    for (String l : lines) {
      System.out.println("XLA: " + l);
      double d = Double.parseDouble(l.replaceAll(".*max_abs_diff=(\\S+).*", "$1"));
      assertTrue(d <= 1e-4, l);
      assertTrue(l.endsWith("xla_ops=true"), l);
    }
  }
}
