package io.mmfuse.modality.table;

import io.mmfuse.api.ModalityTokenizer;
import io.mmfuse.api.TokenSequence;
import io.mmfuse.api.TokenSpace;
import io.mmfuse.api.TokenizerContext;
import io.mmfuse.api.UnsupportedFeatureException;

/** The table tokenizer. Registered, but not implemented yet: every use says so. */
public final class TableTokenizer implements ModalityTokenizer<java.util.Map> {
  TableTokenizer(TokenizerContext context) {
    throw notYet();
  }

  private static UnsupportedFeatureException notYet() {
    return new UnsupportedFeatureException(
        "the table modality is registered but its tokenizer is not implemented yet");
  }

  @Override
  public String modality() {
    return TableTokenizerFactory.MODALITY;
  }

  @Override
  public Class<java.util.Map> inputType() {
    return java.util.Map.class;
  }

  @Override
  public TokenSpace tokenSpace() {
    throw notYet();
  }

  @Override
  public TokenSequence tokenize(java.util.Map input) {
    throw notYet();
  }
}
