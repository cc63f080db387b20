package io.mmfuse.modality.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.mmfuse.modality.image.proto.Resample;
import io.mmfuse.modality.image.proto.ResizeArithmetic;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The horizontal and the vertical pass are the same one-dimensional convolution, each with its taps unrolled up to 8
 * and a general loop beyond: a width-only resize must equal the transpose of a height-only resize of the transposed
 * image, for every number of taps (shrink factors from 1 to 12, both filters, both arithmetics). The vertical pass
 * itself is checked against Pillow in {@link PilParityTest} (including kernels of more than 8 rows).
 */
class ResamplingPassesTest {
  private static RgbImage transpose(RgbImage in) {
    int w = in.width();
    int h = in.height();
    byte[] out = new byte[w * h * 3];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        System.arraycopy(in.rgb(), (y * w + x) * 3, out, (x * h + y) * 3, 3);
      }
    }
    return new RgbImage(h, w, out);
  }

  @Test
  void horizontalAndVerticalPassesAgreeForEveryKernelSize() {
    Random r = new Random(11);
    for (int shrink = 1; shrink <= 12; shrink++) {
      int len = 37 * shrink + r.nextInt(11);
      int other = 3 + r.nextInt(5);
      byte[] rgb = new byte[len * other * 3];
      r.nextBytes(rgb);
      RgbImage wide = new RgbImage(len, other, rgb);
      int out = Math.max(1, len / shrink - r.nextInt(3));
      for (Resample f : new Resample[] {Resample.BILINEAR, Resample.BICUBIC}) {
        for (ResizeArithmetic a : new ResizeArithmetic[] {ResizeArithmetic.PIL, ResizeArithmetic.TORCH_UINT8}) {
          RgbImage horizontal = Resampling.resize(wide, out, other, f, a);
          RgbImage vertical = transpose(Resampling.resize(transpose(wide), other, out, f, a));
          assertArrayEquals(vertical.rgb(), horizontal.rgb(), len + " -> " + out + " " + f + " " + a);
        }
      }
    }
  }
}
