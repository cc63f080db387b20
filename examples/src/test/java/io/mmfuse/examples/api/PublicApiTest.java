package io.mmfuse.examples.api;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Each module's public surface is deliberate: its public types (nested ones included; {@code internal} packages and
 * protobuf-generated classes left out) must equal the list committed in {@code MODULE/src/test/resources/
 * public-api.txt}. Run with {@code -Dmmfuse.updatePublicApi=true} to rewrite the lists after a deliberate change.
 */
class PublicApiTest {
  static final List<String> MODULES =
      List.of("api", "modality-text", "modality-image", "modality-table", "fusion-core", "runtime-gpu",
          "serving");

  static TreeSet<String> publicTypes(Path classes) throws Exception {
    TreeSet<String> out = new TreeSet<>();
    try (Stream<Path> files = Files.walk(classes)) {
      for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".class"))::iterator) {
        String name = classes.relativize(f).toString().replace('/', '.').replaceAll("\\.class$", "");
        if (name.contains(".internal.") || name.contains(".proto.") || name.endsWith("package-info")
            || name.matches(".*\\$\\d.*")) {
          continue;
        }
        Class<?> c = Class.forName(name, false, PublicApiTest.class.getClassLoader());
        boolean visible = true;
        for (Class<?> k = c; k != null; k = k.getEnclosingClass()) {
          visible &= Modifier.isPublic(k.getModifiers());
        }
        if (visible) {
          out.add(c.getName());
        }
      }
    }
    return out;
  }

  @Test
  void everyModulesPublicTypesAreTheCommittedList() throws Exception {
    Path root = Path.of("..").toAbsolutePath().normalize();
    List<String> problems = new ArrayList<>();
    for (String module : MODULES) {
      TreeSet<String> found = publicTypes(root.resolve(module).resolve("target/classes"));
      Path list = root.resolve(module).resolve("src/test/resources/public-api.txt");
      if (Boolean.getBoolean("mmfuse.updatePublicApi")) {
        Files.createDirectories(list.getParent());
        Files.writeString(list, String.join("\n", found) + "\n", StandardCharsets.UTF_8);
        continue;
      }
      TreeSet<String> expected = Files.isRegularFile(list)
          ? new TreeSet<>(Files.readAllLines(list, StandardCharsets.UTF_8)) : new TreeSet<>();
      expected.removeIf(String::isBlank);
      TreeSet<String> added = new TreeSet<>(found);
      added.removeAll(expected);
      TreeSet<String> removed = new TreeSet<>(expected);
      removed.removeAll(found);
      if (!added.isEmpty()) {
        problems.add(module + ": public types not in its list: " + added);
      }
      if (!removed.isEmpty()) {
        problems.add(module + ": listed types that are gone or no longer public: " + removed);
      }
    }
    assertTrue(problems.isEmpty(), String.join("\n", problems)
        + "\nIf the change is deliberate, run the test with -Dmmfuse.updatePublicApi=true and commit the lists.");
  }
}
