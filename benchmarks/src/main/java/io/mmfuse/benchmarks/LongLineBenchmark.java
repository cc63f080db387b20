package io.mmfuse.benchmarks;

import io.mmfuse.modality.text.HfTokenizer;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Time to tokenize one line of 1 MB and of 10 MB: the ratio shows whether the cost is linear in the length. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class LongLineBenchmark {
  @Param({"wordpiece", "bpe"})
  public String tokenizer;

  @Param({"1000000", "10000000"})
  public int chars;

  /** "text": the fortunes joined into one line; "word": one word of a single repeated letter. */
  @Param({"text", "word"})
  public String content;

  private HfTokenizer mmfuse;
  private String line;

  @Setup
  public void setUp() throws IOException {
    mmfuse = HfTokenizer.fromFile(TextTokenizerBenchmark.tokenizerFile(tokenizer));
    if (content.equals("word")) {
      line = "x".repeat(chars);
      return;
    }
    List<String> lines = TextTokenizerBenchmark.corpus();
    StringBuilder sb = new StringBuilder(chars + 1000);
    for (int i = 0; sb.length() < chars; i++) {
      sb.append(lines.get(i % lines.size())).append(' ');
    }
    sb.setLength(chars);
    line = sb.toString();
  }

  @Benchmark
  public int encode() {
    return mmfuse.encodeIds(line, false).length;
  }
}
