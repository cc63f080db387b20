package io.mmfuse.examples.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.mmfuse.api.MmfuseException;
import io.mmfuse.fusion.data.BadRows;
import io.mmfuse.fusion.data.DataFile;
import io.mmfuse.fusion.data.Dataset;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of the CSV and JSONL readers, with the modality plugins claiming columns: a file is
 * indexed and every row read, or refused with an mmfuse error naming the file.
 */
class DataFilesFuzzTest {
  @FuzzTest(maxDuration = "10m")
  void csvAndJsonl(byte[] data) throws Exception {
    boolean jsonl = data.length > 0 && data[0] == '{';
    Path dir = Files.createTempDirectory("fuzz-data");
    Path f = dir.resolve(jsonl ? "rows.jsonl" : "rows.csv");
    try {
      Files.write(f, data);
      try (BadRows bad = BadRows.skip(1.0, dir.resolve("bad.jsonl"));
          DataFile d = DataFile.open(f, null, null, TrainingTest.REGISTRY, Dataset.ReadOptions.NONE, bad)) {
        for (int row = 0; row < d.size(); row++) {
          try {
            d.example(row);
          } catch (MmfuseException e) {
            assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
          }
        }
      }
    } catch (MmfuseException e) {
      assertTrue(e.getMessage() != null && !e.getMessage().endsWith(": null"), e.getMessage());
    } finally {
      io.mmfuse.fusion.internal.Checksums.deleteTree(dir);
    }
  }
}
