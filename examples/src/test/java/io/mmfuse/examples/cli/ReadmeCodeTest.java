package io.mmfuse.examples.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The README's Java code is the code the build compiles: every Java block in it must appear, line for line (leading
 * indentation aside), in a source file of the build.
 */
class ReadmeCodeTest {
  static List<String> javaBlocks(String readme) {
    List<String> blocks = new ArrayList<>();
    int at = 0;
    while ((at = readme.indexOf("```java\n", at)) >= 0) {
      int end = readme.indexOf("```", at + 8);
      blocks.add(readme.substring(at + 8, end));
      at = end + 3;
    }
    return blocks;
  }

  static String normalize(String code) {
    StringBuilder sb = new StringBuilder();
    for (String line : code.split("\n")) {
      if (!line.isBlank()) {
        sb.append(line.strip()).append('\n');
      }
    }
    return sb.toString();
  }

  @Test
  void everyJavaBlockOfTheReadmeIsCompiledCode() throws Exception {
    Path root = Path.of("..").toAbsolutePath().normalize();
    String readme = Files.readString(root.resolve("README.md"));
    List<String> sources = new ArrayList<>();
    for (String dir : List.of("examples/src/main/java", "plugin-timeseries/src/main/java")) {
      try (var files = Files.walk(root.resolve(dir))) {
        for (Path p : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".java"))::iterator) {
          sources.add(normalize(Files.readString(p)));
        }
      }
    }
    List<String> blocks = javaBlocks(readme);
    assertTrue(blocks.size() >= 3, "the README has " + blocks.size() + " Java blocks");
    for (String block : blocks) {
      String code = normalize(block);
      assertTrue(sources.stream().anyMatch(s -> s.contains(code)),
          "README code not found in any compiled example source:\n" + block);
    }
  }
}
