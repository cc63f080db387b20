package io.mmfuse.modality.image;

import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.ModalityTokenizer;
import io.mmfuse.api.TokenSequence;
import io.mmfuse.api.TokenSpace;
import io.mmfuse.api.proto.InputValue;
import java.awt.image.BufferedImage;
import java.nio.file.Path;

/**
 * The image modality: decodes encoded image bytes, preprocesses them as the configured Hugging Face image processor
 * does, and cuts the result into ViT patch tokens with their (row, column) on the patch grid. Thread-safe.
 */
public final class ImagePatchTokenizer implements ModalityTokenizer<byte[]> {
  private final ImageDecoder decoder;
  private final ImageProcessor processor;
  private final TokenSpace space;
  private final Augmenter augmenter;

  public ImagePatchTokenizer(ImageConfig config) {
    this(config, null);
  }

  /** A tokenizer whose training examples are augmented by {@code augmenter} (null: never). */
  public ImagePatchTokenizer(ImageConfig config, Augmenter augmenter) {
    this(config, augmenter, false);
  }

  /** As {@link #ImagePatchTokenizer(ImageConfig, Augmenter)}, decoding truncated files where {@code loadTruncated}. */
  public ImagePatchTokenizer(ImageConfig config, Augmenter augmenter, boolean loadTruncated) {
    this.augmenter = augmenter;
    this.decoder = new ImageDecoder(config.maxPixels(), loadTruncated);
    this.processor = new ImageProcessor(config);
    int p = config.patchSize();
    int rows;
    int cols;
    if (config.cropHeight() > 0 && config.cropWidth() > 0) {
      rows = config.cropHeight() / p;
      cols = config.cropWidth() / p;
    } else if (config.resize() == ImageConfig.Resize.FIXED) {
      rows = config.height() / p;
      cols = config.width() / p;
    } else {
      int side = Math.max(config.shortestEdge(), config.longestEdge());
      rows = side / p;
      cols = side / p;
    }
    this.space = TokenSpace.grid(ImageTokenizerFactory.MODALITY, 3 * p * p, Math.max(rows, 1), Math.max(cols, 1));
  }

  public ImageProcessor processor() {
    return processor;
  }

  public ImageDecoder decoder() {
    return decoder;
  }

  @Override
  public String modality() {
    return ImageTokenizerFactory.MODALITY;
  }

  @Override
  public Class<byte[]> inputType() {
    return byte[].class;
  }

  @Override
  public TokenSpace tokenSpace() {
    return space;
  }

  @Override
  public TokenSequence tokenize(byte[] encoded) {
    return tokenize(decoder.decode(encoded, "(" + encoded.length + " bytes)"));
  }

  /** Tokenizes an image file. */
  public TokenSequence tokenize(Path file) {
    return tokenize(decoder.decode(file));
  }

  /** Tokenizes a decoded RGB image. */
  public TokenSequence tokenize(RgbImage image) {
    Patches p = processor.patches(image);
    return TokenSequence.ofGridFeatures(modality(), p.width(), p.features(), p.positions());
  }

  /** Returns the patches of a preprocessed image. */
  public Patches patches(ProcessedImage image) {
    return Patches.of(image, processor.config().patchSize());
  }

  @Override
  public boolean augments() {
    return augmenter != null;
  }

  /** Decodes the image, changes it at random with the settings' augmentation (if any), then tokenizes it. */
  @Override
  public TokenSequence tokenizeForTraining(Object input, java.util.Random random) {
    if (augmenter == null) {
      return tokenizeObject(input);
    }
    RgbImage image = decode(input);
    if (image == null) {
      return tokenizeObject(input);
    }
    return tokenize(augmenter.apply(image, random));
  }

  /**
   * The decoded image of an input of any kind this tokenizer takes (a Path, encoded bytes, an example value holding
   * an image, an RgbImage, a BufferedImage), or null for another kind.
   */
  RgbImage decode(Object input) {
    if (input instanceof Path p) {
      return decoder.decode(p);
    }
    if (input instanceof RgbImage r) {
      return r;
    }
    if (input instanceof BufferedImage b) {
      return ImageDecoder.toRgb(b, "image");
    }
    if (input instanceof byte[] bytes) {
      return decoder.decode(bytes, "(" + bytes.length + " bytes)");
    }
    if (input instanceof InputValue v && v.hasImage()) {
      return decoder.decode(v.getImage().toByteArray(), "(" + v.getImage().size() + " bytes)");
    }
    return null;
  }

  @Override
  public TokenSequence tokenize(InputValue value) {
    return value.hasImage() ? tokenize(value.getImage().toByteArray()) : ModalityTokenizer.super.tokenize(value);
  }

  @Override
  public TokenSequence tokenizeObject(Object input) {
    if (input instanceof Path p) {
      return tokenize(p);
    }
    if (input instanceof RgbImage r) {
      return tokenize(r);
    }
    if (input instanceof BufferedImage b) {
      return tokenize(ImageDecoder.toRgb(b, "image"));
    }
    if (input != null && !(input instanceof byte[]) && !(input instanceof InputValue)) {
      throw new InvalidInputException("modality 'image' expects encoded bytes, a Path, an RgbImage or a"
          + " BufferedImage, found " + input.getClass().getName());
    }
    return ModalityTokenizer.super.tokenizeObject(input);
  }
}
