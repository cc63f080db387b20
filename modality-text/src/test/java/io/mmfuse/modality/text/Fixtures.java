package io.mmfuse.modality.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** The text fixtures in test resources and the reference tokenizer (Hugging Face's Rust library through DJL). */
final class Fixtures {
  private Fixtures() {}

  static final String BERT = "bert-base-uncased-tokenizer.json";
  static final String GPT2 = "gpt2-tokenizer.json";
  static final String BERT_VOCAB = "bert-base-uncased-vocab.txt";

  static Stream<String> tokenizerNames() {
    return Stream.of(BERT, GPT2);
  }

  static Path file(String name) {
    try {
      return Path.of(Fixtures.class.getResource("/fixtures/text/" + name).toURI());
    } catch (URISyntaxException | NullPointerException e) {
      throw new IllegalStateException("missing test fixture " + name, e);
    }
  }

  /** The lines of a fixture, split on \n only, as the CLI splits them. */
  static List<String> lines(String name) {
    try {
      String all = Files.readString(file(name), StandardCharsets.UTF_8);
      return Arrays.asList(all.split("\n", -1));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static HuggingFaceTokenizer reference(Path tokenizerJson, Map<String, String> options) {
    try {
      return HuggingFaceTokenizer.newInstance(tokenizerJson, options);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static HuggingFaceTokenizer reference(Path tokenizerJson) {
    return reference(tokenizerJson, Map.of("addSpecialTokens", "false", "truncation", "false"));
  }

  static int[] referenceIds(HuggingFaceTokenizer ref, String text, boolean special) {
    long[] ids = ref.encode(text, special, false).getIds();
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = (int) ids[i];
    }
    return out;
  }

  /**
   * {@link #referenceIds(HuggingFaceTokenizer, String, boolean)} for many texts in one batch call. DJL pads a batch to
   * its longest text; the attention mask says which ids are the text's own.
   */
  static int[][] referenceIds(HuggingFaceTokenizer ref, List<String> texts, boolean special) {
    ai.djl.huggingface.tokenizers.Encoding[] encodings = ref.batchEncode(texts, special, false);
    int[][] out = new int[encodings.length][];
    for (int t = 0; t < encodings.length; t++) {
      long[] ids = encodings[t].getIds();
      long[] mask = encodings[t].getAttentionMask();
      out[t] = java.util.stream.IntStream.range(0, ids.length).filter(i -> mask[i] == 1).map(i -> (int) ids[i])
          .toArray();
    }
    return out;
  }

  /** A cased variant of the BERT tokenizer.json: no lower-casing, no accent stripping. */
  static Path casedBert(Path dir) throws IOException {
    String json = Files.readString(file(BERT));
    String cased =
        json.replace("\"strip_accents\": null, \"lowercase\": true", "\"strip_accents\": false, \"lowercase\": false");
    if (cased.equals(json)) {
      throw new IllegalStateException("the BERT fixture's normalizer is not where the test expects it");
    }
    Path out = dir.resolve("bert-cased-tokenizer.json");
    Files.writeString(out, cased);
    return out;
  }

  static String escape(String s) {
    StringBuilder b = new StringBuilder();
    s.codePoints().limit(120).forEach(c -> {
      if (c < 32 || c > 126) {
        b.append(String.format("\\u%04x", c));
      } else {
        b.appendCodePoint(c);
      }
    });
    return b.toString();
  }
}
