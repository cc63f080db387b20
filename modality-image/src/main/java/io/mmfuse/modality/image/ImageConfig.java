package io.mmfuse.modality.image;

import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.modality.image.proto.ImageSettings;
import io.mmfuse.modality.image.proto.Resample;
import io.mmfuse.modality.image.proto.ResizeArithmetic;
import java.util.ArrayList;
import java.util.List;

/**
 * Every preprocessing setting, resolved from a preset ({@code vit}, {@code clip}, {@code vilt}, with the defaults of
 * Hugging Face's {@code ViTImageProcessor}, {@code CLIPImageProcessor} and {@code ViltImageProcessor}) and the
 * overrides of an input's {@link ImageSettings}.
 *
 * @param resize how the image is resized
 * @param height target height (FIXED)
 * @param width target width (FIXED)
 * @param shortestEdge target of the shorter side (SHORTEST_EDGE)
 * @param longestEdge cap of the longer side, 0 for none (SHORTEST_EDGE)
 * @param sizeDivisor round both sides down to a multiple of this after resizing, 0 for none (ViLT)
 * @param filter the resampling filter
 * @param arithmetic the fixed-point arithmetic of the resize (PyTorch's, as transformers 5, or PIL's)
 * @param cropHeight centre-crop height, 0 for no crop
 * @param cropWidth centre-crop width, 0 for no crop
 * @param rescaleFactor multiplies the 8-bit values (1/255)
 * @param mean per-channel mean subtracted after rescaling
 * @param std per-channel standard deviation divided by
 * @param pad whether a pixel mask is produced (and batches are padded to a common size)
 * @param patchSize side of the square patches
 * @param maxPixels largest pixel count a header may declare
 */
public record ImageConfig(
    Resize resize,
    int height,
    int width,
    int shortestEdge,
    int longestEdge,
    int sizeDivisor,
    Resample filter,
    ResizeArithmetic arithmetic,
    int cropHeight,
    int cropWidth,
    float rescaleFactor,
    float[] mean,
    float[] std,
    boolean pad,
    int patchSize,
    long maxPixels) {

  /** How the image is resized. */
  public enum Resize {
    /** To exactly height x width. */
    FIXED,
    /** The shorter side to shortestEdge, keeping the aspect ratio, the longer at most longestEdge. */
    SHORTEST_EDGE,
    /** Not at all. */
    NONE
  }

  static final float[] HALF = {0.5f, 0.5f, 0.5f};
  static final float[] CLIP_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
  static final float[] CLIP_STD = {0.26862954f, 0.26130258f, 0.27577711f};
  static final float RESCALE = (float) (1 / 255.0);
  private static final ResizeArithmetic TORCH = ResizeArithmetic.TORCH_UINT8;

  public ImageConfig {
    List<String> problems = new ArrayList<>();
    if (resize == Resize.FIXED && (height <= 0 || width <= 0)) {
      problems.add("a fixed resize needs height and width > 0, found " + height + "x" + width);
    }
    if (resize == Resize.SHORTEST_EDGE && shortestEdge <= 0) {
      problems.add("shortest_edge must be > 0, found " + shortestEdge);
    }
    if (mean.length != 3 || std.length != 3) {
      problems.add("mean and std need 3 values (R, G, B), found " + mean.length + " and " + std.length);
    }
    for (float s : std) {
      if (!(s > 0)) {
        problems.add("std values must be > 0, found " + s);
      }
    }
    if (patchSize <= 0) {
      problems.add("patch_size must be > 0, found " + patchSize);
    }
    if (maxPixels <= 0) {
      problems.add("max_pixels must be > 0, found " + maxPixels);
    }
    if (!problems.isEmpty()) {
      throw new InvalidConfigurationException("image settings: " + String.join("; ", problems));
    }
  }

  /** The defaults of a Hugging Face image processor: {@code vit}, {@code clip} or {@code vilt}. */
  public static ImageConfig preset(String name) {
    return switch (name) {
      case "vit" -> new ImageConfig(Resize.FIXED, 224, 224, 0, 0, 0, Resample.BILINEAR, TORCH, 0, 0, RESCALE, HALF, HALF,
          false, 16, ImageDecoder.DEFAULT_MAX_PIXELS);
      case "clip" -> new ImageConfig(Resize.SHORTEST_EDGE, 0, 0, 224, 0, 0, Resample.BICUBIC, TORCH, 224, 224, RESCALE,
          CLIP_MEAN, CLIP_STD, false, 16, ImageDecoder.DEFAULT_MAX_PIXELS);
      case "vilt" -> new ImageConfig(Resize.SHORTEST_EDGE, 0, 0, 384, vilLongest(384), 32, Resample.BICUBIC, TORCH, 0, 0,
          RESCALE, HALF, HALF, true, 32, ImageDecoder.DEFAULT_MAX_PIXELS);
      default -> throw new InvalidConfigurationException(
          "image preset '" + name + "' is not known; expected vit, clip or vilt");
    };
  }

  /** ViLT caps the longer side at {@code int(1333 / 800 * shortest)}: 639 for 384. */
  static int vilLongest(int shortest) {
    return (int) (1333.0 / 800 * shortest);
  }

  /** Resolves a spec's settings: the preset (vit when empty), then every field that is set. */
  public static ImageConfig fromSettings(ImageSettings s) {
    ImageConfig base = preset(s.getPreset().isEmpty() ? "vit" : s.getPreset());
    Resize resize = base.resize;
    int height = base.height;
    int width = base.width;
    int shortest = base.shortestEdge;
    int longest = base.longestEdge;
    if (s.hasResizeHeight() || s.hasResizeWidth()) {
      resize = Resize.FIXED;
      height = s.hasResizeHeight() ? s.getResizeHeight() : height;
      width = s.hasResizeWidth() ? s.getResizeWidth() : width;
    }
    if (s.hasShortestEdge()) {
      resize = Resize.SHORTEST_EDGE;
      shortest = s.getShortestEdge();
      if (!s.hasLongestEdge() && base.sizeDivisor > 0) {
        longest = vilLongest(shortest);
      }
    }
    if (s.hasLongestEdge()) {
      longest = s.getLongestEdge();
    }
    Resample filter = base.filter;
    if (s.hasResample()) {
      filter = s.getResample();
      if (filter != Resample.NEAREST && filter != Resample.BILINEAR && filter != Resample.BICUBIC) {
        throw new InvalidConfigurationException("image settings: resample " + filter
            + " is not supported; expected NEAREST, BILINEAR or BICUBIC");
      }
    }
    ResizeArithmetic arithmetic =
        s.getResizeArithmetic() == ResizeArithmetic.PIL ? ResizeArithmetic.PIL : TORCH;
    return new ImageConfig(
        resize, height, width, shortest, longest, s.hasSizeDivisor() ? s.getSizeDivisor() : base.sizeDivisor,
        filter, arithmetic, s.hasCropHeight() ? s.getCropHeight() : base.cropHeight,
        s.hasCropWidth() ? s.getCropWidth() : base.cropWidth,
        s.hasRescaleFactor() ? s.getRescaleFactor() : base.rescaleFactor,
        s.getMeanCount() > 0 ? toArray(s.getMeanList()) : base.mean,
        s.getStdCount() > 0 ? toArray(s.getStdList()) : base.std,
        s.hasPad() ? s.getPad() : base.pad, s.getPatchSize() > 0 ? s.getPatchSize() : base.patchSize,
        s.hasMaxPixels() ? s.getMaxPixels() : base.maxPixels);
  }

  private static float[] toArray(List<Float> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }

  /** Returns a copy with another resize arithmetic. */
  public ImageConfig withArithmetic(ResizeArithmetic a) {
    return new ImageConfig(resize, height, width, shortestEdge, longestEdge, sizeDivisor, filter, a, cropHeight,
        cropWidth, rescaleFactor, mean, std, pad, patchSize, maxPixels);
  }

  /** Returns a copy with another patch size. */
  public ImageConfig withPatchSize(int p) {
    return new ImageConfig(resize, height, width, shortestEdge, longestEdge, sizeDivisor, filter, arithmetic,
        cropHeight, cropWidth, rescaleFactor, mean, std, pad, p, maxPixels);
  }

  /** Returns the size (height, width) an image of {@code h x w} is resized to, as the Hugging Face processor does. */
  public int[] resizedSize(int h, int w) {
    switch (resize) {
      case FIXED:
        return new int[] {height, width};
      case NONE:
        return new int[] {h, w};
      default:
        break;
    }
    if (sizeDivisor > 0) {
      // ViltImageProcessor: scale the shorter side, cap the longer, round, then round down to the divisor.
      double scale = (double) shortestEdge / Math.min(h, w);
      double nh;
      double nw;
      if (h < w) {
        nh = shortestEdge;
        nw = scale * w;
      } else {
        nh = scale * h;
        nw = shortestEdge;
      }
      if (longestEdge > 0 && Math.max(nh, nw) > longestEdge) {
        double s = longestEdge / Math.max(nh, nw);
        nh *= s;
        nw *= s;
      }
      int rh = (int) (nh + 0.5);
      int rw = (int) (nw + 0.5);
      return new int[] {Math.max(sizeDivisor, rh / sizeDivisor * sizeDivisor),
          Math.max(sizeDivisor, rw / sizeDivisor * sizeDivisor)};
    }
    // get_resize_output_image_size with default_to_square=False: the long side truncated, capped by max_size.
    int shortSide = Math.min(h, w);
    int longSide = Math.max(h, w);
    int newShort = shortestEdge;
    int newLong = (int) ((long) shortestEdge * longSide / shortSide);
    if (longestEdge > 0 && newLong > longestEdge) {
      newShort = (int) ((long) longestEdge * newShort / newLong);
      newLong = longestEdge;
    }
    return w <= h ? new int[] {newLong, newShort} : new int[] {newShort, newLong};
  }
}
