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
    assertTrue(worstGroup(all, e -> e.color() + "/" + e.shade()) < 0.08, "picture");
    assertTrue(worstGroup(all, e -> e.askedColor() + "/" + e.askedShade()) < 0.08, "question");
    assertTrue(worstGroup(all, ShapesDataset.Example::check) < 0.04, "table");
    // All three together decide it.
    for (ShapesDataset.Example e : all) {
      int check = List.of(ShapesDataset.CHECKS).indexOf(e.check());
      assertEquals(e.answer().equals("yes"),
          ShapesDataset.answer(check, e.color() == e.askedColor(), e.shade() == e.askedShade()));
      assertTrue(e.question().contains(ShapesDataset.COLORS[e.askedColor()])
          && e.question().contains(ShapesDataset.SHADES[e.askedShade()]), e.question());
    }
  }

  @Test
  void hueAndShadeAreBothLinearInThePixelColour() {
    for (int c = 0; c < 3; c++) {
      java.awt.Color light = ShapesDataset.RGB[c][0];
      java.awt.Color dark = ShapesDataset.RGB[c][1];
      int[] l = {light.getRed(), light.getGreen(), light.getBlue()};
      int[] d = {dark.getRed(), dark.getGreen(), dark.getBlue()};
      for (int ch = 0; ch < 3; ch++) {
        // A channel minus the mean of the other two: the same in both shades, largest on the colour's own channel.
        double hl = l[ch] - (l[(ch + 1) % 3] + l[(ch + 2) % 3]) / 2.0;
        double hd = d[ch] - (d[(ch + 1) % 3] + d[(ch + 2) % 3]) / 2.0;
        assertEquals(hl, hd, 1e-9);
        assertEquals(ch == c, hl > 0);
      }
      assertTrue(l[0] + l[1] + l[2] > d[0] + d[1] + d[2] + 300, "light is brighter");
    }
    // The picture holds the shape in exactly that colour, on a darker grey background.
    java.awt.image.BufferedImage img = ShapesDataset.draw(2, 1, new java.util.Random(1));
    long inColour = 0;
    for (int y = 0; y < ShapesDataset.SIZE; y++) {
      for (int x = 0; x < ShapesDataset.SIZE; x++) {
        inColour += (img.getRGB(x, y) & 0xffffff) == (ShapesDataset.RGB[2][1].getRGB() & 0xffffff) ? 1 : 0;
      }
    }
    assertTrue(inColour >= 60, "shape pixels " + inColour);
  }

  @Test
  void theSameSeedGivesTheSameData(@TempDir Path dir) throws Exception {
    List<ShapesDataset.Example> a = ShapesDataset.generate(dir.resolve("a"), 50, 3);
    List<ShapesDataset.Example> b = ShapesDataset.generate(dir.resolve("b"), 50, 3);
    assertEquals(a, b);
    assertEquals(Files.readString(dir.resolve("a/data.csv")), Files.readString(dir.resolve("b/data.csv")));
  }
}
