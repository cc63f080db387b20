package io.mmfuse.benchmarks;

import io.mmfuse.api.TokenSequence;
import io.mmfuse.modality.table.CsvTables;
import io.mmfuse.modality.table.TableData;
import io.mmfuse.modality.table.TableTokenizer;
import io.mmfuse.modality.table.proto.TableSettings;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/** Table cells tokenized per second, one thread, from parsed rows of the breast cancer data (30 numeric columns). */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 3)
@Fork(1)
@Threads(1)
@State(Scope.Benchmark)
public class TableTokenizerBenchmark {
  private TableData data;
  private TableTokenizer.RowTokenizer rows;

  /** Counts cells, so that JMH reports cells per second. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Cells {
    public long cells;

    @Setup(Level.Iteration)
    public void reset() {
      cells = 0;
    }
  }

  @Setup
  public void setUp() {
    data = CsvTables.readScikitLearn(Path.of("modality-table/src/test/resources/fixtures/table/breast_cancer.csv"));
    rows = TableTokenizer.fit(data, "target", TableSettings.getDefaultInstance()).bind(data.columns(), "bench");
  }

  @Benchmark
  public long tokenizeAllRows(Cells counter) {
    long n = 0;
    for (String[] row : data.rows()) {
      TokenSequence s = rows.tokenize(row, 0);
      n += s.length();
    }
    counter.cells += n;
    return n;
  }
}
