package io.mmfuse.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mmfuse spark-predict} on local[2]: the Predictor's outputs, in the input's order, whole or not at all. */
class SparkPredictTest {
  static Reference ref;

  @BeforeAll
  static void reference() throws Exception {
    ref = new Reference();
  }

  record Run(int code, String err) {}

  static Run run(String... args) {
    StringWriter err = new StringWriter();
    int code = SparkPredict.run(new PrintWriter(new StringWriter()), new PrintWriter(err, true), args);
    return new Run(code, err.toString());
  }

  static List<JsonObject> lines(Path dir) throws Exception {
    List<JsonObject> out = new ArrayList<>();
    try (Stream<Path> parts = Files.list(dir)) {
      for (Path p : parts.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList()) {
        for (String line : Files.readAllLines(p)) {
          out.add(JsonParser.parseString(line).getAsJsonObject());
        }
      }
    }
    return out;
  }

  @Test
  void writesOneObjectPerRowInOrderWithTheIdPredictionAndProbabilities(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("out");
    Run r = run("--master", "local[2]", "--model", TestBundles.bundle().toString(), "--data",
        TestBundles.data().toString(), "--id", "id", "--output", out.toString(), "--format", "jsonl",
        "--partitions", "3");
    assertEquals(0, r.code(), r.err());
    List<JsonObject> got = lines(out);
    List<String> ids = Files.readAllLines(TestBundles.data()).stream().skip(1).map(l -> l.split(",")[0]).toList();
    assertEquals(ids.size(), got.size());
    for (int i = 0; i < ids.size(); i++) {
      JsonObject o = got.get(i);
      assertEquals(ids.get(i), o.get("id").getAsString(), "row order");
      float[] want = ref.probs.get(ids.get(i));
      JsonObject p = o.getAsJsonObject("probability");
      for (int c = 0; c < want.length; c++) {
        assertEquals(want[c], p.get(ref.classes.get(c)).getAsDouble(), 1e-5);
      }
      assertEquals(want[0] >= want[1] ? ref.classes.get(0) : ref.classes.get(1), o.get("prediction").getAsString());
    }
    assertTrue(r.err().contains("loaded 1 time"), r.err());
    // An output that exists is refused before any job.
    Run again = run("--master", "local[2]", "--model", TestBundles.bundle().toString(), "--data",
        TestBundles.data().toString(), "--id", "id", "--output", out.toString());
    assertEquals(2, again.code());
    assertTrue(again.err().contains("already exists"), again.err());
  }

  @Test
  void helpPrintsTheUsageAndExitsZero() {
    StringWriter out = new StringWriter();
    assertEquals(0, SparkPredict.run(new PrintWriter(out, true), new PrintWriter(new StringWriter()), "--help"));
    assertTrue(out.toString().startsWith("Usage: mmfuse spark-predict"), out.toString());
    Run bad = run("--model", "m", "--data", "d.txt", "--id", "id", "--output", "o", "--format", "xml");
    assertEquals(2, bad.code());
    assertTrue(bad.err().contains("--format xml: expected parquet or jsonl"), bad.err());
  }

  @Test
  void aBadRowIsOneLineNamingItAndLeavesNoOutputOrIsSkipped(@TempDir Path tmp) throws Exception {
    List<String> lines = new ArrayList<>(Files.readAllLines(TestBundles.data()));
    lines.set(4, lines.get(4).replaceFirst("img/p\\d+\\.png", "img/missing.png"));
    String badId = lines.get(4).split(",")[0];
    Path data = tmp.resolve("data.csv");
    Files.write(data, lines);
    // The images are found beside the data file.
    Files.createSymbolicLink(tmp.resolve("img"), TestBundles.dir().resolve("img"));
    Path out = tmp.resolve("out");
    Run r = run("--master", "local[2]", "--model", TestBundles.bundle().toString(), "--data", data.toString(),
        "--id", "id", "--output", out.toString(), "--format", "jsonl");
    assertEquals(2, r.code(), r.err());
    String last = r.err().strip().lines().reduce((a, b) -> b).orElse("");
    assertTrue(last.startsWith("mmfuse spark-predict: ") && last.contains("row id=" + badId)
        && last.contains("column 'picture'") && last.contains("missing.png"), r.err());
    assertFalse(Files.exists(out));
    try (Stream<Path> left = Files.list(tmp)) {
      assertEquals(List.of(), left.filter(p -> p.getFileName().toString().startsWith("out")).toList());
    }

    Run skip = run("--master", "local[2]", "--model", TestBundles.bundle().toString(), "--data", data.toString(),
        "--id", "id", "--output", out.toString(), "--format", "jsonl", "--on-bad-row", "skip");
    assertEquals(0, skip.code(), skip.err());
    assertTrue(skip.err().contains("1 rows skipped"), skip.err());
    List<JsonObject> got = lines(out);
    assertEquals(lines.size() - 1, got.size());
    JsonObject bad = got.get(3);
    assertEquals(badId, bad.get("id").getAsString());
    assertTrue(bad.get("prediction").isJsonNull());
    assertTrue(bad.get("error").getAsString().contains("missing.png"));
    assertTrue(got.get(2).get("error").isJsonNull());
  }
}
