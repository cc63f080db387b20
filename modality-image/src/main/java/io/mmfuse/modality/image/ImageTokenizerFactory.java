package io.mmfuse.modality.image;

import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.ModalityTokenizer;
import io.mmfuse.api.Settings;
import io.mmfuse.api.TokenizerContext;
import io.mmfuse.api.TokenizerFactory;
import io.mmfuse.api.proto.InputSpec;
import io.mmfuse.modality.image.proto.ImageSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
    ImageSettings s = Settings.of(context.spec(), ImageSettings.class);
    return new ImagePatchTokenizer(ImageConfig.fromSettings(s), Augmenter.fromSettings(s.getAugmentation()),
        s.getLoadTruncatedImages());
  }

  /** The input with augmentation enabled at its defaults, unless its settings already configure augmentation. */
  public static InputSpec withDefaultAugmentation(InputSpec in) {
    ImageSettings s = Settings.of(in, ImageSettings.class);
    if (s.hasAugmentation()) {
      return in;
    }
    return Settings.with(in, s.toBuilder().setAugmentation(
        io.mmfuse.modality.image.proto.Augmentation.newBuilder().setEnabled(true)).build());
  }

  /** The most training images whose size {@link #fit} looks at. */
  static final int SIZE_SAMPLE = 200;
  /** The most patch tokens a fitted size gives: ViT-B/16's 14 x 14 at 224 px. */
  static final int MAX_TOKENS = 196;
  /** The largest side a fitted size gives. */
  static final int MAX_SIDE = 224;

  /**
   * Picks the resolution and patch size from the training images when the settings name neither a preset nor a
   * size: the images' median height and width (never upscaled), scaled down so that the longer side is at most 224,
   * with the smallest patch of 4, 8, 16 or 32 pixels that gives at most 196 tokens (unless the settings set one), both
   * sides rounded down to whole patches. Normalization is the {@code vit} preset's. The spec returned records the
   * size picked; a preset or a size in the settings is kept as it is (imported checkpoints keep their processor).
   */
  @Override
  public Fitted fit(TokenizerContext context, List<?> trainingInputs, Path stateDirectory) {
    InputSpec in = context.spec();
    ImageSettings s = Settings.of(in, ImageSettings.class);
    if (!s.getPreset().isEmpty() || s.hasResizeHeight() || s.hasResizeWidth() || s.hasShortestEdge()
        || s.hasLongestEdge() || s.hasCropHeight() || s.hasCropWidth()) {
      ImageConfig c = ImageConfig.fromSettings(s);
      return new Fitted(create(context), in, describe(c, s, "as the settings say"));
    }
    // The settings' decoder (pixel limit included), whatever size it is later given.
    ImagePatchTokenizer reader = new ImagePatchTokenizer(ImageConfig.fromSettings(s), null,
        s.getLoadTruncatedImages());
    // Evenly spread over the training rows, so that a sorted file is sampled throughout; read by index, so that a
    // data set read from disk as it is needed is never held whole. An image that cannot be read is left out here:
    // it fails (or is skipped) where it is trained on.
    int total = trainingInputs.size();
    int[] heights = new int[SIZE_SAMPLE];
    int[] widths = new int[SIZE_SAMPLE];
    int n = 0;
    for (int i = 0; i < Math.min(SIZE_SAMPLE, total); i++) {
      Object o = trainingInputs.get((int) ((long) i * total / Math.min(SIZE_SAMPLE, total)));
      if (o == null) {
        continue;
      }
      RgbImage image;
      try {
        image = reader.decode(o);
      } catch (InvalidInputException e) {
        continue;
      }
      if (image == null) {
        throw new InvalidInputException("input '" + in.getName() + "': an image input takes a Path, bytes, an"
            + " RgbImage or a BufferedImage, found " + o.getClass().getName());
      }
      heights[n] = image.height();
      widths[n] = image.width();
      n++;
    }
    if (n == 0) {
      throw new InvalidInputException("input '" + in.getName() + "': no training image to fit the image size on"
          + " (none of the " + Math.min(SIZE_SAMPLE, total) + " looked at is present and readable)");
    }
    heights = java.util.Arrays.copyOf(heights, n);
    widths = java.util.Arrays.copyOf(widths, n);
    int[] picked = pick(median(heights), median(widths), s.getPatchSize());
    ImageSettings fitted = s.toBuilder().setResizeHeight(picked[0]).setResizeWidth(picked[1])
        .setPatchSize(picked[2]).build();
    InputSpec saved = Settings.with(in, fitted);
    ImageConfig c = ImageConfig.fromSettings(fitted);
    String summary = describe(c, fitted, "picked from the median size of " + n + " training images, "
        + median(widths) + "x" + median(heights));
    return new Fitted(new ImagePatchTokenizer(c, Augmenter.fromSettings(fitted.getAugmentation()),
        fitted.getLoadTruncatedImages()), saved, summary);
  }

  /** Height, width and patch for images of a typical {@code h x w}: see {@link #fit}. */
  static int[] pick(int h, int w, int patch) {
    double scale = Math.min(1.0, (double) MAX_SIDE / Math.max(h, w));
    int th = Math.max(1, (int) Math.floor(h * scale));
    int tw = Math.max(1, (int) Math.floor(w * scale));
    int p = patch;
    if (p <= 0) {
      p = 32;
      for (int candidate : new int[] {4, 8, 16, 32}) {
        if ((long) Math.max(1, th / candidate) * Math.max(1, tw / candidate) <= MAX_TOKENS) {
          p = candidate;
          break;
        }
      }
    }
    return new int[] {Math.max(p, th / p * p), Math.max(p, tw / p * p), p};
  }

  private static String describe(ImageConfig c, ImageSettings s, String why) {
    String size = c.resize() == ImageConfig.Resize.FIXED ? c.width() + "x" + c.height()
        : "shortest edge " + c.shortestEdge();
    Augmenter a = Augmenter.fromSettings(s.getAugmentation());
    return size + " px, patch " + c.patchSize() + " (" + why + ")" + (a == null ? "; no augmentation"
        : "; augmented in training: crop >= " + a.cropScaleMin() + ", rotation <= " + a.rotationDegrees()
            + " deg, shift <= " + a.translate() + ", colour jitter " + a.colorJitter()
            + (a.horizontalFlip() ? ", mirrored" : ""));
  }

  private static int median(int[] values) {
    int[] sorted = values.clone();
    java.util.Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}
