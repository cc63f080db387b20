package io.mmfuse.examples.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's data: balanced labels, each input alone uninformative, the rule consistent, all from the seed. */
class ShapesDatasetTest {
  /** The largest deviation from 50% yes among the groups of examples that share a value. */
  static double worstGroup(List<ShapesDataset.Example> all, Function<ShapesDataset.Example, String> key) {
    Map<String, int[]> groups = new HashMap<>();
    for (ShapesDataset.Example e : all) {
      int[] c = groups.computeIfAbsent(key.apply(e), k -> new int[2]);
      c[0] += e.answer().equals("yes") ? 1 : 0;
      c[1]++;
    }
    double worst = 0;
    for (int[] c : groups.values()) {
      worst = Math.max(worst, Math.abs((double) c[0] / c[1] - 0.5));
    }
    return worst;
  }

  @Test
  void eachInputAloneIsIndependentOfTheLabel(@TempDir Path dir) throws Exception {
    List<ShapesDataset.Example> all = ShapesDataset.generate(dir, 4000, 11);
    assertEquals(4001, Files.readAllLines(dir.resolve("data.csv")).size());
    long yes = all.stream().filter(e -> e.answer().equals("yes")).count();
    assertTrue(Math.abs(yes / 4000.0 - 0.5) < 0.03, "yes share " + yes / 4000.0);
    // Picture content, question content and the table's rule: each leaves the answer at about 50%.
    assertTrue(worstGroup(all, e -> e.color() + "/" + e.shape()) < 0.08, "picture");
    assertTrue(worstGroup(all, e -> e.askedColor() + "/" + e.askedShape()) < 0.08, "question");
    assertTrue(worstGroup(all, ShapesDataset.Example::check) < 0.04, "table");
    // All three together decide it.
    for (ShapesDataset.Example e : all) {
      int check = List.of(ShapesDataset.CHECKS).indexOf(e.check());
      assertEquals(e.answer().equals("yes"),
          ShapesDataset.answer(check, e.color() == e.askedColor(), e.shape() == e.askedShape()));
      assertTrue(e.question().contains(ShapesDataset.COLORS[e.askedColor()])
          && e.question().contains(ShapesDataset.SHAPES[e.askedShape()]), e.question());
    }
  }

  @Test
  void theSameSeedGivesTheSameData(@TempDir Path dir) throws Exception {
    List<ShapesDataset.Example> a = ShapesDataset.generate(dir.resolve("a"), 50, 3);
    List<ShapesDataset.Example> b = ShapesDataset.generate(dir.resolve("b"), 50, 3);
    assertEquals(a, b);
    assertEquals(Files.readString(dir.resolve("a/data.csv")), Files.readString(dir.resolve("b/data.csv")));
  }
}
