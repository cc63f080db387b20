package io.mmfuse.examples.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.InvalidInputException;
import io.mmfuse.fusion.data.BadRows;
import io.mmfuse.fusion.data.DataFile;
import io.mmfuse.fusion.data.Dataset;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Data files that were accepted when they must not be. */
class HostileDataTest {
  @Test
  void aHeaderThatNamesAColumnTwiceIsRefused(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("d.csv");
    Files.writeString(f, "size,colour,size,label\n1,red,2,a\n3,blue,4,b\n");
    String m = assertThrows(InvalidInputException.class,
        () -> DataFile.open(f, "label", null, TrainingTest.REGISTRY, Dataset.ReadOptions.NONE, BadRows.FAIL)).getMessage();
    assertTrue(m.contains("names column 'size' twice (columns 1 and 3)"), m);
  }

  @Test
  void aHugeCellIsABadRowNotAClass(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("d.csv");
    StringBuilder sb = new StringBuilder("size,label\n");
    for (int i = 0; i < 40; i++) {
      sb.append(i).append(',').append(i % 2 == 0 ? "even" : "odd").append('\n');
    }
    sb.append("41,").append("x".repeat(1_200_000)).append('\n');
    Files.writeString(f, sb.toString());
    String m = assertThrows(InvalidInputException.class,
        () -> DataFile.open(f, "label", null, TrainingTest.REGISTRY, Dataset.ReadOptions.NONE, BadRows.FAIL)).getMessage();
    assertTrue(m.contains("column 'label': a cell of 1,200,000 characters; the limit is 1,000,000 (-Dmmfuse.maxCellChars)"), m);
    try (BadRows skip = BadRows.skip(0.05, dir.resolve("bad.jsonl"));
        DataFile d = DataFile.open(f, "label", null, TrainingTest.REGISTRY, Dataset.ReadOptions.NONE, skip)) {
      assertEquals(40, d.size());
    }
  }

  @Test
  void aLabelLongerThanTheLimitIsRefusedByRow(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("d.csv");
    StringBuilder sb = new StringBuilder("size,label\n");
    for (int i = 0; i < 20; i++) {
      sb.append(i).append(',').append(i == 7 ? "y".repeat(5000) : "ok").append('\n');
    }
    Files.writeString(f, sb.toString());
    try (DataFile d = DataFile.open(f, "label", null, TrainingTest.REGISTRY, Dataset.ReadOptions.NONE,
        BadRows.FAIL)) {
      String m = assertThrows(InvalidInputException.class, () -> d.label(7)).getMessage();
      assertTrue(m.contains("label column 'label': a label of 5,000 characters; the limit is 1,000 (-Dmmfuse.maxLabelChars)"), m);
    }
  }

  @Test
  void anUnclosedQuoteIsRefusedAtTheRowLimitNamingItsLine(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("d.csv");
    StringBuilder sb = new StringBuilder("size,label\n1,a\n2,\"b\n");
    for (int i = 0; i < 5000; i++) {
      sb.append(i).append(",never closed\n");
    }
    Files.writeString(f, sb.toString());
    String m = withProperty("mmfuse.maxRowBytes", "4096", () -> assertThrows(InvalidInputException.class,
        () -> DataFile.open(f, "label", null, TrainingTest.REGISTRY, Dataset.ReadOptions.NONE, BadRows.FAIL))
        .getMessage());
    assertTrue(m.contains("data " + f + ", line 3: a row of more than 4,096 bytes; the limit is 4,096"
        + " (-Dmmfuse.maxRowBytes); is a quote left open?"), m);
  }

  @Test
  void aFileWithMoreRowsThanTheLimitIsRefused(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("d.jsonl");
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 30; i++) {
      sb.append("{\"size\": ").append(i).append(", \"label\": \"a\"}\n");
    }
    Files.writeString(f, sb.toString());
    String m = withProperty("mmfuse.maxRows", "25", () -> assertThrows(InvalidInputException.class,
        () -> DataFile.open(f, "label", null, TrainingTest.REGISTRY, Dataset.ReadOptions.NONE, BadRows.FAIL))
        .getMessage());
    assertTrue(m.contains("data " + f + ", line 26: more than 25 rows; the limit is 25 (-Dmmfuse.maxRows)"), m);
    try (DataFile d = DataFile.open(f, "label", null, TrainingTest.REGISTRY, Dataset.ReadOptions.NONE,
        BadRows.FAIL)) {
      assertEquals(30, d.size(), "the default limit takes the file");
    }
  }

  @Test
  void aJsonlRowNestedPastTheDepthLimitIsABadRow(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("d.jsonl");
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 20; i++) {
      sb.append("{\"size\": ").append(i).append(", \"label\": \"a\"}\n");
    }
    sb.append("{\"size\": ").append("[".repeat(100_000)).append("]".repeat(100_000)).append(", \"label\": \"b\"}\n");
    Files.writeString(f, sb.toString());
    String m = assertThrows(InvalidInputException.class,
        () -> DataFile.open(f, "label", null, TrainingTest.REGISTRY, Dataset.ReadOptions.NONE, BadRows.FAIL))
        .getMessage();
    assertTrue(m.contains("data " + f + ", line 21: not a JSON object (arrays and objects nest deeper than 64"
        + " levels at $.size"), m);
  }

  /** Runs {@code body} with a system property set, then clears it. */
  static <T> T withProperty(String name, String value, java.util.function.Supplier<T> body) {
    System.setProperty(name, value);
    try {
      return body.get();
    } finally {
      System.clearProperty(name);
    }
  }
}
