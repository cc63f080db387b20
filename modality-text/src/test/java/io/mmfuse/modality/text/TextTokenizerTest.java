package io.mmfuse.modality.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.api.ModalityTokenizer;
import io.mmfuse.api.TokenSequence;
import io.mmfuse.api.TokenizerContext;
import io.mmfuse.api.TokenizerFactory;
import io.mmfuse.api.plugin.Plugins;
import io.mmfuse.api.proto.InputSpec;
import io.mmfuse.api.proto.InputValue;
import io.mmfuse.api.proto.PositionLayout;
import io.mmfuse.api.proto.TokenKind;
import io.mmfuse.modality.text.proto.TextSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextTokenizerTest {
  private static ModalityTokenizer<?> fromSpec(TextSettings settings) {
    InputSpec spec = io.mmfuse.api.Settings.with(
        InputSpec.newBuilder().setName("question").setModality("text").build(), settings);
    Path dir = Fixtures.file(Fixtures.BERT).getParent();
    return Plugins.load(TextTokenizerTest.class.getClassLoader()).tokenizer(new TokenizerContext(spec, dir));
  }

  @Test
  void thePluginBuildsATokenizerFromTheSpecThatMatchesHuggingFace() {
    ModalityTokenizer<?> t =
        fromSpec(TextSettings.newBuilder().setTokenizerFile(Fixtures.BERT).setAddSpecialTokens(true).build());
    String q = "Is there a red circle left of the square?";
    TokenSequence s = t.tokenizeObject(q);
    try (HuggingFaceTokenizer ref = Fixtures.reference(Fixtures.file(Fixtures.BERT))) {
      assertArrayEquals(Fixtures.referenceIds(ref, q, true), s.ids());
    }
    assertEquals(TokenKind.DISCRETE, s.kind());
    assertEquals(PositionLayout.SEQUENCE, s.layout());
    assertArrayEquals(TokenSequence.range(s.length()), s.positions());
    assertArrayEquals(new int[s.length()], s.segmentIds());
    assertEquals(30522, t.tokenSpace().vocabularySize());
    assertEquals(TextTokenizer.DEFAULT_MAX_LENGTH, t.tokenSpace().maxLength());
    assertEquals(2, t.tokenSpace().segmentCount());
    assertEquals(s, t.tokenizeObject(InputValue.newBuilder().setText(q).build()));
  }

  @Test
  void pairsCarrySegmentIdsAndAreTruncatedToTheSpecLength() {
    TextTokenizer t =
        (TextTokenizer)
            fromSpec(
                TextSettings.newBuilder().setTokenizerFile(Fixtures.BERT).setAddSpecialTokens(true).setMaxLength(10)
                    .build());
    String a = "one two three four five six seven";
    String b = "red green";
    TokenSequence s = t.tokenizePair(a, b);
    try (HuggingFaceTokenizer ref =
        Fixtures.reference(Fixtures.file(Fixtures.BERT),
            Map.of("addSpecialTokens", "true", "truncation", "true", "maxLength", "10"))) {
      var e = ref.encode(a, b);
      assertEquals(10, s.length());
      for (int i = 0; i < 10; i++) {
        assertEquals(e.getIds()[i], s.ids()[i]);
        assertEquals(e.getTypeIds()[i], s.segmentIds()[i]);
      }
    }
  }

  @Test
  void aBareVocabTxtIsReadWithTheSpecsLowerCasing() {
    ModalityTokenizer<?> t =
        fromSpec(TextSettings.newBuilder().setTokenizerFile(Fixtures.BERT_VOCAB).setLowercase(true).build());
    try (HuggingFaceTokenizer ref = Fixtures.reference(Fixtures.file(Fixtures.BERT))) {
      String text = "Héllo WORLD, 你好!";
      assertArrayEquals(Fixtures.referenceIds(ref, text, false), t.tokenizeObject(text).ids());
    }
  }

  @Test
  void aSpecWithoutTokenizerFileGetsTheShippedBertUncasedVocabulary(@TempDir Path bundle) throws Exception {
    ModalityTokenizer<?> t = fromSpec(TextSettings.getDefaultInstance());
    String text = "Is there a RED circle left of the Square?";
    try (HuggingFaceTokenizer ref = Fixtures.reference(Fixtures.file(Fixtures.BERT))) {
      assertArrayEquals(Fixtures.referenceIds(ref, text, true), t.tokenizeObject(text).ids());
    }
    // Fitting copies the vocabulary into the bundle and names the copy, so the bundle stands alone.
    InputSpec spec = InputSpec.newBuilder().setName("question").setModality("text").build();
    TokenizerFactory.Fitted fitted = new TextTokenizerFactory().fit(
        new TokenizerContext(spec, bundle), java.util.List.of(), bundle);
    TextSettings saved = io.mmfuse.api.Settings.of(fitted.spec(), TextSettings.class);
    String file = saved.getTokenizerFile();
    assertEquals("question-bert-base-uncased-vocab.txt", file);
    assertArrayEquals(Files.readAllBytes(Fixtures.file(Fixtures.BERT_VOCAB)), Files.readAllBytes(bundle.resolve(file)));
    assertTrue(saved.getLowercase() && saved.getAddSpecialTokens());
  }

  @Test
  void aTokenizerFileThatDoesNotExistIsAClearError() {
    InvalidConfigurationException e = assertThrows(
        InvalidConfigurationException.class,
        () -> fromSpec(TextSettings.newBuilder().setTokenizerFile("absent.json").build()));
    assertTrue(e.getMessage().contains("absent.json does not exist"), e.getMessage());
  }
}
