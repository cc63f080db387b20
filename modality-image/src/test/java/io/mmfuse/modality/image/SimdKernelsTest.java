package io.mmfuse.modality.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mmfuse.modality.image.proto.Resample;
import io.mmfuse.modality.image.proto.ResizeArithmetic;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The SIMD kernels against the scalar loops on sizes around every lane boundary (the scalar loops are checked against
 * Pillow and transformers in {@link PilParityTest} and {@link HuggingFaceParityTest}, which run both ways).
 */
class SimdKernelsTest {
  private static RgbImage noise(Random random, int w, int h) {
    byte[] rgb = new byte[w * h * 3];
    random.nextBytes(rgb);
    // Runs of black and white as well: the clamps to 0 and 255 only bite next to sharp edges.
    for (int i = 0; i < rgb.length; i += 1 + random.nextInt(40)) {
      rgb[i] = random.nextBoolean() ? 0 : (byte) 255;
    }
    return new RgbImage(w, h, rgb);
  }

  @Test
  void theTestJvmRunsTheSimdKernels() {
    // Surefire passes --add-modules jdk.incubator.vector, as the launcher does; only a CPU without AVX2 opts out.
    assertTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(), "surefire argLine lost the module");
    assumeTrue(VectorKernels.LANES >= 8, "preferred vectors hold " + VectorKernels.LANES + " ints");
    assertTrue(Simd.available());
  }

  @Test
  void theWarmUpEndsWithoutFailing() throws InterruptedException {
    assumeTrue(Simd.available());
    new ImageProcessor(ImageConfig.preset("vit"));
    // Whether SIMD won the race is a matter of timing; that the warm-up ran through is not.
    Simd.awaitWarmUp(Simd.WARM_UP_LIMIT_MS + 30_000);
    assertEquals(null, Simd.warmUpFailure);
  }

  @Test
  void resizingGivesTheScalarBytesForEverySizeAndFilter() {
    assumeTrue(Simd.available());
    Random random = new Random(7);
    int[] sizes = {1, 2, 3, 7, 8, 15, 16, 17, 23, 31, 32, 33, 47, 64, 65, 100};
    int cases = 0;
    for (int i = 0; i < 400; i++) {
      int w = sizes[random.nextInt(sizes.length)] + random.nextInt(3);
      int h = sizes[random.nextInt(sizes.length)] + random.nextInt(3);
      int ow = 1 + random.nextInt(Math.max(2, w * 2));
      int oh = 1 + random.nextInt(Math.max(2, h * 2));
      RgbImage in = noise(random, w, h);
      for (Resample f : new Resample[] {Resample.BILINEAR, Resample.BICUBIC}) {
        for (ResizeArithmetic a : new ResizeArithmetic[] {ResizeArithmetic.PIL, ResizeArithmetic.TORCH_UINT8}) {
          RgbImage scalar = Resampling.resize(in, ow, oh, f, a, false);
          RgbImage simd = Resampling.resize(in, ow, oh, f, a, true);
          String what = w + "x" + h + " -> " + ow + "x" + oh + " " + f + " " + a;
          assertEquals(scalar.width(), simd.width(), what);
          assertEquals(scalar.height(), simd.height(), what);
          assertArrayEquals(scalar.rgb(), simd.rgb(), what);
          cases++;
        }
      }
    }
    // Shrinks by large factors take more taps than the vertical kernel unrolls (more than 8 rows).
    RgbImage big = noise(random, 203, 401);
    for (int oh : new int[] {9, 13, 40, 50}) {
      for (Resample f : new Resample[] {Resample.BILINEAR, Resample.BICUBIC}) {
        ResizeArithmetic a = ResizeArithmetic.TORCH_UINT8;
        assertArrayEquals(Resampling.resize(big, 37, oh, f, a, false).rgb(),
            Resampling.resize(big, 37, oh, f, a, true).rgb(), "203x401 -> 37x" + oh + " " + f);
        cases++;
      }
    }
    assertEquals(1608, cases);
  }

  @Test
  void normalizingAndPatchifyingGiveTheScalarFloats() {
    assumeTrue(Simd.available());
    Random random = new Random(3);
    int[][] sizes = {{1, 1}, {7, 5}, {16, 16}, {17, 33}, {64, 48}, {97, 301}, {224, 224}, {240, 250}};
    for (String preset : new String[] {"vit", "clip", "vilt"}) {
      for (int p : new int[] {8, 14, 16, 32}) {
        ImageConfig config = ImageConfig.preset(preset).withPatchSize(p);
        ImageProcessor scalar = new ImageProcessor(config, false);
        ImageProcessor simd = new ImageProcessor(config, true);
        for (int[] size : sizes) {
          RgbImage in = noise(random, size[0], size[1]);
          String what = preset + " P=" + p + " " + size[0] + "x" + size[1];
          ProcessedImage a = scalar.process(in);
          ProcessedImage b = simd.process(in);
          assertArrayEquals(a.pixelValues(), b.pixelValues(), what);
          assertArrayEquals(a.pixelMask(), b.pixelMask(), what);
          Patches pa = scalar.patches(in);
          Patches pb = simd.patches(in);
          assertArrayEquals(pa.features(), pb.features(), what);
          assertArrayEquals(pa.positions(), pb.positions(), what);
        }
      }
    }
  }

  @Test
  void theFusedKernelGivesTheScalarPatches() {
    assumeTrue(Simd.available());
    Random random = new Random(11);
    int fused = 0;
    int cases = 0;
    // Photo-like sizes (ViLT's 640 -> 576 columns sums at every position; ViT's 640 -> 224 gathers), small images
    // that the presets enlarge, one axis that keeps its size (224 wide for ViT), portrait and landscape.
    int[][] fixed = {{640, 427}, {427, 640}, {224, 300}, {300, 224}, {97, 301}, {64, 64}, {384, 600}, {1000, 90}};
    for (int i = 0; i < fixed.length + 40; i++) {
      int w = i < fixed.length ? fixed[i][0] : 20 + random.nextInt(900);
      int h = i < fixed.length ? fixed[i][1] : 20 + random.nextInt(900);
      RgbImage in = noise(random, w, h);
      for (String preset : new String[] {"vit", "clip", "vilt"}) {
        for (int p : new int[] {VectorKernels.LANES, 2 * VectorKernels.LANES, 24}) {
          ImageConfig config = ImageConfig.preset(preset).withPatchSize(p);
          String what = preset + " P=" + p + " " + w + "x" + h;
          Patches expected = new ImageProcessor(config, false).patches(in);
          Patches actual = new ImageProcessor(config, true).patches(in);
          assertArrayEquals(expected.positions(), actual.positions(), what);
          assertArrayEquals(expected.features(), actual.features(), what);
          int[] size = config.resizedSize(h, w);
          int ch = config.cropHeight() > 0 ? config.cropHeight() : size[0];
          int cw = config.cropWidth() > 0 ? config.cropWidth() : size[1];
          boolean took = Resampling.fusedPatches(in, size[1], size[0], (size[1] - cw) / 2, (size[0] - ch) / 2,
              ch / p, cw / p, p, config.filter(), config.arithmetic(), config.rescaleFactor(), config.mean(),
              config.std(), new float[expected.features().length], 0);
          // The benchmark's photos take it under CLIP and ViLT (ViT's 640 -> 224 needs 16-bit weights: too fine).
          assertTrue(took || i >= 2 || preset.equals("vit") || p % VectorKernels.LANES != 0,
              what + " did not take the fused kernel");
          fused += took ? 1 : 0;
          cases++;
        }
      }
    }
    assertEquals(432, cases);
    // The rest take the two-pass kernels: P = 24 is not a multiple of the lanes, a few sizes need no resampling, and
    // shrinks by more than about 2.5 have weights too fine for exact float sums.
    assertTrue(fused >= 150, fused + " of " + cases + " cases took the fused kernel");
  }

  @Test
  void theFusedKernelDeclinesWhatItCannotComputeExactly() {
    assumeTrue(Simd.available());
    RgbImage in = noise(new Random(5), 640, 427);
    ImageConfig vilt = ImageConfig.preset("vilt");
    float[] mean = vilt.mean();
    float[] std = vilt.std();
    // PIL's 22-bit weights overflow float's 24-bit mantissa.
    float[] out = new float[12 * 18 * 3 * 32 * 32];
    assertFalse(Resampling.fusedPatches(in, 576, 384, 0, 0, 12, 18, 32, Resample.BICUBIC,
        ResizeArithmetic.PIL, 1 / 255f, mean, std, out, 0));
    assertFalse(Resampling.fusedPatches(in, 576, 384, 0, 0, 12, 18, 32, Resample.NEAREST,
        ResizeArithmetic.TORCH_UINT8, 1 / 255f, mean, std, out, 0));
    // A shrink by 40 gives PyTorch's weights 19 bits: the sums no longer fit.
    assertFalse(Resampling.fusedPatches(noise(new Random(6), 2560, 100), 64, 100, 0, 0, 3, 4, 16,
        Resample.BILINEAR, ResizeArithmetic.TORCH_UINT8, 1 / 255f, mean, std, out, 0));
    // Declining wrote nothing.
    for (float v : out) {
      assertEquals(0f, v);
    }
    assertTrue(Resampling.fusedPatches(in, 576, 384, 0, 0, 12, 18, 32, Resample.BICUBIC,
        ResizeArithmetic.TORCH_UINT8, 1 / 255f, mean, std, out, 0));
  }
}
