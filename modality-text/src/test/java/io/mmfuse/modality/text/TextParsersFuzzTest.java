package io.mmfuse.modality.text;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.mmfuse.api.MmfuseException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of Hugging Face {@code tokenizer.json} and BERT {@code vocab.txt}: a file parses (and then
 * encodes any text), or is refused with an mmfuse error that names it.
 */
class TextParsersFuzzTest {
  /** Texts every tokenizer that parses encodes: ASCII, accents, CJK, emoji, control and combining characters. */
  private static final String[] TEXTS = {"Hello, worlds! It's 3.14", "h\u00e9llo na\u00efve caf\u00e9",
      "\u65e5\u672c\u8a9e\u306e\u6587", "\ud83d\ude42 \ud83d\udc31\u200d\ud83d\udc64", "a\u0000b\tc\u0301\r\n", ""};

  /** The whole input is the file, so that mutations of the seed files stay JSON long enough to reach the reader. */
  @FuzzTest(maxDuration = "10m")
  void tokenizerJson(byte[] data) {
    try {
      HfTokenizer t = HfTokenizer.fromJson(new String(data, java.nio.charset.StandardCharsets.UTF_8), "fuzz.json");
      for (String text : TEXTS) {
        t.encode(text, true);
      }
    } catch (MmfuseException e) {
      assertTrue(e.getMessage().contains("fuzz.json") && !e.getMessage().endsWith(": null"), e.getMessage());
    }
  }

  @FuzzTest(maxDuration = "10m")
  void vocabTxt(byte[] data) throws Exception {
    Path f = Files.createTempFile("fuzz-vocab", ".txt");
    try {
      Files.write(f, data);
      HfTokenizer.fromBertVocab(f, true).encode("Hello, worlds!", true);
    } catch (MmfuseException e) {
      assertTrue(e.getMessage().contains(f.toString()) && !e.getMessage().endsWith(": null"), e.getMessage());
    } finally {
      Files.deleteIfExists(f);
    }
  }
}
