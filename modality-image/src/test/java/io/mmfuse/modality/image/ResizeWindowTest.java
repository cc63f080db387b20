package io.mmfuse.modality.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.mmfuse.modality.image.proto.Resample;
import io.mmfuse.modality.image.proto.ResizeArithmetic;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Resizing only a window gives exactly the pixels of a full resize followed by a crop. */
class ResizeWindowTest {
  @Test
  void aWindowIsTheCropOfTheFullResize() {
    Random r = new Random(5);
    for (int trial = 0; trial < 40; trial++) {
      int w = 1 + r.nextInt(90);
      int h = 1 + r.nextInt(90);
      byte[] rgb = new byte[w * h * 3];
      r.nextBytes(rgb);
      RgbImage in = new RgbImage(w, h, rgb);
      int ow = 1 + r.nextInt(70);
      int oh = 1 + r.nextInt(70);
      int cw = 1 + r.nextInt(ow);
      int ch = 1 + r.nextInt(oh);
      int left = r.nextInt(ow - cw + 1);
      int top = r.nextInt(oh - ch + 1);
      for (Resample f : new Resample[] {Resample.BILINEAR, Resample.BICUBIC}) {
        for (ResizeArithmetic a : new ResizeArithmetic[] {ResizeArithmetic.PIL, ResizeArithmetic.TORCH_UINT8}) {
          RgbImage full = ImageProcessor.crop(Resampling.resize(in, ow, oh, f, a), top, left, ch, cw);
          String what = w + "x" + h + " -> " + ow + "x" + oh + " " + f + " " + a;
          for (boolean simd : Simd.available() ? new boolean[] {false, true} : new boolean[] {false}) {
            RgbImage window = Resampling.resizeWindow(in, ow, oh, left, top, cw, ch, f, a, simd);
            assertArrayEquals(full.rgb(), window.rgb(), what + " simd=" + simd);
          }
        }
      }
    }
    RgbImage one = new RgbImage(2, 2, new byte[12]);
    assertThrows(IllegalArgumentException.class,
        () -> Resampling.resizeWindow(one, 4, 4, 2, 0, 3, 1, Resample.BILINEAR, ResizeArithmetic.PIL));
  }
}
