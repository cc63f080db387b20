package io.mmfuse.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizeTextCommandTest {
  /** The text fixtures kept with the text module's tests. */
  static final Path TEXT_FIXTURES = Path.of("../modality-text/src/test/resources/fixtures/text");

  static List<String> run(String... args) {
    List<String> err = new ArrayList<>();
    PluginJars.run(err, args);
    return err;
  }

  private static String expected(Path tokenizer, List<String> lines, boolean special) throws Exception {
    try (HuggingFaceTokenizer ref =
        HuggingFaceTokenizer.newInstance(tokenizer, Map.of("addSpecialTokens", Boolean.toString(special)))) {
      StringBuilder sb = new StringBuilder();
      for (String line : lines) {
        sb.append(
                Arrays.stream(ref.encode(line, special, false).getIds())
                    .mapToObj(Long::toString)
                    .collect(Collectors.joining(",", "[", "]")))
            .append('\n');
      }
      return sb.toString();
    }
  }

  @Test
  void writesOneArrayOfHuggingFaceIdsPerLineInOrder(@TempDir Path dir) throws Exception {
    List<String> lines = List.of("Hello, world!", "", "Zürich 你好 😀", "  spaces  ", "a\rcarriage return", "last");
    Path input = dir.resolve("in.txt");
    // No newline after the last line: it is still a line.
    Files.writeString(input, String.join("\n", lines), StandardCharsets.UTF_8);
    for (String tok : List.of("bert-base-uncased-tokenizer.json", "gpt2-tokenizer.json")) {
      for (boolean special : new boolean[] {true, false}) {
        Path output = dir.resolve(tok + special + ".jsonl");
        List<String> args = new ArrayList<>(List.of("tokenize", "text", "--tokenizer",
            TEXT_FIXTURES.resolve(tok).toString(), "--input", input.toString(), "--output", output.toString()));
        if (special) {
          args.add("--special");
        }
        List<String> err = run(args.toArray(new String[0]));
        assertEquals("0", err.get(1), err.get(0));
        assertEquals(expected(TEXT_FIXTURES.resolve(tok), lines, special), Files.readString(output));
      }
    }
  }

  @Test
  void aThousandFortunesGiveHuggingFaceIdsAcrossWorkerChunks(@TempDir Path dir) throws Exception {
    List<String> all =
        Arrays.asList(Files.readString(TEXT_FIXTURES.resolve("fortunes-en-de.txt")).split("\n", -1));
    List<String> lines = all.subList(0, 5000);
    Path input = dir.resolve("in.txt");
    Files.writeString(input, String.join("\n", lines) + "\n");
    Path output = dir.resolve("out.jsonl");
    Path tok = TEXT_FIXTURES.resolve("bert-base-uncased-tokenizer.json");
    List<String> err = run("tokenize", "text", "--tokenizer", tok.toString(), "--special", "--input",
        input.toString(), "--output", output.toString(), "--threads", "2");
    assertEquals("0", err.get(1), err.get(0));
    assertEquals(expected(tok, lines, true), Files.readString(output));
  }

  @Test
  void invalidUtf8IsRefusedNamingTheLineAndNothingIsWritten(@TempDir Path dir) throws Exception {
    Path input = dir.resolve("in.txt");
    byte[] bad = "fine\nalso fine\nbroken \u0000 here\n".getBytes(StandardCharsets.UTF_8);
    bad[bad.length - 7] = (byte) 0xFF;
    Files.write(input, bad);
    Path output = dir.resolve("out.jsonl");
    Files.writeString(output, "previous result\n");
    List<String> err = run("tokenize", "text", "--tokenizer",
        TEXT_FIXTURES.resolve("gpt2-tokenizer.json").toString(), "--input", input.toString(), "--output",
        output.toString());
    assertEquals("2", err.get(1));
    assertTrue(err.get(0).contains("line 3 is not valid UTF-8"), err.get(0));
    assertTrue(err.get(0).contains(input.toString()), err.get(0));
    assertEquals("previous result\n", Files.readString(output));
    try (var files = Files.list(dir)) {
      assertEquals(2, files.count(), "no temporary file is left behind");
    }
  }

  @Test
  void anUnwritableOutputIsAClearErrorAndLeavesNothing(@TempDir Path dir) throws Exception {
    Path input = dir.resolve("in.txt");
    Files.writeString(input, "hello\n");
    Path blocker = dir.resolve("file");
    Files.writeString(blocker, "x");
    Path output = blocker.resolve("out.jsonl");
    List<String> err = run("tokenize", "text", "--tokenizer",
        TEXT_FIXTURES.resolve("gpt2-tokenizer.json").toString(), "--input", input.toString(), "--output",
        output.toString());
    assertEquals("2", err.get(1));
    assertTrue(err.get(0).contains(output.toString()) && err.get(0).contains("cannot be written"), err.get(0));
    assertFalse(Files.exists(output));
  }

  @Test
  void aBrokenTokenizerFileIsAClearError(@TempDir Path dir) throws Exception {
    Path input = dir.resolve("in.txt");
    Files.writeString(input, "hello\n");
    Path tok = dir.resolve("tokenizer.json");
    Files.writeString(tok, "{\"model\": {\"type\": \"WordLevel\", \"vocab\": {}}}");
    List<String> err = run("tokenize", "text", "--tokenizer", tok.toString(), "--input", input.toString(),
        "--output", dir.resolve("o").toString());
    assertEquals("2", err.get(1));
    assertTrue(err.get(0).contains("model type WordLevel is not supported"), err.get(0));
    assertFalse(Files.exists(dir.resolve("o")));
  }
}
