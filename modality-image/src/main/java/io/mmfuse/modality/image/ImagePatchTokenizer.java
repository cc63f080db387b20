package io.mmfuse.modality.image;

import io.mmfuse.api.ModalityTokenizer;
import io.mmfuse.api.TokenSequence;
import io.mmfuse.api.TokenSpace;
import io.mmfuse.api.TokenizerContext;
import io.mmfuse.api.UnsupportedFeatureException;

/** The image tokenizer. Registered, but not implemented yet: every use says so. */
public final class ImagePatchTokenizer implements ModalityTokenizer<java.awt.image.BufferedImage> {
  ImagePatchTokenizer(TokenizerContext context) {
    throw notYet();
  }

  private static UnsupportedFeatureException notYet() {
    return new UnsupportedFeatureException(
        "the image modality is registered but its tokenizer is not implemented yet");
  }

  @Override
  public String modality() {
    return ImageTokenizerFactory.MODALITY;
  }

  @Override
  public Class<java.awt.image.BufferedImage> inputType() {
    return java.awt.image.BufferedImage.class;
  }

  @Override
  public TokenSpace tokenSpace() {
    throw notYet();
  }

  @Override
  public TokenSequence tokenize(java.awt.image.BufferedImage input) {
    throw notYet();
  }
}
