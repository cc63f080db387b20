package io.mmfuse.examples.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.proto.ModelSpec;
import io.mmfuse.fusion.bundle.BundleReader;
import io.mmfuse.fusion.data.Dataset;
import io.mmfuse.fusion.train.Trainer;
import io.mmfuse.fusion.train.TrainingConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What training infers of real data, and how a user controls it: 144 rows of the emoji set (72 emoji, each drawn by
 * two vendors), with the columns a new user meets: an image, a name, ids, a finer category and a sort order that
 * give the label away.
 */
class InputInferenceTest {
  static Path sample() throws Exception {
    return Path.of(InputInferenceTest.class.getResource("/emoji-sample/emoji.csv").toURI());
  }

  static Map<String, Dataset.ColumnProfile> profiles(Dataset d) {
    return d.columns().stream().collect(Collectors.toMap(Dataset.ColumnProfile::name, c -> c));
  }

  @Test
  void eachColumnGetsItsModalityAndTheLeaksAreFlagged() throws Exception {
    Dataset d = Dataset.read(sample(), "category", null, TrainingTest.REGISTRY);
    Map<String, Dataset.ColumnProfile> p = profiles(d);
    assertEquals("image", p.get("image").modality());
    // Short phrases with many distinct values that share words: text, not a category of 72 values.
    assertEquals("text", p.get("name").modality());
    assertEquals("name", p.get("name").role());
    for (String c : List.of("vendor", "short_name", "subcategory", "added_in", "sort_order", "unified")) {
      assertEquals("table", p.get(c).modality(), c);
    }
    assertEquals("label", p.get("category").role());
    assertEquals(144, p.get("unified").present());
    assertEquals(72, p.get("unified").distinct());
    assertEquals(2, p.get("vendor").distinct());
    assertTrue(p.get("subcategory").warnings().get(0).contains("predicts the label too well: each of its 10 values"
        + " goes with one label"), p.get("subcategory").warnings().toString());
    assertTrue(p.get("subcategory").warnings().get(0).endsWith("--ignore subcategory"));
    assertTrue(p.get("sort_order").warnings().get(0).contains("a sort order"), p.get("sort_order").toString());
    for (String c : List.of("vendor", "name", "image", "added_in", "unified")) {
      assertTrue(p.get(c).warnings().isEmpty(), c + ": " + p.get(c).warnings());
    }
  }

  @Test
  void idsAndConstantsAreFlagged(@TempDir Path dir) throws Exception {
    StringBuilder csv = new StringBuilder("row_id,source,score,label\n");
    for (int i = 0; i < 40; i++) {
      csv.append("r").append(1000 + i).append(",scanner,").append(i % 7).append(',').append(i % 2 == 0 ? "a" : "b")
          .append('\n');
    }
    Path data = Files.writeString(dir.resolve("d.csv"), csv);
    Map<String, Dataset.ColumnProfile> p = profiles(Dataset.read(data, "label", null, TrainingTest.REGISTRY));
    assertTrue(p.get("row_id").warnings().get(0).startsWith("is unique per row (an id?)"), p.toString());
    assertTrue(p.get("source").warnings().get(0).startsWith("is constant ('scanner' in every row)"), p.toString());
    assertTrue(p.get("score").warnings().isEmpty(), p.toString());
  }

  @Test
  void ignoredForcedAndGroupColumnsAreNotInputsAsInferred() throws Exception {
    Dataset d = Dataset.read(sample(), "category", null, TrainingTest.REGISTRY, new Dataset.ReadOptions(
        Set.of("subcategory", "sort_order"), Map.of("short_name", "text"), "unified"));
    Map<String, Dataset.ColumnProfile> p = profiles(d);
    assertEquals("ignored", p.get("subcategory").role());
    assertEquals("group", p.get("unified").role());
    assertEquals("text", p.get("short_name").modality());
    assertEquals(List.of("image", "name", "short_name", "table"),
        d.inputs().stream().map(i -> i.getName()).sorted().toList());
    @SuppressWarnings("unchecked")
    Map<String, String> table = (Map<String, String>) d.examples().get(0).get("table");
    assertEquals(Set.of("vendor", "added_in"), table.keySet());
    assertEquals("1F600", d.groups().get(0));

    InvalidInputException e = assertThrows(InvalidInputException.class, () -> Dataset.read(sample(), "category",
        null, TrainingTest.REGISTRY, new Dataset.ReadOptions(Set.of("colour"), Map.of(), null)));
    assertTrue(e.getMessage().contains("column 'colour' to ignore is not among [image, vendor, name"),
        e.getMessage());
    e = assertThrows(InvalidInputException.class, () -> Dataset.read(sample(), "category", null,
        TrainingTest.REGISTRY, new Dataset.ReadOptions(Set.of(), Map.of(), "emoji_id")));
    assertTrue(e.getMessage().contains("group column 'emoji_id' is not among"), e.getMessage());
    e = assertThrows(InvalidInputException.class, () -> Dataset.read(sample(), "category", null,
        TrainingTest.REGISTRY, new Dataset.ReadOptions(Set.of("name"), Map.of("name", "text"), null)));
    assertTrue(e.getMessage().contains("column 'name' is both ignored and given as text"), e.getMessage());
    RuntimeException unknown = assertThrows(RuntimeException.class, () -> Dataset.read(sample(), "category", null,
        TrainingTest.REGISTRY, new Dataset.ReadOptions(Set.of(), Map.of("name", "audio"), null)));
    assertTrue(unknown.getMessage().contains("audio"), unknown.getMessage());
  }

  @Test
  void aGroupSplitKeepsBothDrawingsOfAnEmojiOnOneSideAndTheBundleRecordsIt(@TempDir Path dir) throws Exception {
    Dataset d = Dataset.read(sample(), "category", null, TrainingTest.REGISTRY, new Dataset.ReadOptions(
        Set.of("subcategory", "sort_order", "short_name"), Map.of(), "unified"));
    Trainer.Result r = new Trainer(TrainingConfig.builder().optEpochs(1).build(), TrainingTest.REGISTRY)
        .fit(ModelSpec.getDefaultInstance(), d, dir, dir.resolve("model"));
    Set<String> held = new HashSet<>();
    r.validationExamples().forEach(i -> held.add(d.groups().get(i)));
    int validation = 0;
    for (int i = 0; i < d.examples().size(); i++) {
      boolean inValidation = r.validationExamples().contains(i);
      assertEquals(held.contains(d.groups().get(i)), inValidation, "row " + i + " of emoji " + d.groups().get(i));
      validation += inValidation ? 1 : 0;
    }
    // Whole emoji held out: an even number of rows, 25% of 144.
    assertEquals(36, validation);
    JsonObject split = BundleReader.open(dir.resolve("model")).provenance().orElseThrow().split();
    assertEquals("group", split.get("kind").getAsString());
    assertEquals("unified", split.get("group_column").getAsString());
    assertEquals(18, split.get("validation_groups").getAsInt());
    assertEquals(108, split.get("training_rows").getAsInt());
  }

  @Test
  void trainSaysWhatItInferredWarnsOfTheMirageAndTakesAValidationFile(@TempDir Path dir) throws Exception {
    String[] r = TrainingTest.cli("train", "--data", sample().toString(), "--label", "category", "--epochs", "1",
        "--out", dir.resolve("random").toString());
    assertEquals("0", r[2], r[1]);
    String log = r[1];
    assertTrue(log.contains("data " + sample() + ": 144 rows, 9 columns"), log);
    assertTrue(log.matches("(?s).*\\n  name +text input +144 present, 0 missing, 72 distinct\\n.*"), log);
    assertTrue(log.contains("warning: column 'subcategory' predicts the label too well"), log);
    assertTrue(log.contains("to drop every flagged column: --ignore subcategory,sort_order"), log);
    // A random split puts the other drawing of most validation emoji into training.
    assertTrue(log.matches("(?s).*warning: \\d+% of the validation rows share their 'unified' with a training row.*"
        + "--group unified.*"), log);
    assertTrue(log.contains("input 'image': image, 64x64 px, patch 8 (picked from the median size of 108 training"
        + " images, 64x64); no augmentation"), log);
    assertTrue(log.contains("input 'name': text, tokenizer bert-base-uncased-vocab.txt (the default)"), log);
    assertTrue(log.contains("input 'table': table, vendor categorical (2 values), short_name categorical"), log);
    // Several inputs and no backbone in the spec: late fusion.
    assertTrue(log.matches("(?s).*model: [\\d,]+ parameters; backbone width 64, 2 layers, 4 heads, feed-forward"
        + " 128, fusion late,.*"), log);

    // Train on the Twitter drawings, validate on Google's.
    List<String> lines = Files.readAllLines(sample());
    Path base = sample().getParent();
    List<String> twitter = new java.util.ArrayList<>(List.of(lines.get(0)));
    List<String> google = new java.util.ArrayList<>(List.of(lines.get(0)));
    for (String l : lines.subList(1, lines.size())) {
      (l.startsWith("twitter/") ? twitter : google).add(base + "/" + l);
    }
    Path train = Files.write(dir.resolve("twitter.csv"), twitter);
    Path validation = Files.write(dir.resolve("google.csv"), google);
    r = TrainingTest.cli("train", "--data", train.toString(), "--validation", validation.toString(), "--label",
        "category", "--ignore", "short_name,subcategory,sort_order,unified,vendor", "--epochs", "1", "--out",
        dir.resolve("file").toString(), "--augment", "--fusion", "concat");
    assertEquals("0", r[2], r[1]);
    assertTrue(r[1].contains("input 'image': image, 64x64 px, patch 8 (picked from the median size of 72 training"
        + " images, 64x64); augmented in training: crop >= 0.8, rotation <= 10.0 deg"), r[1]);
    assertTrue(r[1].contains(", fusion concat, "), r[1]);
    assertTrue(r[1].contains("validation: the 72 rows of " + validation + "; training: 72 rows"), r[1]);
    assertFalse(r[1].contains("warning: column"), r[1]);
    JsonObject split = BundleReader.open(dir.resolve("file")).provenance().orElseThrow().split();
    assertEquals("file", split.get("kind").getAsString());
    assertEquals(validation.toString(), split.get("validation_file").getAsString());
    assertEquals(64, split.get("validation_sha256").getAsString().length());

    r = TrainingTest.cli("train", "--data", sample().toString(), "--label", "category", "--ignore", "colour",
        "--out", dir.resolve("bad").toString());
    assertEquals("2", r[2], r[1]);
    assertTrue(r[1].contains("mmfuse: [MMF-INPUT] data " + sample() + ": column 'colour' to ignore is not among"), r[1]);
    assertFalse(Files.exists(dir.resolve("bad")));
  }
}
