package io.mmfuse.modality.image;

import io.mmfuse.api.ModalityTokenizer;
import io.mmfuse.api.TokenizerContext;
import io.mmfuse.api.TokenizerFactory;

/** Builds image tokenizers from an input's spec. */
public final class ImageTokenizerFactory implements TokenizerFactory {
  /** The modality name this plugin claims. */
  public static final String MODALITY = "image";

  @Override
  public String modality() {
    return MODALITY;
  }

  @Override
  public Class<?> tokenizerType() {
    return ImagePatchTokenizer.class;
  }

  @Override
  public ModalityTokenizer<?> create(TokenizerContext context) {
    return new ImagePatchTokenizer(ImageConfig.fromSettings(context.spec().getImage()));
  }
}
