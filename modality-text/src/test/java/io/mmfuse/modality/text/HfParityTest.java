package io.mmfuse.modality.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Ids identical to Hugging Face tokenizers, checked against the library itself on real and hard text. */
class HfParityTest {

  static Stream<Arguments> tokenizersAndCorpora() {
    List<Arguments> args = new ArrayList<>();
    for (String tok : List.of(Fixtures.BERT, Fixtures.GPT2)) {
      for (String corpus : List.of("fortunes-en-de.txt", "fortunes-zh-sample.txt")) {
        args.add(Arguments.of(tok, corpus));
      }
    }
    return args.stream();
  }

  /** Compares every text, with and without special tokens, and reports the first few differences. */
  static void assertSameIds(HuggingFaceTokenizer ref, HfTokenizer mine, List<String> texts, String what) {
    int checked = 0;
    List<String> diffs = new ArrayList<>();
    for (String text : texts) {
      for (boolean special : new boolean[] {true, false}) {
        int[] expected = Fixtures.referenceIds(ref, text, special);
        int[] actual = mine.encode(text, special).ids();
        checked++;
        if (!java.util.Arrays.equals(expected, actual) && diffs.size() < 5) {
          diffs.add(
              "special=" + special + " \"" + Fixtures.escape(text) + "\"\n    expected "
                  + java.util.Arrays.toString(expected) + "\n    found    " + java.util.Arrays.toString(actual));
        }
      }
    }
    if (!diffs.isEmpty()) {
      fail(what + ": ids differ from Hugging Face on " + checked + " encodings, first ones:\n  "
          + String.join("\n  ", diffs));
    }
  }

  @ParameterizedTest(name = "{0} on {1}")
  @MethodSource("tokenizersAndCorpora")
  void everyLineOfTheFortunesGivesTheSameIdsAsHuggingFace(String tokenizer, String corpus) {
    Path file = Fixtures.file(tokenizer);
    try (HuggingFaceTokenizer ref = Fixtures.reference(file)) {
      List<String> lines = Fixtures.lines(corpus);
      assertSameIds(ref, HfTokenizer.fromFile(file), lines, tokenizer + " on " + corpus);
    }
  }

  @Test
  void casedBertGivesTheSameIdsAsHuggingFace(@TempDir Path dir) throws Exception {
    Path cased = Fixtures.casedBert(dir);
    try (HuggingFaceTokenizer ref = Fixtures.reference(cased)) {
      assertSameIds(ref, HfTokenizer.fromFile(cased), Fixtures.lines("fortunes-en-de.txt"), "cased BERT");
    }
  }

  @Test
  void bertVocabTxtWithLowerCasingMatchesTheTokenizerJson() {
    HfTokenizer fromVocab = HfTokenizer.fromBertVocab(Fixtures.file(Fixtures.BERT_VOCAB), true);
    try (HuggingFaceTokenizer ref = Fixtures.reference(Fixtures.file(Fixtures.BERT))) {
      List<String> texts = new ArrayList<>(Fixtures.lines("fortunes-zh-sample.txt"));
      texts.addAll(Fixtures.lines("fortunes-en-de.txt").subList(0, 2000));
      assertSameIds(ref, fromVocab, texts, "vocab.txt, lower-cased");
    }
  }

  @Test
  void bertVocabTxtWithoutLowerCasingMatchesACasedTokenizer(@TempDir Path dir) throws Exception {
    HfTokenizer fromVocab = HfTokenizer.fromBertVocab(Fixtures.file(Fixtures.BERT_VOCAB), false);
    try (HuggingFaceTokenizer ref = Fixtures.reference(Fixtures.casedBert(dir))) {
      assertSameIds(ref, fromVocab, Fixtures.lines("fortunes-en-de.txt").subList(0, 2000), "vocab.txt, cased");
    }
  }

  static List<String> hardCases() {
    List<String> cases = new ArrayList<>(List.of(
        "", " ", "   \t  ", "\n", "\r\n", "\u0000\u0001\u007f", "\uFFFD",
        // Emoji, skin tones, ZWJ sequences and flags.
        "😀👍🏽 🏳️‍🌈 👩‍👩‍👧 🇩🇪🇨🇳", "I ❤️ NY!!",
        // Combining accents, precomposed and decomposed; Hangul; Turkish dotted I; final sigma.
        "héllo wörld", "he\u0301llo\u0301\u0301 wo\u0308rld", "Ελληνικά ΣΑΣ ὀδυσσεύς", "İstanbul ıi", "한국어 텍스트",
        // Supplementary-plane CJK (extension B and beyond), and the range BERT leaves out.
        "𠀀𠀁 𪚥 \uD86E\uDC20 \uD86D\uDF40", "中文，标点。「引号」",
        // Unpaired surrogates.
        "\uD800", "a\uD800b", "x\uDC00\uD800y", "\uDBFF", "end\uD83D",
        // Special and added tokens written in the text.
        "[CLS] hi [SEP]", "hi[MASK]there [PAD][UNK]", "<|endoftext|>foo <|endoftext|>",
        // Contractions, runs of spaces, numbers, punctuation.
        "don't it's WE'LL 'tis I've you're he'd ''s", "a   b\n\nc  ", "  leading", "trailing  ", "1234567 3.14 1e10",
        "!!!??? ... --- ((()))", "\u0085x\u00a0y\u2028z\u3000w", "\u001b[31mred\u001b[0m \u001b]0;title\u0007",
        "tab\tseparated\tvalues", "zero\u200bwidth\u200djoiner\ufeffbom",
        // A word longer than WordPiece's 100 characters.
        "a".repeat(100) + " " + "b".repeat(101) + " " + "é".repeat(101)));
    // Every code point of a few interesting blocks, in context.
    StringBuilder sb = new StringBuilder();
    for (int cp = 0x2000; cp < 0x2070; cp++) {
      sb.append('a').appendCodePoint(cp).append("b ");
    }
    cases.add(sb.toString());
    return cases;
  }

  @ParameterizedTest
  @MethodSource("io.mmfuse.modality.text.Fixtures#tokenizerNames")
  void hardCasesGiveTheSameIdsAsHuggingFace(String tokenizer) {
    Path file = Fixtures.file(tokenizer);
    try (HuggingFaceTokenizer ref = Fixtures.reference(file)) {
      assertSameIds(ref, HfTokenizer.fromFile(file), hardCases(), tokenizer + " hard cases");
    }
  }

  @ParameterizedTest
  @MethodSource("io.mmfuse.modality.text.Fixtures#tokenizerNames")
  void aTenMegabyteLineGivesTheSameIdsAsHuggingFace(String tokenizer) {
    StringBuilder sb = new StringBuilder(10_000_100);
    List<String> lines = Fixtures.lines("fortunes-en-de.txt");
    for (int i = 0; sb.length() < 10_000_000; i++) {
      sb.append(lines.get(i % lines.size())).append(' ');
    }
    // One word of a million letters too: byte-level BPE must not be quadratic in the word length.
    sb.append("x".repeat(1_000_000));
    String line = sb.toString();
    Path file = Fixtures.file(tokenizer);
    try (HuggingFaceTokenizer ref = Fixtures.reference(file)) {
      int[] expected = Fixtures.referenceIds(ref, line, true);
      int[] actual = HfTokenizer.fromFile(file).encode(line, true).ids();
      assertEquals(expected.length, actual.length);
      assertArrayEquals(expected, actual);
    }
  }

  static Stream<String> codePointTokenizers() {
    return Stream.of(Fixtures.BERT, Fixtures.GPT2, "cased");
  }

  @ParameterizedTest
  @MethodSource("codePointTokenizers")
  void everyCodePointInContextGivesTheSameIdsAsHuggingFace(String tokenizer, @TempDir Path dir)
      throws Exception {
    Path file = tokenizer.equals("cased") ? Fixtures.casedBert(dir) : Fixtures.file(tokenizer);
    HfTokenizer mine = HfTokenizer.fromFile(file);
    List<String> diffs = new ArrayList<>();
    // 64 code points per text; the reference encodes 1,024 texts per call (Hugging Face's batch encoding runs them
    // on all cores), which keeps this loop's time in the tokenizers rather than in the calls.
    List<Integer> bases = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    try (HuggingFaceTokenizer ref = Fixtures.reference(file)) {
      for (int base = 0; base < 0x110000; base += 64) {
        StringBuilder sb = new StringBuilder();
        for (int cp = base; cp < base + 64; cp++) {
          if (cp >= 0xD800 && cp <= 0xDFFF) {
            continue;
          }
          String c = new String(Character.toChars(cp));
          sb.append('a').append(c).append("b ").append(c).append(" x").append(c).append(c).append("9 ");
        }
        bases.add(base);
        texts.add(sb.toString());
        if (texts.size() == 1024 || base + 64 >= 0x110000) {
          int[][] expected = Fixtures.referenceIds(ref, texts, false);
          for (int i = 0; i < texts.size(); i++) {
            if (!java.util.Arrays.equals(expected[i], mine.encode(texts.get(i), false).ids()) && diffs.size() < 10) {
              diffs.add(Integer.toHexString(bases.get(i)) + ".." + Integer.toHexString(bases.get(i) + 63));
            }
          }
          bases.clear();
          texts.clear();
        }
      }
    }
    assertEquals(List.of(), diffs, "code point blocks whose ids differ from Hugging Face");
  }

  @ParameterizedTest
  @MethodSource("io.mmfuse.modality.text.Fixtures#tokenizerNames")
  void pairsAndLongestFirstTruncationMatchHuggingFace(String tokenizer) {
    Path file = Fixtures.file(tokenizer);
    List<String> lines = Fixtures.lines("fortunes-en-de.txt");
    for (int max : new int[] {5, 12, 33}) {
      try (HuggingFaceTokenizer ref =
          Fixtures.reference(
              file, Map.of("addSpecialTokens", "true", "truncation", "true", "maxLength", Integer.toString(max)))) {
        HfTokenizer mine = HfTokenizer.fromFile(file).withTruncation(Truncation.longestFirst(max));
        for (int i = 0; i + 1 < 400; i += 2) {
          String a = lines.get(i);
          String b = lines.get(i + 1);
          var expected = ref.encode(a, b);
          Encoding actual = mine.encodePair(a, b, true);
          assertArrayEquals(toInts(expected.getIds()), actual.ids(), "pair ids, max " + max + ", line " + i);
          assertArrayEquals(toInts(expected.getTypeIds()), actual.typeIds(), "type ids, max " + max);
          assertArrayEquals(toInts(ref.encode(a).getIds()), mine.encode(a, true).ids(), "single, max " + max);
        }
      }
    }
  }

  private static int[] toInts(long[] values) {
    int[] out = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (int) values[i];
    }
    return out;
  }
}
