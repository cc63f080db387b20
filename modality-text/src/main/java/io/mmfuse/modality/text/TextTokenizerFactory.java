package io.mmfuse.modality.text;

import io.mmfuse.api.ModalityTokenizer;
import io.mmfuse.api.TokenizerContext;
import io.mmfuse.api.TokenizerFactory;

/** Builds text tokenizers from an input's spec. */
public final class TextTokenizerFactory implements TokenizerFactory {
  /** The modality name this plugin claims. */
  public static final String MODALITY = "text";

  @Override
  public String modality() {
    return MODALITY;
  }

  @Override
  public Class<?> tokenizerType() {
    return TextTokenizer.class;
  }

  @Override
  public ModalityTokenizer<?> create(TokenizerContext context) {
    return TextTokenizer.fromContext(context);
  }
}
