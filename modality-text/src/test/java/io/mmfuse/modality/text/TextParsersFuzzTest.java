package io.mmfuse.modality.text;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.mmfuse.api.MmfuseException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of Hugging Face {@code tokenizer.json} and BERT {@code vocab.txt}: a file parses (and then
 * encodes any text), or is refused with an mmfuse error that names it.
 */
class TextParsersFuzzTest {
  @FuzzTest(maxDuration = "10m")
  void tokenizerJson(FuzzedDataProvider in) {
    String text = in.consumeString(200);
    try {
      HfTokenizer t = HfTokenizer.fromJson(in.consumeRemainingAsString(), "fuzz.json");
      t.encode(text, true);
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
