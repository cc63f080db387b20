package io.mmfuse.modality.image;

import io.mmfuse.api.InvalidInputException;

/**
 * An 8-bit RGB image, pixels row after row, three bytes per pixel: what PIL's {@code convert("RGB")} gives.
 *
 * @param width pixels per row
 * @param height rows
 * @param rgb {@code width * height * 3} bytes, interleaved R, G, B
 */
public record RgbImage(int width, int height, byte[] rgb) {
  public RgbImage {
    if (width <= 0 || height <= 0) {
      throw new InvalidInputException("image of " + width + "x" + height + " pixels; expected at least 1x1");
    }
    if (rgb.length != (long) width * height * 3) {
      throw new InvalidInputException(
          "image of " + width + "x" + height + " needs " + (long) width * height * 3 + " bytes, found " + rgb.length);
    }
  }

  /** Returns channel {@code c} (0 red, 1 green, 2 blue) of pixel (x, y), 0..255. */
  public int get(int x, int y, int c) {
    return rgb[(y * width + x) * 3 + c] & 0xff;
  }
}
