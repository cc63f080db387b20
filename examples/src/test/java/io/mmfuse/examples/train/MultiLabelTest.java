package io.mmfuse.examples.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A multi-label head learns on real data: scikit-learn's 8x8 digits as 64 table columns, each tagged with the
 * properties of its digit ({@code even}, {@code prime}, {@code round}: none, one, two or three of them).
 * {@code mmfuse eval} scores the held-out rows with the multi-label metrics.
 */
class MultiLabelTest {
  static String tags(int digit) {
    List<String> t = new ArrayList<>();
    if (digit % 2 == 0) {
      t.add("even");
    }
    if (digit == 2 || digit == 3 || digit == 5 || digit == 7) {
      t.add("prime");
    }
    if (digit == 0 || digit == 6 || digit == 8 || digit == 9) {
      t.add("round");
    }
    return String.join("|", t);
  }

  static JsonObject eval(Path model, Path data) {
    String[] r = TrainingTest.cli("eval", "--model", model.toString(), "--data", data.toString());
    assertEquals("0", r[2], r[1]);
    List<String> lines = r[0].strip().lines().toList();
    return JsonParser.parseString(lines.get(lines.size() - 1)).getAsJsonObject();
  }

  @Test
  void aMultiLabelModelLearnsTheDigitsPropertiesAndEvalScoresItOnHeldOutRows(@TempDir Path dir) throws Exception {
    List<String> lines;
    try (var in = new GZIPInputStream(Files.newInputStream(TrainingTest.fixture("digits.csv.gz")))) {
      lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    }
    StringBuilder header = new StringBuilder();
    for (int p = 0; p < 64; p++) {
      header.append("px").append(p).append(',');
    }
    List<String> rows = new ArrayList<>(List.of(header + "tags"));
    for (String l : lines) {
      int cut = l.lastIndexOf(',');
      rows.add(l.substring(0, cut) + "," + tags(Integer.parseInt(l.substring(cut + 1).trim())));
    }
    List<String> body = rows.subList(1, rows.size());
    int split = body.size() * 3 / 4;
    Path train = dir.resolve("train.csv");
    Path test = dir.resolve("test.csv");
    List<String> a = new ArrayList<>(List.of(rows.get(0)));
    a.addAll(body.subList(0, split));
    List<String> b = new ArrayList<>(List.of(rows.get(0)));
    b.addAll(body.subList(split, body.size()));
    Files.write(train, a);
    Files.write(test, b);
    Files.writeString(dir.resolve("multi.spec"), "head { task: MULTI_LABEL }\n");

    Path untrained = dir.resolve("untrained");
    String[] u = TrainingTest.cli("train", "--data", train.toString(), "--label", "tags", "--spec",
        dir.resolve("multi.spec").toString(), "--out", untrained.toString(), "--epochs", "1", "--lr", "1e-9");
    assertEquals("0", u[2], u[1]);
    Path model = dir.resolve("model");
    String[] t = TrainingTest.cli("train", "--data", train.toString(), "--label", "tags", "--spec",
        dir.resolve("multi.spec").toString(), "--out", model.toString(), "--epochs", "20", "--lr", "0.002");
    assertEquals("0", t[2], t[1]);

    JsonObject before = eval(untrained, test);
    JsonObject after = eval(model, test);
    System.out.println("multi-label digits, held out: untrained " + before + ", trained " + after);
    for (String k : List.of("micro_f1", "macro_f1", "subset_accuracy", "roc_auc")) {
      assertTrue(after.has(k), k + " in " + after);
    }
    assertTrue(after.get("micro_f1").getAsDouble() >= 0.9, "trained " + after);
    assertTrue(after.get("roc_auc").getAsDouble() >= 0.95, "trained " + after);
    assertTrue(before.get("micro_f1").getAsDouble() < 0.75, "untrained " + before);

    // predict writes the classes at 0.5 or more, as arrays.
    String[] p = TrainingTest.cli("predict", "--model", model.toString(), "--input", test.toString());
    assertEquals("0", p[2], p[1]);
    JsonObject first = JsonParser.parseString(p[0].lines().findFirst().orElseThrow()).getAsJsonObject();
    assertTrue(first.get("prediction").isJsonArray(), first.toString());
    assertEquals(3, first.getAsJsonObject("probabilities").size(), first.toString());
  }
}
