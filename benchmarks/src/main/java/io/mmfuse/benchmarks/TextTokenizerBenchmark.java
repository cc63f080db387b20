package io.mmfuse.benchmarks;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.mmfuse.modality.text.HfTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Tokens per second, one thread, over every line of the fortunes files (English, German, Chinese): mmfuse's
 * tokenizers and Hugging Face's Rust tokenizers through DJL, on the same lines in the same run. {@code tokens} is
 * the throughput to compare; {@code ops} counts passes over the corpus.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(1)
@Threads(1)
@State(Scope.Benchmark)
public class TextTokenizerBenchmark {
  static final Path FIXTURES = Path.of("modality-text/src/test/resources/fixtures/text");

  @Param({"wordpiece", "bpe"})
  public String tokenizer;

  @Param({"mmfuse", "huggingface"})
  public String implementation;

  private List<String> lines;
  private HfTokenizer mmfuse;
  private HuggingFaceTokenizer huggingface;

  /** Counts tokens produced, so that JMH reports tokens per second. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Tokens {
    public long tokens;

    @Setup(Level.Iteration)
    public void reset() {
      tokens = 0;
    }
  }

  static List<String> corpus() throws IOException {
    List<String> lines = new ArrayList<>();
    for (String name : List.of("fortunes-en-de.txt", "fortunes-zh-sample.txt")) {
      String all = Files.readString(FIXTURES.resolve(name), StandardCharsets.UTF_8);
      lines.addAll(Arrays.asList(all.split("\n", -1)));
    }
    return lines;
  }

  static Path tokenizerFile(String kind) {
    return FIXTURES.resolve(kind.equals("wordpiece") ? "bert-base-uncased-tokenizer.json" : "gpt2-tokenizer.json");
  }

  @Setup
  public void setUp() throws IOException {
    lines = corpus();
    Path file = tokenizerFile(tokenizer);
    if (implementation.equals("mmfuse")) {
      mmfuse = HfTokenizer.fromFile(file);
    } else {
      huggingface = HuggingFaceTokenizer.newInstance(file, Map.of("addSpecialTokens", "false"));
    }
  }

  @TearDown
  public void tearDown() {
    if (huggingface != null) {
      huggingface.close();
    }
  }

  @Benchmark
  public long corpusPass(Tokens counter) {
    long n = 0;
    if (mmfuse != null) {
      for (String line : lines) {
        n += mmfuse.encodeIds(line, false).length;
      }
    } else {
      for (String line : lines) {
        n += huggingface.encode(line, false, false).getIds().length;
      }
    }
    counter.tokens += n;
    return n;
  }
}
