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
    assertTrue(m.contains("column 'label': a cell of 1200000 characters; the limit is 1000000"), m);
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
      assertTrue(m.contains("label column 'label': a label of 5000 characters; the limit is 1000"), m);
    }
  }
}
