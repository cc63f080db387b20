package io.mmfuse.modality.table;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.ModalityTokenizer;
import io.mmfuse.api.TokenSequence;
import io.mmfuse.api.TokenizerContext;
import io.mmfuse.api.plugin.Plugins;
import io.mmfuse.api.proto.InputSpec;
import io.mmfuse.api.proto.InputValue;
import io.mmfuse.api.proto.TableRow;
import io.mmfuse.modality.table.proto.ColumnKind;
import io.mmfuse.modality.table.proto.ColumnSpec;
import io.mmfuse.modality.table.proto.ColumnState;
import io.mmfuse.modality.table.proto.InfinityPolicy;
import io.mmfuse.modality.table.proto.TableSettings;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TableTokenizerTest {
  static Path fixture(String name) {
    try {
      return Path.of(TableTokenizerTest.class.getResource("/fixtures/table/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A small table with numeric, categorical and boolean columns, missing cells, quoting and an embedded newline. */
  static final String PETS =
      "\uFEFFname,age,kind,vaccinated,weight,label\n"
          + "Rex,3,dog,yes,12.5,good\n"
          + "\"Tom, the cat\",5,cat,no,4.1,good\n"
          + "Bob,NA,dog,yes,,bad\n"
          + "\"Line\nbreak\",1,bird,?,0.2,good\n"
          + "Max,7,dog,no,30,bad\n"
          + "Kit,2,cat,yes,3.9,good\n";

  static TableData pets() {
    return CsvTables.parse(PETS, "pets.csv", CsvTables.Options.defaults());
  }

  @Test
  void readsQuotingEmbeddedNewlinesAndTheBom() {
    TableData t = pets();
    assertEquals(List.of("name", "age", "kind", "vaccinated", "weight", "label"), t.columns());
    assertEquals(6, t.rows().size());
    assertEquals("Tom, the cat", t.rows().get(1)[0]);
    assertEquals("Line\nbreak", t.rows().get(3)[0]);
    TableData semi = CsvTables.parse("a;b\n1;x\n", "s.csv", CsvTables.Options.defaults().withDelimiter(';'));
    assertEquals(List.of("a", "b"), semi.columns());
  }

  @Test
  void infersTheSchemaOfRealDataSets() {
    TableData cancer = CsvTables.readScikitLearn(fixture("breast_cancer.csv"));
    assertEquals(569, cancer.rows().size());
    assertEquals(31, cancer.columns().size());
    assertEquals("malignant", cancer.rows().get(0)[30]);
    TableTokenizer t = TableTokenizer.fit(cancer, "target", TableSettings.getDefaultInstance());
    assertEquals(30, t.state().getColumnsCount());
    assertTrue(t.state().getColumnsList().stream().allMatch(c -> c.getKind() == ColumnKind.NUMERIC));
    assertEquals(60, t.state().getVocabularySize());

    TableTokenizer p = TableTokenizer.fit(pets(), "label", TableSettings.getDefaultInstance());
    assertEquals(List.of(ColumnKind.CATEGORICAL, ColumnKind.NUMERIC, ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN,
        ColumnKind.NUMERIC), p.state().getColumnsList().stream().map(ColumnState::getKind).toList());
    assertEquals(List.of("name", "age", "kind", "vaccinated", "weight"), p.columnNames());
  }

  @Test
  void numericStatisticsEqualAnIndependentComputation() {
    for (String file : List.of("breast_cancer.csv", "iris.csv", "wine_data.csv")) {
      TableData data = CsvTables.readScikitLearn(fixture(file));
      TableTokenizer t = TableTokenizer.fit(data, "target", TableSettings.getDefaultInstance());
      for (int col = 0; col < data.columns().size() - 1; col++) {
        final int c = col;
        double[] v = data.rows().stream().mapToDouble(r -> Double.parseDouble(r[c])).toArray();
        double mean = Arrays.stream(v).average().orElseThrow();
        double var = Arrays.stream(v).map(x -> (x - mean) * (x - mean)).sum() / v.length;
        ColumnState s = t.state().getColumns(col);
        assertEquals(mean, s.getCenter(), 1e-9 * Math.max(1, Math.abs(mean)), file + " mean of " + s.getName());
        assertEquals(Math.sqrt(var), s.getScale(), 1e-9 * Math.max(1, Math.sqrt(var)), file + " std");
      }
    }
  }

  @Test
  void tokensOfAKnownRowAreStandardizedValuesInTheColumnsOwnRange() {
    TableData cancer = CsvTables.readScikitLearn(fixture("breast_cancer.csv"));
    TableTokenizer t = TableTokenizer.fit(cancer, "target", TableSettings.getDefaultInstance());
    TokenSequence s = t.bind(cancer.columns(), "cancer").tokenize(cancer.rows().get(0), 2);
    assertEquals(30, s.length());
    double[] f0 = cancer.rows().stream().mapToDouble(r -> Double.parseDouble(r[0])).toArray();
    double mean = Arrays.stream(f0).average().orElseThrow();
    double std = Math.sqrt(Arrays.stream(f0).map(x -> (x - mean) * (x - mean)).sum() / f0.length);
    assertEquals((17.99 - mean) / std, s.scales()[0], 1e-5);
    for (int i = 0; i < 30; i++) {
      assertEquals(2 * i, s.ids()[i], "numeric column " + i + " uses the first id of its range");
      assertEquals(i, s.positions()[i]);
    }
  }

  @Test
  void missingCellsBecomeTheColumnsMissingTokenAndUnseenCategoriesTheOutOfVocabularyOne() {
    TableTokenizer t = TableTokenizer.fit(pets(), "label", TableSettings.getDefaultInstance());
    ColumnState kind = t.state().getColumns(2);
    ColumnState age = t.state().getColumns(1);
    Map<String, Object> row = new HashMap<>();
    row.put("name", "Rex");
    row.put("age", "NaN");
    row.put("kind", "hamster");
    row.put("vaccinated", null);
    row.put("weight", 12.5);
    TokenSequence s = t.tokenize(row);
    assertEquals(age.getOffset() + 1, s.ids()[1], "missing numeric");
    assertEquals(1f, s.scales()[1]);
    assertEquals(kind.getOffset() + 1, s.ids()[2], "unseen category");
    assertEquals(t.state().getColumns(3).getOffset(), s.ids()[3], "missing boolean");
    // "dog" is the most frequent kind: the first vocabulary id.
    row.put("kind", "dog");
    assertEquals(kind.getOffset() + 2, t.tokenize(row).ids()[2]);
    assertEquals("dog", kind.getVocabulary(0));
  }

  @Test
  void minimumFrequencySendsRareCategoriesOutOfVocabulary() {
    TableTokenizer t =
        TableTokenizer.fit(pets(), "label", TableSettings.newBuilder().setMinFrequency(2).build());
    assertEquals(List.of("dog", "cat"), t.state().getColumns(2).getVocabularyList());
  }

  @Test
  void theSpecOverridesAColumnsKindAndIgnoresColumns() {
    TableSettings s = TableSettings.newBuilder()
        .addColumns(ColumnSpec.newBuilder().setName("age").setKind(ColumnKind.CATEGORICAL))
        .addColumns(ColumnSpec.newBuilder().setName("name").setKind(ColumnKind.IGNORED)).build();
    TableTokenizer t = TableTokenizer.fit(pets(), "label", s);
    assertEquals(List.of("age", "kind", "vaccinated", "weight"), t.columnNames());
    assertEquals(ColumnKind.CATEGORICAL, t.state().getColumns(0).getKind());
  }

  @Test
  void textInANumericColumnNamesRowColumnAndValue() {
    TableTokenizer t = TableTokenizer.fit(pets(), "label", TableSettings.getDefaultInstance());
    TableData bad = CsvTables.parse("name,age,kind,vaccinated,weight\nA,3,dog,yes,heavy\n", "new.csv",
        CsvTables.Options.defaults());
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> t.bind(bad.columns(), "new.csv").tokenizeAll(bad));
    assertTrue(e.getMessage().contains("table new.csv: row 2, column 'weight': expected a number, found 'heavy'"),
        e.getMessage());
    assertThrows(InvalidInputException.class,
        () -> TableTokenizer.fit(bad, null, TableSettings.newBuilder()
            .addColumns(ColumnSpec.newBuilder().setName("weight").setKind(ColumnKind.NUMERIC)).build()));
  }

  @Test
  void infinitiesAreRefusedOrClippedAsConfigured() {
    TableData data = pets();
    TableTokenizer refuse = TableTokenizer.fit(data, "label", TableSettings.getDefaultInstance());
    Map<String, Object> row = Map.of("age", "Infinity");
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> refuse.tokenize(row));
    assertTrue(e.getMessage().contains("column 'age': Infinity is infinite"), e.getMessage());
    TableTokenizer clip = TableTokenizer.fit(data, "label",
        TableSettings.newBuilder().setInfinity(InfinityPolicy.INFINITY_CLIP).build());
    ColumnState age = clip.state().getColumns(1);
    assertEquals((float) ((7 - age.getCenter()) / age.getScale()), clip.tokenize(row).scales()[1], 1e-6);
  }

  @Test
  void clippingAtStandardDeviations() {
    TableTokenizer t = TableTokenizer.fit(pets(), "label", TableSettings.newBuilder().setClipStds(1.5f).build());
    assertEquals(1.5f, t.tokenize(Map.of("weight", "1000")).scales()[4], 1e-6);
    assertEquals(-1.5f, t.tokenize(Map.of("weight", "-1000")).scales()[4], 1e-6);
  }

  @Test
  void missingAndUnknownColumnsAtPredictionTime() {
    TableSettings s = TableSettings.newBuilder()
        .addColumns(ColumnSpec.newBuilder().setName("kind").setRequired(true)).build();
    TableTokenizer t = TableTokenizer.fit(pets(), "label", s);
    // Unknown columns are ignored (with a warning); absent ones become missing tokens.
    TokenSequence tokens = t.tokenize(Map.of("kind", "cat", "colour", "black"));
    assertEquals(t.state().getColumns(1).getOffset() + 1, tokens.ids()[1]);
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> t.tokenize(Map.of("age", 3)));
    assertTrue(e.getMessage().contains("required column 'kind' is missing"), e.getMessage());
    assertThrows(InvalidInputException.class, () -> t.bind(List.of("name", "age"), "x.csv"));
  }

  @Test
  void onlyColumnsTheSpecDoesNotMentionAreWarnedAbout() {
    TableSettings s = TableSettings.newBuilder()
        .addColumns(ColumnSpec.newBuilder().setName("name").setKind(ColumnKind.IGNORED)).build();
    TableTokenizer t = TableTokenizer.fit(pets(), "label", s);
    assertEquals(List.of("name"), t.state().getIgnoredList());
    java.util.logging.Logger jul = java.util.logging.Logger.getLogger(TableTokenizer.class.getName());
    List<String> warnings = new java.util.ArrayList<>();
    java.util.logging.Handler h = new java.util.logging.Handler() {
      @Override
      public void publish(java.util.logging.LogRecord r) {
        warnings.add(java.text.MessageFormat.format(r.getMessage(), r.getParameters()));
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    jul.addHandler(h);
    try {
      t.tokenize(Map.of("name", "Rex", "kind", "dog"));
      assertEquals(List.of(), warnings);
      t.tokenize(Map.of("name", "Rex", "kind", "dog", "owner", "Ann"));
      assertEquals(List.of("table row: ignoring columns the model does not know: owner"), warnings);
    } finally {
      jul.removeHandler(h);
    }
  }

  @Test
  void raggedRowsAndEmptyFilesAreRefused(@TempDir Path dir) throws Exception {
    InvalidInputException ragged = assertThrows(InvalidInputException.class,
        () -> CsvTables.parse("a,b,c\n1,2,3\n4,5\n", "r.csv", CsvTables.Options.defaults()));
    assertTrue(ragged.getMessage().contains("r.csv: row 3 (line 3) has 2 cells; expected 3"), ragged.getMessage());
    Path empty = dir.resolve("empty.csv");
    Files.writeString(empty, "");
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> CsvTables.read(empty, CsvTables.Options.defaults()));
    assertTrue(e.getMessage().contains("is empty"), e.getMessage());
  }

  @Test
  void theFittedStateIsSavedAndLoadedThroughTheSpec(@TempDir Path dir) throws Exception {
    TableTokenizer fitted = TableTokenizer.fit(pets(), "label", TableSettings.getDefaultInstance());
    Files.write(dir.resolve("pets.state"), fitted.state().toByteArray());
    InputSpec spec = io.mmfuse.api.Settings.with(InputSpec.newBuilder().setName("pet").setModality("table").build(),
        TableSettings.newBuilder().setStateFile("pets.state").build());
    ModalityTokenizer<?> loaded =
        Plugins.load(getClass().getClassLoader()).tokenizer(new TokenizerContext(spec, dir));
    InputValue value = InputValue.newBuilder().setTable(TableRow.newBuilder()
        .putCells("name", "Kit").putCells("age", "2").putCells("kind", "cat").putCells("vaccinated", "yes")
        .putCells("weight", "3.9")).build();
    TokenSequence a = loaded.tokenizeObject(value);
    TableData data = pets();
    TokenSequence b = fitted.bind(data.columns(), "pets").tokenize(data.rows().get(5), 7);
    assertArrayEquals(b.ids(), a.ids());
    assertArrayEquals(b.scales(), a.scales());
    assertEquals(fitted.tokenSpace(), loaded.tokenSpace());

    InputSpec unfitted = InputSpec.newBuilder().setName("pet").setModality("table").build();
    InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class,
        () -> Plugins.load(getClass().getClassLoader()).tokenizer(new TokenizerContext(unfitted, dir)));
    assertTrue(e.getMessage().contains("not fitted"), e.getMessage());
  }
}
