package io.mmfuse.benchmarks;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The peer of {@code mmfuse tokenize text}: a small Java program doing the same job through DJL's Hugging Face
 * tokenizers, line by line. Usage: {@code DjlTokenizeFile TOKENIZER INPUT OUTPUT [--special]}.
 */
public final class DjlTokenizeFile {
  public static void main(String[] args) throws Exception {
    boolean special = Arrays.asList(args).contains("--special");
    List<String> lines = Arrays.asList(Files.readString(Path.of(args[1]), StandardCharsets.UTF_8).split("\n", -1));
    if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
      lines = lines.subList(0, lines.size() - 1);
    }
    try (HuggingFaceTokenizer tok =
            HuggingFaceTokenizer.newInstance(
                Path.of(args[0]), Map.of("addSpecialTokens", Boolean.toString(special), "truncation", "false"));
        BufferedWriter out = Files.newBufferedWriter(Path.of(args[2]), StandardCharsets.UTF_8)) {
      for (String line : lines) {
        write(out, tok.encode(line, special, false).getIds());
      }
    }
  }

  private static void write(BufferedWriter out, long[] ids) throws java.io.IOException {
    out.write('[');
    for (int i = 0; i < ids.length; i++) {
      if (i > 0) {
        out.write(',');
      }
      out.write(Long.toString(ids[i]));
    }
    out.write("]\n");
  }
}
