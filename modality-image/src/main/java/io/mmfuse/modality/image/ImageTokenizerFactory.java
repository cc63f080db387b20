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

  /** File name endings of the images a data column may name. */
  static final java.util.Set<String> SUFFIXES = java.util.Set.of(".png", ".jpg", ".jpeg", ".gif", ".bmp");

  /** 0.9 for a column whose cells are image file names (at least 80% of them); else 0. */
  @Override
  public double claim(io.mmfuse.api.ColumnSample column) {
    double share = column.share(v -> {
      String lower = v.toLowerCase(java.util.Locale.ROOT);
      int dot = lower.lastIndexOf('.');
      return dot > 0 && SUFFIXES.contains(lower.substring(dot));
    });
    return !column.values().isEmpty() && share >= 0.8 ? 0.9 : 0;
  }

  /** A file name, relative to the data file's directory. */
  @Override
  public Object cellValue(String cell, java.nio.file.Path baseDirectory) {
    return baseDirectory.resolve(cell.trim());
  }

  @Override
  public ModalityTokenizer<?> create(TokenizerContext context) {
    return new ImagePatchTokenizer(ImageConfig.fromSettings(io.mmfuse.api.Settings.of(context.spec(),
        io.mmfuse.modality.image.proto.ImageSettings.class)));
  }
}
