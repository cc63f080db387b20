package io.mmfuse.modality.text;

import io.mmfuse.api.ModalityTokenizer;
import io.mmfuse.api.TokenSequence;
import io.mmfuse.api.TokenSpace;
import io.mmfuse.api.TokenizerContext;
import io.mmfuse.api.UnsupportedFeatureException;

/** The text tokenizer. Registered, but not implemented yet: every use says so. */
public final class TextTokenizer implements ModalityTokenizer<String> {
  TextTokenizer(TokenizerContext context) {
    throw notYet();
  }

  private static UnsupportedFeatureException notYet() {
    return new UnsupportedFeatureException(
        "the text modality is registered but its tokenizer is not implemented yet");
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
    throw notYet();
  }

  @Override
  public TokenSequence tokenize(String input) {
    throw notYet();
  }
}
