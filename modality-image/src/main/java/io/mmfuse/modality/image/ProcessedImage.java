package io.mmfuse.modality.image;

/**
 * A preprocessed image, channel-first as Hugging Face's {@code pixel_values}: {@code [3, height, width]} floats, and,
 * for processors that pad, a {@code [height, width]} pixel mask (1 for image, 0 for padding).
 *
 * @param pixelValues {@code 3 * height * width} floats, channel, then row, then column
 * @param height rows
 * @param width columns
 * @param pixelMask {@code height * width} values of 0 or 1, or empty when the processor produces no mask
 */
public record ProcessedImage(float[] pixelValues, int height, int width, long[] pixelMask) {
  public ProcessedImage {
    if (pixelValues.length != 3L * height * width) {
      throw new IllegalArgumentException(pixelValues.length + " values for 3x" + height + "x" + width);
    }
    if (pixelMask.length != 0 && pixelMask.length != (long) height * width) {
      throw new IllegalArgumentException(pixelMask.length + " mask values for " + height + "x" + width);
    }
  }

  public boolean hasMask() {
    return pixelMask.length > 0;
  }

  /** Returns this image padded with zeros (mask 0) at the bottom and right to {@code h x w}. */
  public ProcessedImage padTo(int h, int w) {
    if (h < height || w < width) {
      throw new IllegalArgumentException("cannot pad " + height + "x" + width + " to the smaller " + h + "x" + w);
    }
    float[] v = new float[3 * h * w];
    long[] m = new long[h * w];
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < height; y++) {
        System.arraycopy(pixelValues, (c * height + y) * width, v, (c * h + y) * w, width);
      }
    }
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        m[y * w + x] = hasMask() ? pixelMask[y * width + x] : 1;
      }
    }
    return new ProcessedImage(v, h, w, m);
  }
}
