package io.mmfuse.modality.text;

import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.ModalityTokenizer;
import io.mmfuse.api.Settings;
import io.mmfuse.api.TokenSequence;
import io.mmfuse.api.TokenSpace;
import io.mmfuse.api.TokenizerContext;
import io.mmfuse.api.proto.InputValue;
import io.mmfuse.modality.text.proto.TextSettings;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The text modality: a Hugging Face tokenizer plus the input's settings (special tokens, maximum length). Produces
 * discrete ids with 1-D positions and segment ids (0 for sentence A, 1 for B).
 */
public final class TextTokenizer implements ModalityTokenizer<String> {
  /** Position-table size when the spec sets no maximum length (BERT's). */
  public static final int DEFAULT_MAX_LENGTH = 512;

  private final HfTokenizer tokenizer;
  private final boolean addSpecialTokens;
  private final TokenSpace space;

  /** Wraps a tokenizer; sequences longer than {@code maxLength} are truncated (longest first for pairs). */
  public TextTokenizer(HfTokenizer tokenizer, boolean addSpecialTokens, int maxLength) {
    this.tokenizer = tokenizer.withTruncation(Truncation.longestFirst(maxLength));
    this.addSpecialTokens = addSpecialTokens;
    this.space = TokenSpace.discrete(TextTokenizerFactory.MODALITY, tokenizer.vocabularySize(), maxLength, 2);
  }

  /** Builds the tokenizer an input's spec describes. */
  static TextTokenizer fromContext(TokenizerContext context) {
    TextSettings settings = Settings.of(context.spec(), TextSettings.class);
    String name = context.spec().getName();
    if (settings.getTokenizerFile().isEmpty()) {
      throw new InvalidConfigurationException(
          "input '" + name + "': text settings need tokenizer_file (a tokenizer.json or vocab.txt)");
    }
    Path file = context.resolve(settings.getTokenizerFile());
    if (!Files.isRegularFile(file)) {
      throw new InvalidConfigurationException("input '" + name + "': tokenizer file " + file + " does not exist");
    }
    HfTokenizer hf =
        file.getFileName().toString().endsWith(".txt")
            ? HfTokenizer.fromBertVocab(file, settings.getLowercase())
            : HfTokenizer.fromFile(file);
    int max = settings.getMaxLength() > 0 ? settings.getMaxLength() : DEFAULT_MAX_LENGTH;
    return new TextTokenizer(hf, settings.getAddSpecialTokens(), max);
  }

  /** Returns the underlying Hugging Face tokenizer, with this input's truncation. */
  public HfTokenizer hfTokenizer() {
    return tokenizer;
  }

  @Override
  public String modality() {
    return TextTokenizerFactory.MODALITY;
  }

  @Override
  public Class<String> inputType() {
    return String.class;
  }

  @Override
  public TokenSpace tokenSpace() {
    return space;
  }

  @Override
  public TokenSequence tokenize(String text) {
    if (text == null) {
      throw new InvalidInputException("text input: expected a string, found null");
    }
    Encoding e = tokenizer.encode(text, addSpecialTokens);
    return TokenSequence.ofIds(modality(), e.ids(), e.typeIds());
  }

  /** Tokenizes a pair of texts (sentence A and B), as for question answering or entailment. */
  public TokenSequence tokenizePair(String a, String b) {
    Encoding e = tokenizer.encodePair(a, b, addSpecialTokens);
    return TokenSequence.ofIds(modality(), e.ids(), e.typeIds());
  }

  @Override
  public TokenSequence tokenize(InputValue value) {
    return value.hasText() ? tokenize(value.getText()) : ModalityTokenizer.super.tokenize(value);
  }
}
