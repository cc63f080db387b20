package io.mmfuse.examples.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.proto.InputSpec;
import io.mmfuse.api.proto.ModelSpec;
import io.mmfuse.fusion.data.BadRows;
import io.mmfuse.fusion.data.DataFile;
import io.mmfuse.fusion.data.Dataset;
import io.mmfuse.fusion.data.ExampleSource;
import io.mmfuse.fusion.train.Trainer;
import io.mmfuse.fusion.train.TrainingConfig;
import io.mmfuse.fusion.train.TrainingListener;
import io.mmfuse.modality.image.ImageTokenizerFactory;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data read from disk as it is needed: the streaming reader against a whole-file parse, the same batches whatever the
 * input threads, the token cache, and bad rows in long runs. Trains on 144 real rows of the emoji set (a picture, a
 * name, a table of vendor and version) with a small model.
 */
class StreamingTest {
  private static final Dataset.ReadOptions EMOJI = new Dataset.ReadOptions(
      Set.of("short_name", "subcategory", "sort_order", "unified"), Map.of(), null);

  private static final TrainingConfig SMALL = TrainingConfig.builder().optEpochs(2).optBatchSize(16).build();

  private static ModelSpec small() {
    return ModelSpec.newBuilder().setBackbone(io.mmfuse.api.proto.BackboneSpec.newBuilder().setWidth(32)
        .setLayers(1).setHeads(2).setFfnWidth(32).setFusion("late")).build();
  }

  /** The cells of every record of a CSV file, parsed whole by Commons CSV: the reference. */
  private static List<Map<String, String>> wholeFile(Path csv) throws Exception {
    List<Map<String, String>> rows = new ArrayList<>();
    try (Reader r = Files.newBufferedReader(csv, StandardCharsets.UTF_8);
        CSVParser p = CSVParser.parse(r, CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true)
            .setIgnoreEmptyLines(true).get())) {
      List<String> header = new ArrayList<>(p.getHeaderNames());
      header.set(0, header.get(0).replace("\uFEFF", ""));
      for (CSVRecord rec : p) {
        Map<String, String> row = new LinkedHashMap<>();
        for (int i = 0; i < header.size(); i++) {
          row.put(header.get(i), rec.get(i));
        }
        rows.add(row);
      }
    }
    return rows;
  }

  /** A row's cells as the data file gives them back, per column. */
  private static Map<String, String> cells(DataFile d, ExampleSource.Example ex) {
    Map<String, String> out = new LinkedHashMap<>();
    ex.inputs().forEach((input, v) -> {
      if (v instanceof Map<?, ?> m) {
        m.forEach((k, cell) -> out.put(k.toString(), cell.toString()));
      } else if (v instanceof Path p) {
        out.put(input, d.file().toAbsolutePath().getParent().relativize(p).toString());
      } else {
        out.put(input, v == null ? "" : v.toString());
      }
    });
    return out;
  }

  private static void sameAsWholeFile(Path csv, String label) throws Exception {
    List<Map<String, String>> reference = wholeFile(csv);
    try (DataFile d = DataFile.open(csv, label, null, TrainingTest.REGISTRY)) {
      assertEquals(reference.size(), d.size(), csv.toString());
      // Rows read by offset, in a shuffled order, from four threads at once.
      List<Integer> order = new ArrayList<>(IntStream.range(0, d.size()).boxed().toList());
      Collections.shuffle(order, new Random(3));
      Map<Integer, ExampleSource.Example> read = new java.util.concurrent.ConcurrentHashMap<>();
      order.parallelStream().forEach(i -> read.put(i, d.example(i)));
      Dataset whole = Dataset.read(csv, label, null, TrainingTest.REGISTRY);
      for (int i = 0; i < d.size(); i++) {
        Map<String, String> expected = new LinkedHashMap<>(reference.get(i));
        String labelCell = expected.remove(label).trim();
        Map<String, String> got = cells(d, read.get(i));
        for (Map.Entry<String, String> e : expected.entrySet()) {
          String g = got.getOrDefault(e.getKey(), "");
          assertEquals(io.mmfuse.api.MissingValues.isMissing(e.getValue()) ? "" : e.getValue().trim(),
              io.mmfuse.api.MissingValues.isMissing(g) ? "" : g.trim(), csv + " row " + i + " column " + e.getKey());
        }
        assertEquals(labelCell, read.get(i).label());
        assertEquals(whole.examples().get(i), read.get(i).inputs(), "Dataset.read holds the same rows");
      }
    }
  }

  @Test
  void theStreamingReaderGivesTheRowsOfAWholeFileParse(@TempDir Path dir) throws Exception {
    sameAsWholeFile(InputInferenceTest.sample(), "category");
    sameAsWholeFile(ResumeAndDeterminismTest.data(dir, "y"), "y");
    // The demo's data set: pictures, questions and a table.
    io.mmfuse.examples.demo.ShapesDataset.generate(dir.resolve("shapes"), 60, 3);
    sameAsWholeFile(dir.resolve("shapes/data.csv"), "answer");
    // What a streaming reader can get wrong: quoted line breaks and quotes, CRLF, a BOM, blank lines, a last line
    // without a line break.
    Path tricky = dir.resolve("tricky.csv");
    Files.writeString(tricky, "\uFEFFnote,size,label\r\n\"two\nlines, and a comma\",1.5,a\r\n\r\nplain,2,b\n"
        + "\"say \"\"hi\"\"\",,a\n\nlast,3,b", StandardCharsets.UTF_8);
    sameAsWholeFile(tricky, "label");
    try (DataFile d = DataFile.open(tricky, "label", null, TrainingTest.REGISTRY)) {
      assertEquals(List.of(2L, 5L, 6L, 8L), IntStream.range(0, d.size()).mapToObj(d::line).toList(),
          "each row knows the line it starts on");
    }
  }

  @Test
  void jsonlStreamsToo(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("rows.jsonl");
    Files.writeString(f, "{\"a\": 1.5, \"b\": \"x\", \"y\": \"p\"}\n\n{\"a\": 2, \"y\": \"q\", \"c\": true}\n");
    try (DataFile d = DataFile.open(f, "y", null, TrainingTest.REGISTRY)) {
      assertEquals(List.of("a", "b", "y", "c"), d.fileColumns(), "every key of every line is a column");
      assertEquals(2, d.size());
      assertEquals(3L, d.line(1));
      assertEquals("q", d.example(1).label());
      assertEquals(Dataset.read(f, "y", null, TrainingTest.REGISTRY).examples().get(1), d.example(1).inputs());
    }
  }

  private static List<InputSpec> augmented(List<InputSpec> inputs) {
    return inputs.stream().map(in -> in.getModality().equals("image")
        ? ImageTokenizerFactory.withDefaultAugmentation(in) : in).toList();
  }

  @Test
  void theSameSeedGivesTheSameBatchesWithOneOrFourInputThreads(@TempDir Path dir) throws Exception {
    List<Trainer.Result> results = new ArrayList<>();
    for (int threads : new int[] {1, 4, 0}) {
      try (DataFile d = DataFile.open(InputInferenceTest.sample(), "category", null, TrainingTest.REGISTRY, EMOJI,
          BadRows.FAIL)) {
        // Augmented pictures too: each row's draws depend on the seed, the epoch and the row, not on the thread.
        ExampleSource data = d.withInputs(augmented(d.inputs()));
        results.add(new Trainer(SMALL.toBuilder().optInputThreads(threads).optQueueDepth(3).build(),
            TrainingTest.REGISTRY).fit(small(), data, null, dir, dir.resolve("t" + threads)));
      }
    }
    for (Trainer.Result r : results.subList(1, 3)) {
      assertEquals(results.get(0).trainLoss(), r.trainLoss(), "every step's loss, bit for bit");
      assertArrayEquals(results.get(0).validationPredictions(), r.validationPredictions());
    }
  }

  /** Collects what a run says. */
  private static final class Notes implements TrainingListener {
    final List<String> notes = new ArrayList<>();
    double padding = -1;

    @Override
    public void onNote(String note) {
      notes.add(note);
    }

    @Override
    public void onInput(InputStatus status) {
      padding = status.padding();
    }

    boolean has(String part) {
      return notes.stream().anyMatch(n -> n.contains(part));
    }
  }

  private static Trainer.Result train(Path data, TrainingConfig config, Notes notes, Path out) {
    try (DataFile d = DataFile.open(data, "category", null, TrainingTest.REGISTRY, EMOJI, BadRows.FAIL)) {
      return new Trainer(config, TrainingTest.REGISTRY).addListener(notes).fit(small(), d, null,
          data.getParent(), out);
    }
  }

  @Test
  void theTokenCacheGivesTheSameTokensAndIsInvalidatedWhenTheDataOrSettingsChange(@TempDir Path dir)
      throws Exception {
    Path sample = InputInferenceTest.sample();
    Path data = sample.resolveSibling("cache-test.csv");
    Files.copy(sample, data, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Path cacheDir = dir.resolve("cache");
    TrainingConfig cached = SMALL.toBuilder().optTokenCache(cacheDir).build();
    Trainer.Result plain = train(data, SMALL, new Notes(), dir.resolve("plain"));

    Notes first = new Notes();
    Trainer.Result written = train(data, cached, first, dir.resolve("first"));
    assertTrue(first.has("token cache: writing"), first.notes.toString());
    assertTrue(first.has("token cache: wrote the tokens of 144 rows"), first.notes.toString());
    assertEquals(plain.trainLoss(), written.trainLoss(), "epoch 2 read from the cache trains as epoch 2 decoded");
    assertArrayEquals(plain.validationPredictions(), written.validationPredictions());

    Notes second = new Notes();
    Trainer.Result reread = train(data, cached, second, dir.resolve("second"));
    assertTrue(second.has("token cache: reading the tokens of 144 rows"), second.notes.toString());
    assertEquals(plain.trainLoss(), reread.trainLoss());

    // Other settings (the tokenizers fitted on fewer rows): another key.
    Notes settings = new Notes();
    train(data, cached.toBuilder().optFitRows(40).build(), settings, dir.resolve("settings"));
    assertTrue(settings.has("token cache: writing"), settings.notes.toString());

    // Other data (one name changed): another key, and the stale entry of this file is gone.
    List<String> lines = new ArrayList<>(Files.readAllLines(data));
    lines.set(1, lines.get(1).replace("grinning face", "grinning face again"));
    Files.write(data, lines);
    Notes changed = new Notes();
    train(data, cached, changed, dir.resolve("changed"));
    assertTrue(changed.has("token cache: writing"), changed.notes.toString());
    try (var entries = Files.list(cacheDir)) {
      assertEquals(1, entries.count(), "one entry per data file");
    }
    Files.delete(data);
  }

  @Test
  void lengthBucketsCutThePadding(@TempDir Path dir) throws Exception {
    // Text of very different lengths: padding is most of each batch unless rows of like length go together.
    Random r = new Random(5);
    List<String> rows = new ArrayList<>(List.of("text,label"));
    for (int i = 0; i < 256; i++) {
      int words = r.nextInt(10) == 0 ? 40 + r.nextInt(20) : 2 + r.nextInt(4);
      StringBuilder sb = new StringBuilder();
      for (int w = 0; w < words; w++) {
        sb.append(w == 0 ? "" : " ").append(r.nextBoolean() ? "good" : "plain");
      }
      rows.add(sb + "," + (sb.toString().split("good", -1).length > words / 2 + 1 ? "yes" : "no"));
    }
    Path csv = dir.resolve("lengths.csv");
    Files.write(csv, rows);
    double[] padding = new double[2];
    for (int k = 0; k < 2; k++) {
      Notes notes = new Notes();
      try (DataFile d = DataFile.open(csv, "label", null, TrainingTest.REGISTRY, new Dataset.ReadOptions(Set.of(),
          Map.of("text", "text"), null), BadRows.FAIL)) {
        new Trainer(SMALL.toBuilder().optEpochs(1).optLengthBuckets(k == 1).build(), TrainingTest.REGISTRY)
            .addListener(notes).fit(small(), d, null, dir, dir.resolve("b" + k));
      }
      padding[k] = notes.padding;
    }
    assertTrue(padding[0] > 0.5, "without buckets most slots are padding: " + padding[0]);
    assertTrue(padding[1] < padding[0] / 2, "buckets: " + padding[1] + " against " + padding[0]);
  }

  /** The emoji sample with absolute image paths, a missing picture on line 5 and a short row on line 9. */
  private static Path withBadRows(Path dir) throws Exception {
    Path sample = InputInferenceTest.sample();
    List<String> lines = new ArrayList<>(Files.readAllLines(sample));
    for (int i = 1; i < lines.size(); i++) {
      lines.set(i, sample.getParent().resolve(lines.get(i).substring(0, lines.get(i).indexOf(','))) + ","
          + lines.get(i).substring(lines.get(i).indexOf(',') + 1));
    }
    lines.set(4, lines.get(4).replaceFirst("^[^,]*,", sample.getParent().resolve("no-such.png") + ","));
    lines.set(8, "twitter/1f600.png,twitter,too short");
    Path f = dir.resolve("bad.csv");
    Files.write(f, lines);
    return f;
  }

  @Test
  void badRowsFailWithTheirLineOrAreSkippedCountedAndReported(@TempDir Path dir) throws Exception {
    Path data = withBadRows(dir);
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> DataFile.open(data, "category", null, TrainingTest.REGISTRY, EMOJI, BadRows.FAIL));
    assertTrue(e.getMessage().contains(data + ", line 9: 3 cells; expected 9"), e.getMessage());

    Path report = dir.resolve("model.bad-rows.jsonl");
    Notes notes = new Notes();
    try (BadRows bad = BadRows.skip(0.05, report);
        DataFile d = DataFile.open(data, "category", null, TrainingTest.REGISTRY, EMOJI, bad)) {
      assertEquals(143, d.size(), "the short row is left out of the index");
      Trainer.Result r = new Trainer(SMALL, TrainingTest.REGISTRY).addListener(notes).fit(small(), d, null, dir,
          dir.resolve("model"));
      assertTrue(r.bundleWritten());
      assertEquals(2, bad.count(), "each bad row counted once, over both epochs");
    }
    assertTrue(notes.has("skipped 2 bad rows; each is listed in " + report), notes.notes.toString());
    List<JsonObject> listed = Files.readAllLines(report).stream().map(l -> JsonParser.parseString(l)
        .getAsJsonObject()).toList();
    assertEquals(List.of(9L, 5L), listed.stream().map(o -> o.get("line").getAsLong()).toList());
    assertTrue(listed.get(1).get("error").getAsString().contains("no-such.png"), listed.get(1).toString());

    // More bad rows than allowed: the run fails anyway.
    try (BadRows strict = BadRows.skip(0.01, dir.resolve("strict.jsonl"));
        DataFile d = DataFile.open(data, "category", null, TrainingTest.REGISTRY, EMOJI, strict)) {
      InvalidInputException many = assertThrows(InvalidInputException.class, () -> new Trainer(SMALL,
          TrainingTest.REGISTRY).fit(small(), d, null, dir, dir.resolve("strict")));
      assertTrue(many.getMessage().contains("2 of 144 rows are bad (more than 1.00%"), many.getMessage());
      assertTrue(!Files.exists(dir.resolve("strict")), "a failed run leaves no bundle");
    }
  }
}
