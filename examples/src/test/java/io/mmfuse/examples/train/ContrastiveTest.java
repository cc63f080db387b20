package io.mmfuse.examples.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.mmfuse.fusion.inference.Predictor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Contrastive training on real pairs: 144 emoji pictures (72 emoji, two vendors' drawings) against their names,
 * through the command line: train, embed, zero-shot.
 */
class ContrastiveTest {
  @TempDir static Path dir;
  static Path data;
  static Path model;
  static String[] trained;

  @BeforeAll
  static void train() throws Exception {
    data = InputInferenceTest.sample();
    model = dir.resolve("pairs");
    trained = TrainingTest.cli("train", "--data", data.toString(), "--task", "contrastive", "--pair", "image,name",
        "--out", model.toString(), "--epochs", "30", "--validation-fraction", "0.1", "--patience", "30");
  }

  /** Each row's embedding from {@code mmfuse embed}, in order. */
  static List<float[]> embed(String input) throws Exception {
    Path out = dir.resolve("embed-" + input + ".jsonl");
    String[] r = TrainingTest.cli("embed", "--model", model.toString(), "--data", data.toString(), "--input", input,
        "--output", out.toString());
    assertEquals("0", r[2], r[1]);
    List<float[]> vectors = new ArrayList<>();
    int row = 1;
    for (String line : Files.readAllLines(out)) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      assertEquals(row++, o.get("row").getAsInt(), "rows in order");
      JsonArray a = o.getAsJsonArray("embedding");
      float[] v = new float[a.size()];
      for (int i = 0; i < v.length; i++) {
        v[i] = a.get(i).getAsFloat();
      }
      vectors.add(v);
    }
    return vectors;
  }

  static List<String> names() throws Exception {
    List<String> out = new ArrayList<>();
    try (var p = org.apache.commons.csv.CSVParser.parse(data, java.nio.charset.StandardCharsets.UTF_8,
        org.apache.commons.csv.CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get())) {
      p.forEach(r -> out.add(r.get("name")));
    }
    return out;
  }

  static double dot(float[] a, float[] b) {
    double d = 0;
    for (int i = 0; i < a.length; i++) {
      d += a[i] * b[i];
    }
    return d;
  }

  @Test
  void picturesFindTheirNamesFarAboveChance() throws Exception {
    assertEquals("0", trained[2], trained[1]);
    assertTrue(trained[0].contains("recall_a_to_b@5") && trained[0].contains("mean_recall"), trained[0]);
    List<float[]> pictures = embed("image");
    List<float[]> texts = embed("name");
    List<String> names = names();
    Map<String, float[]> byName = new LinkedHashMap<>();
    for (int i = 0; i < names.size(); i++) {
      byName.put(names.get(i), texts.get(i));
    }
    int hits = 0;
    for (int i = 0; i < names.size(); i++) {
      double target = dot(pictures.get(i), byName.get(names.get(i)));
      int rank = 0;
      for (Map.Entry<String, float[]> e : byName.entrySet()) {
        if (!e.getKey().equals(names.get(i)) && dot(pictures.get(i), e.getValue()) > target) {
          rank++;
        }
      }
      hits += rank < 5 ? 1 : 0;
    }
    double recall = (double) hits / names.size();
    double chance = 5.0 / byName.size();
    System.out.printf("contrastive, 144 emoji rows: picture -> name recall@5 %.3f (chance %.3f)%n", recall, chance);
    // An untrained model sits at chance (0.07); trained, most pictures rank their own name in the top 5.
    assertTrue(recall >= 0.4, "recall@5 " + recall);
    try (Predictor p = Predictor.load(model, TrainingTest.REGISTRY)) {
      float[] one = p.embed(Map.of("name", names.get(0)), "name");
      assertEquals(dot(one, texts.get(0)), 1.0, 1e-4, "embed(example, input) is what mmfuse embed writes");
    }
  }

  @Test
  void zeroShotScoresEveryLabelAndReportsAccuracy() throws Exception {
    Path labels = dir.resolve("names.txt");
    Files.write(labels, new ArrayList<>(new LinkedHashSet<>(names())));
    String[] r = TrainingTest.cli("zero-shot", "--model", model.toString(), "--data", data.toString(), "--input",
        "image", "--labels", labels.toString(), "--label", "name");
    assertEquals("0", r[2], r[1]);
    List<String> lines = r[0].lines().toList();
    assertEquals(145, lines.size(), "a line per row, then the metrics");
    JsonObject first = JsonParser.parseString(lines.get(0)).getAsJsonObject();
    assertEquals(72, first.getAsJsonObject("scores").size());
    JsonObject metrics = JsonParser.parseString(lines.get(144)).getAsJsonObject();
    assertTrue(metrics.get("accuracy").getAsDouble() > 5 * metrics.get("chance").getAsDouble(), metrics.toString());

    Path empty = dir.resolve("empty.txt");
    Files.writeString(empty, "\n\n");
    r = TrainingTest.cli("zero-shot", "--model", model.toString(), "--data", data.toString(), "--input", "image",
        "--labels", empty.toString());
    assertEquals("2", r[2]);
    assertTrue(r[1].contains("0 label(s)"), r[1]);
    Path twice = dir.resolve("twice.txt");
    Files.writeString(twice, "red heart\npizza\nred heart\n");
    r = TrainingTest.cli("zero-shot", "--model", model.toString(), "--data", data.toString(), "--input", "image",
        "--labels", twice.toString());
    assertEquals("2", r[2]);
    assertTrue(r[1].contains("line 3: 'red heart' is there twice"), r[1]);
  }

  @Test
  void aPairWithASideMissingIsSkippedInTrainingAndRefusedByEmbed() throws Exception {
    List<String> lines = new ArrayList<>(Files.readAllLines(data));
    // Line 3 without its name.
    lines.set(2, lines.get(2).replace("grinning face", ""));
    Path holes = data.resolveSibling("holes.csv");
    Files.write(holes, lines);
    try {
      String[] r = TrainingTest.cli("train", "--data", holes.toString(), "--task", "contrastive", "--pair",
          "image,name", "--out", dir.resolve("holes").toString(), "--epochs", "1");
      assertEquals("0", r[2], r[1]);
      assertTrue(r[1].contains("skipped 1 pair(s) with a side missing (data " + holes + ", line 3: side B [name]"
          + " missing)"), r[1]);
      Path out = dir.resolve("holes.jsonl");
      r = TrainingTest.cli("embed", "--model", model.toString(), "--data", holes.toString(), "--input", "name",
          "--output", out.toString());
      assertEquals("2", r[2]);
      assertTrue(r[1].contains(holes + ", line 3: every input is missing"), r[1]);
      assertTrue(!Files.exists(out), "no partial output");
      r = TrainingTest.cli("embed", "--model", model.toString(), "--data", holes.toString(), "--input", "name",
          "--output", out.toString(), "--on-bad-row", "skip");
      assertEquals("0", r[2], r[1]);
      assertTrue(Files.readAllLines(out).get(1).contains("\"skipped_line\":3"));
    } finally {
      Files.deleteIfExists(holes);
    }
  }

  @Test
  void searchFindsPicturesForNamesAndRefusesAnotherModelsIndex() throws Exception {
    Path index = dir.resolve("index");
    String[] r = TrainingTest.cli("index", "--model", model.toString(), "--data", data.toString(), "--input",
        "image", "--out", index.toString());
    assertEquals("0", r[2], r[1]);
    assertTrue(r[1].contains("indexed 144 rows"), r[1]);
    List<String> names = names();
    int found = 0;
    List<String> distinct = new ArrayList<>(new LinkedHashSet<>(names));
    try (Predictor p = Predictor.load(model, TrainingTest.REGISTRY);
        io.mmfuse.examples.search.VectorIndex idx = io.mmfuse.examples.search.VectorIndex.open(index, model)) {
      for (String name : distinct) {
        for (io.mmfuse.examples.search.VectorIndex.Hit h : idx.search(p.embed(Map.of("name", name), "name"), 10)) {
          if (names.get(h.row() - 1).equals(name)) {
            found++;
            break;
          }
        }
      }
    }
    double share = (double) found / distinct.size();
    System.out.printf("search, 72 names against 144 pictures: a picture of the emoji in the top 10 for %.3f of"
        + " the names (chance %.3f)%n", share, 1 - Math.pow(1 - 2.0 / 144, 10));
    assertTrue(share >= 0.4, "share " + share);

    r = TrainingTest.cli("search", "--index", index.toString(), "--model", model.toString(), "--query",
        distinct.get(0), "-k", "3");
    assertEquals("0", r[2], r[1]);
    List<String> hits = r[0].lines().toList();
    assertEquals(3, hits.size());
    JsonObject top = JsonParser.parseString(hits.get(0)).getAsJsonObject();
    assertTrue(top.get("value").getAsString().endsWith(".png") && top.get("rank").getAsInt() == 1, hits.get(0));

    Path other = dir.resolve("other");
    r = TrainingTest.cli("train", "--data", data.toString(), "--task", "contrastive", "--pair", "image,name",
        "--out", other.toString(), "--epochs", "1", "--seed", "9");
    assertEquals("0", r[2], r[1]);
    r = TrainingTest.cli("search", "--index", index.toString(), "--model", other.toString(), "--query", "pizza");
    assertEquals("2", r[2]);
    assertTrue(r[1].contains("was built with another model"), r[1]);
  }

  @Test
  void twoTowersTrainAndServeEachSide() throws Exception {
    Path towers = dir.resolve("towers");
    String[] r = TrainingTest.cli("train", "--data", data.toString(), "--task", "contrastive", "--pair", "image,name",
        "--towers", "2", "--out", towers.toString(), "--epochs", "1");
    assertEquals("0", r[2], r[1]);
    try (Predictor p = Predictor.load(towers, TrainingTest.REGISTRY)) {
      assertEquals(2, p.spec().getBackbone().getTowers());
      float[] a = p.embed(Map.of("name", "grinning face"), "name");
      float[] b = p.embed(Map.of("image", data.resolveSibling("twitter/1f600.png")), "image");
      assertEquals(1.0, dot(a, a), 1e-4);
      assertEquals(1.0, dot(b, b), 1e-4);
    }
    r = TrainingTest.cli("train", "--data", data.toString(), "--label", "category", "--towers", "2", "--out",
        dir.resolve("no").toString());
    assertEquals("2", r[2]);
    assertTrue(r[1].contains("--towers is for --task contrastive"), r[1]);
  }
}
