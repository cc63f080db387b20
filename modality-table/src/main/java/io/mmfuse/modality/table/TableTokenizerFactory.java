package io.mmfuse.modality.table;

import io.mmfuse.api.ModalityTokenizer;
import io.mmfuse.api.TokenizerContext;
import io.mmfuse.api.TokenizerFactory;

/** Builds table tokenizers from an input's spec. */
public final class TableTokenizerFactory implements TokenizerFactory {
  /** The modality name this plugin claims. */
  public static final String MODALITY = "table";

  @Override
  public String modality() {
    return MODALITY;
  }

  @Override
  public Class<?> tokenizerType() {
    return TableTokenizer.class;
  }

  @Override
  public ModalityTokenizer<?> create(TokenizerContext context) {
    return new TableTokenizer(context);
  }
}
