package io.mmfuse.modality.image;

import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.modality.image.proto.Augmentation;
import java.util.Random;

/**
 * Random changes to a decoded training image: a random resized crop, a rotation and a translation (one affine map,
 * sampled bilinearly, black outside the image), an optional mirror, then brightness, contrast and saturation jitter.
 * The output has the input's size; the image processor resizes it as usual afterwards. Every call draws the same
 * eleven numbers from {@code random} in the same order, so a seeded generator gives the same image. Immutable and
 * thread-safe.
 *
 * @param cropScaleMin the kept area's smallest share of the image
 * @param rotationDegrees largest rotation either way
 * @param translate largest shift, as a share of each side
 * @param colorJitter largest change of brightness, contrast and saturation factors around 1
 * @param horizontalFlip whether half of the images are mirrored
 */
public record Augmenter(float cropScaleMin, float rotationDegrees, float translate, float colorJitter,
    boolean horizontalFlip) {

  public Augmenter {
    if (!(cropScaleMin > 0 && cropScaleMin <= 1)) {
      throw new InvalidConfigurationException("image augmentation: crop_scale_min must be in (0, 1], found "
          + cropScaleMin);
    }
    if (!(rotationDegrees >= 0 && rotationDegrees <= 180)) {
      throw new InvalidConfigurationException("image augmentation: rotation_degrees must be in [0, 180], found "
          + rotationDegrees);
    }
    if (!(translate >= 0 && translate <= 0.5f)) {
      throw new InvalidConfigurationException("image augmentation: translate must be in [0, 0.5], found " + translate);
    }
    if (!(colorJitter >= 0 && colorJitter < 1)) {
      throw new InvalidConfigurationException("image augmentation: color_jitter must be in [0, 1), found "
          + colorJitter);
    }
  }

  /** The augmenter a spec's settings describe, or null when augmentation is off. */
  public static Augmenter fromSettings(Augmentation a) {
    if (!a.getEnabled()) {
      return null;
    }
    return new Augmenter(a.hasCropScaleMin() ? a.getCropScaleMin() : 0.8f,
        a.hasRotationDegrees() ? a.getRotationDegrees() : 10f, a.hasTranslate() ? a.getTranslate() : 0.1f,
        a.hasColorJitter() ? a.getColorJitter() : 0.2f, a.getHorizontalFlip());
  }

  /** A changed copy of {@code image}. */
  public RgbImage apply(RgbImage image, Random random) {
    int w = image.width();
    int h = image.height();
    // The draws, always all of them and in this order.
    double area = cropScaleMin + (1 - cropScaleMin) * random.nextDouble();
    double logRatio = Math.log(3.0 / 4) + (Math.log(4.0 / 3) - Math.log(3.0 / 4)) * random.nextDouble();
    double cropX = random.nextDouble();
    double cropY = random.nextDouble();
    double shiftX = (2 * random.nextDouble() - 1) * translate;
    double shiftY = (2 * random.nextDouble() - 1) * translate;
    double angle = Math.toRadians((2 * random.nextDouble() - 1) * rotationDegrees);
    boolean flip = random.nextDouble() < 0.5 && horizontalFlip;
    double brightness = 1 + (2 * random.nextDouble() - 1) * colorJitter;
    double contrast = 1 + (2 * random.nextDouble() - 1) * colorJitter;
    double saturation = 1 + (2 * random.nextDouble() - 1) * colorJitter;

    // No crop keeps the aspect ratio too.
    double ratio = cropScaleMin < 1 ? Math.exp(logRatio) : 1;
    double cw = Math.min(w, w * Math.sqrt(area * ratio));
    double ch = Math.min(h, h * Math.sqrt(area / ratio));
    // The crop's centre: anywhere the crop fits, then shifted.
    double cx = cw / 2 + cropX * (w - cw) + shiftX * w;
    double cy = ch / 2 + cropY * (h - ch) + shiftY * h;
    double sx = cw / w;
    double sy = ch / h;
    double cos = Math.cos(angle);
    double sin = Math.sin(angle);
    byte[] src = image.rgb();
    float[] out = new float[w * h * 3];
    for (int y = 0; y < h; y++) {
      double oy = (y + 0.5 - h / 2.0) * sy;
      for (int x = 0; x < w; x++) {
        int tx = flip ? w - 1 - x : x;
        double ox = (tx + 0.5 - w / 2.0) * sx;
        // Output pixel centre -> source coordinates (pixel centres at +0.5).
        double px = cx + cos * ox - sin * oy - 0.5;
        double py = cy + sin * ox + cos * oy - 0.5;
        sample(src, w, h, px, py, out, (y * w + x) * 3);
      }
    }
    return new RgbImage(w, h, colour(out, brightness, contrast, saturation));
  }

  /** Bilinear sample at (px, py); black outside the image. */
  private static void sample(byte[] src, int w, int h, double px, double py, float[] out, int o) {
    int x0 = (int) Math.floor(px);
    int y0 = (int) Math.floor(py);
    double fx = px - x0;
    double fy = py - y0;
    for (int c = 0; c < 3; c++) {
      double v = (1 - fx) * (1 - fy) * at(src, w, h, x0, y0, c) + fx * (1 - fy) * at(src, w, h, x0 + 1, y0, c)
          + (1 - fx) * fy * at(src, w, h, x0, y0 + 1, c) + fx * fy * at(src, w, h, x0 + 1, y0 + 1, c);
      out[o + c] = (float) v;
    }
  }

  private static int at(byte[] src, int w, int h, int x, int y, int c) {
    if (x < 0 || y < 0 || x >= w || y >= h) {
      return 0;
    }
    return src[(y * w + x) * 3 + c] & 0xff;
  }

  /** Brightness, then contrast around the mean grey, then saturation around each pixel's grey; rounded, clamped. */
  private static byte[] colour(float[] v, double brightness, double contrast, double saturation) {
    int n = v.length / 3;
    double greySum = 0;
    for (int i = 0; i < n; i++) {
      v[3 * i] *= (float) brightness;
      v[3 * i + 1] *= (float) brightness;
      v[3 * i + 2] *= (float) brightness;
      greySum += grey(v, i);
    }
    float mean = (float) (greySum / n);
    byte[] out = new byte[v.length];
    for (int i = 0; i < n; i++) {
      for (int c = 0; c < 3; c++) {
        v[3 * i + c] = (float) ((v[3 * i + c] - mean) * contrast + mean);
      }
      float g = grey(v, i);
      for (int c = 0; c < 3; c++) {
        double s = g + (v[3 * i + c] - g) * saturation;
        out[3 * i + c] = (byte) Math.max(0, Math.min(255, Math.round(s)));
      }
    }
    return out;
  }

  /** ITU-R 601 luma, as PIL's convert("L"). */
  private static float grey(float[] v, int i) {
    return 0.299f * v[3 * i] + 0.587f * v[3 * i + 1] + 0.114f * v[3 * i + 2];
  }
}
