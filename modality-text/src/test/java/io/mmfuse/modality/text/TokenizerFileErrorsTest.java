package io.mmfuse.modality.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.api.UnsupportedFeatureException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerFileErrorsTest {
  private static String bertJson() throws Exception {
    return Files.readString(Fixtures.file(Fixtures.BERT));
  }

  private static String messageOf(String json) {
    return assertThrows(InvalidConfigurationException.class, () -> HfTokenizer.fromJson(json, "t.json"))
        .getMessage();
  }

  @Test
  void truncatedFileIsRefusedAsNotValidJson() throws Exception {
    String json = bertJson();
    String m = messageOf(json.substring(0, json.length() / 2));
    assertTrue(m.contains("tokenizer file t.json: not valid JSON"), m);
  }

  @Test
  void malformedFileIsRefusedWithItsPosition(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("broken.json");
    Files.writeString(file, "{\"model\": {\"type\": \"BPE\",, }");
    String m =
        assertThrows(InvalidConfigurationException.class, () -> HfTokenizer.fromFile(file)).getMessage();
    assertTrue(m.contains(file.toString()) && m.contains("not valid JSON") && m.contains("line 1"), m);
  }

  @Test
  void unknownModelTypeIsRefusedByName() throws Exception {
    UnsupportedFeatureException e =
        assertThrows(
            UnsupportedFeatureException.class,
            () -> HfTokenizer.fromJson(bertJson().replace("\"type\": \"WordPiece\", \"unk_token\"",
                "\"type\": \"Unigram\", \"unk_token\""), "t.json"));
    assertTrue(e.getMessage().contains("model type Unigram is not supported"), e.getMessage());
  }

  @Test
  void unsupportedNormalizerIsRefusedByNameNeverApproximated() throws Exception {
    String json =
        bertJson().replaceFirst("\"normalizer\": \\{[^}]*\\}",
            "\"normalizer\": {\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"NFKC\"},"
                + " {\"type\": \"Precompiled\", \"precompiled_charsmap\": \"AAAA\"}]}");
    UnsupportedFeatureException e =
        assertThrows(UnsupportedFeatureException.class, () -> HfTokenizer.fromJson(json, "t.json"));
    assertTrue(e.getMessage().contains("normalizer.normalizers[1]: normalizer type Precompiled is not supported"),
        e.getMessage());
  }

  @Test
  void unsupportedPreTokenizerIsRefusedByName() throws Exception {
    String json = bertJson().replace("{\"type\": \"BertPreTokenizer\"}", "{\"type\": \"Metaspace\"}");
    UnsupportedFeatureException e =
        assertThrows(UnsupportedFeatureException.class, () -> HfTokenizer.fromJson(json, "t.json"));
    assertTrue(e.getMessage().contains("pre-tokenizer type Metaspace is not supported"), e.getMessage());
  }

  @Test
  void unknownTokenMissingFromTheVocabularyIsRefused() throws Exception {
    String m = messageOf(bertJson().replace("\"unk_token\": \"[UNK]\"", "\"unk_token\": \"<unk>\""));
    assertTrue(m.contains("model.unk_token: the unknown token <unk> is not in the vocabulary"), m);
  }

  @Test
  void templateNamingAnUndefinedSpecialTokenIsRefused() throws Exception {
    String m = messageOf(bertJson().replace("\"special_tokens\": {\"[CLS]\"", "\"special_tokens\": {\"[XLS]\""));
    assertTrue(m.contains("special token [CLS] is not defined in special_tokens"), m);
  }

  @Test
  void mergeOfUnknownTokensIsRefusedNamingIt() throws Exception {
    String json = Files.readString(Fixtures.file(Fixtures.GPT2)).replace("\"merges\": [\"\u0120 t\"",
        "\"merges\": [\"zzzq qqq\"");
    String m = messageOf(json);
    assertTrue(m.contains("merge 0 (zzzq qqq) uses a token that is not in the vocabulary"), m);
  }

  @Test
  void vocabTxtWithoutClsIsRefused(@TempDir Path dir) throws Exception {
    Path vocab = dir.resolve("vocab.txt");
    Files.writeString(vocab, "[PAD]\n[UNK]\n[SEP]\nhello\n");
    String m =
        assertThrows(InvalidConfigurationException.class, () -> HfTokenizer.fromBertVocab(vocab, true)).getMessage();
    assertTrue(m.contains(vocab.toString()) && m.contains("special token [CLS] is missing"), m);
  }

  @Test
  void bpeDropoutIsRefused() throws Exception {
    String json = Files.readString(Fixtures.file(Fixtures.GPT2)).replace("\"dropout\": null", "\"dropout\": 0.1");
    assertThrows(UnsupportedFeatureException.class, () -> HfTokenizer.fromJson(json, "t.json"));
  }

  @Test
  void truncationTooShortForTheSpecialTokensIsRefused() {
    HfTokenizer t = HfTokenizer.fromFile(Fixtures.file(Fixtures.BERT)).withTruncation(Truncation.longestFirst(2));
    assertThrows(InvalidConfigurationException.class, () -> t.encodePair("a", "b", true));
    assertEquals(2, t.encode("a b c", true).length());
  }

  @Test
  void fieldsOfTheWrongKindAreOneLineNotAStackTrace() throws Exception {
    // Found by probing: each threw IllegalStateException, ClassCastException or IndexOutOfBoundsException.
    com.google.gson.JsonObject bert = com.google.gson.JsonParser.parseString(bertJson()).getAsJsonObject();
    com.google.gson.JsonObject truncation = bert.deepCopy();
    truncation.addProperty("truncation", "yes");
    com.google.gson.JsonObject sep = bert.deepCopy();
    sep.add("post_processor", com.google.gson.JsonParser.parseString(
        "{\"type\": \"BertProcessing\", \"sep\": [\"[SEP]\"], \"cls\": [\"[CLS]\", 101]}"));
    String bpe = "{\"model\": {\"type\": \"BPE\", \"dropout\": {}, \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2},"
        + " \"merges\": [\"a b\"]}}";
    String merge = "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2},"
        + " \"merges\": [{\"a\": \"b\"}]}}";
    for (String broken : new String[] {truncation.toString(), sep.toString(), bpe, merge}) {
      String m = messageOf(broken);
      assertTrue(m.startsWith("[MMF-CONFIG] tokenizer file t.json: "), m);
    }
  }

  static <T> T withProperty(String name, String value, java.util.function.Supplier<T> body) {
    System.setProperty(name, value);
    try {
      return body.get();
    } finally {
      System.clearProperty(name);
    }
  }

  @Test
  void aTokenizerFileOverTheSizeLimitIsRefusedUnread() throws Exception {
    Path file = Fixtures.file(Fixtures.BERT);
    long size = Files.size(file);
    String m = withProperty("mmfuse.maxConfigBytes", "10000", () -> assertThrows(InvalidConfigurationException.class,
        () -> HfTokenizer.fromFile(file)).getMessage());
    assertTrue(m.contains("tokenizer file " + file + " has " + String.format(java.util.Locale.ROOT, "%,d", size)
        + " bytes; the limit is 10,000 (-Dmmfuse.maxConfigBytes)"), m);
  }

  @Test
  void aVocabularyOverTheLimitIsRefusedInBothFormats(@TempDir Path dir) throws Exception {
    String m = withProperty("mmfuse.maxVocabulary", "1000", () -> {
      try {
        return messageOf(bertJson());
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    assertTrue(m.contains("model.vocab: the vocabulary has 30,522 tokens; the limit is 1,000"
        + " (-Dmmfuse.maxVocabulary)"), m);
    Path vocab = dir.resolve("vocab.txt");
    StringBuilder sb = new StringBuilder("[PAD]\n[UNK]\n[CLS]\n[SEP]\n");
    for (int i = 0; i < 2000; i++) {
      sb.append("w").append(i).append('\n');
    }
    Files.writeString(vocab, sb.toString());
    String v = withProperty("mmfuse.maxVocabulary", "1000", () -> assertThrows(InvalidConfigurationException.class,
        () -> HfTokenizer.fromBertVocab(vocab, true)).getMessage());
    assertTrue(v.contains("the vocabulary has 2,004 tokens; the limit is 1,000 (-Dmmfuse.maxVocabulary)"), v);
  }

  @Test
  void aTokenizerFileNestedPastTheDepthLimitIsRefused() throws Exception {
    String json = bertJson().replaceFirst("\"normalizer\":", "\"deep\": " + "[".repeat(100_000)
        + "]".repeat(100_000) + ", \"normalizer\":");
    String m = messageOf(json);
    assertTrue(m.contains("tokenizer file t.json: not valid JSON (truncated or malformed): arrays and objects nest"
        + " deeper than 64 levels at $.deep"), m);
  }

  @Test
  void aPartsOwnCheckNamesTheFile() throws Exception {
    String json = bertJson().replaceFirst("\"truncation\":\\s*null", "\"truncation\": {\"direction\": \"Right\","
        + " \"max_length\": 0, \"strategy\": \"LongestFirst\", \"stride\": 0}");
    assertTrue(json.contains("\"max_length\": 0"), "the fixture has \"truncation\": null to replace");
    String m = messageOf(json);
    assertTrue(m.contains("tokenizer file t.json: truncation: max length must be > 0, found 0"), m);
  }
}
