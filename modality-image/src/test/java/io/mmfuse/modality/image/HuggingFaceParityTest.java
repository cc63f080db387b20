package io.mmfuse.modality.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mmfuse.api.safetensors.SafeTensors;
import io.mmfuse.api.safetensors.TensorInfo;
import io.mmfuse.modality.image.proto.ResizeArithmetic;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Pixel values against what transformers 5.17.0's image processors returned for the same files. */
class HuggingFaceParityTest {

  static Stream<Arguments> presetsAndImages() {
    List<Arguments> args = new ArrayList<>();
    for (String preset : List.of("vit", "clip", "vilt")) {
      for (String image : Fixtures.SHARED_IMAGES) {
        args.add(Arguments.of(preset, image, false));
        args.add(Arguments.of(preset, image, true));
      }
    }
    return args.stream();
  }

  @ParameterizedTest(name = "{0} {1} simd={2}")
  @MethodSource("presetsAndImages")
  void pixelValuesMatchTheHuggingFaceProcessor(String preset, String image, boolean simd) {
    assumeTrue(!simd || Simd.available(), "no SIMD kernels in this JVM");
    SafeTensors ref = Fixtures.huggingFace();
    TensorInfo info = ref.info(preset + "/" + image);
    float[] expected = ref.floats(preset + "/" + image);
    ImageConfig config = ImageConfig.preset(preset);
    ProcessedImage actual = new ImageProcessor(config, simd).process(new ImageDecoder().decode(Fixtures.file(image)));

    assertArrayEquals(info.shape(), new long[] {3, actual.height(), actual.width()}, "shape");
    int plane = actual.height() * actual.width();
    double max = 0;
    double sum = 0;
    int differing = 0;
    for (int i = 0; i < expected.length; i++) {
      // In grey levels: undo the normalization's division by std and the rescale by 1/255.
      double levels = Math.abs(expected[i] - actual.pixelValues()[i]) * config.std()[i / plane] * 255;
      max = Math.max(max, levels);
      sum += levels;
      differing += levels > 1e-3 ? 1 : 0;
    }
    boolean png = image.endsWith(".png");
    assertTrue(max <= (png ? 2 : 4), "max difference " + max + " grey levels");
    assertTrue(sum / expected.length <= (png ? 0.25 : 0.5), "mean difference " + sum / expected.length);
    // Stronger than the tolerance: with PyTorch's arithmetic every value is the reference's, to float rounding.
    assertEquals(0, differing, differing + " values differ by more than float rounding; max " + max);

    if (preset.equals("vilt")) {
      assertArrayEquals(ref.longs("vilt_mask/" + image), actual.pixelMask(), "pixel mask");
    } else {
      assertEquals(0, actual.pixelMask().length);
    }
  }

  @ParameterizedTest(name = "{0} {1} simd={2}")
  @MethodSource("presetsAndImages")
  void pilArithmeticStaysWithinTheIssuesTolerance(String preset, String image, boolean simd) {
    assumeTrue(!simd || Simd.available(), "no SIMD kernels in this JVM");
    SafeTensors ref = Fixtures.huggingFace();
    float[] expected = ref.floats(preset + "/" + image);
    ImageConfig config = ImageConfig.preset(preset).withArithmetic(ResizeArithmetic.PIL);
    ProcessedImage actual = new ImageProcessor(config, simd).process(new ImageDecoder().decode(Fixtures.file(image)));
    int plane = actual.height() * actual.width();
    double max = 0;
    double sum = 0;
    for (int i = 0; i < expected.length; i++) {
      double levels = Math.abs(expected[i] - actual.pixelValues()[i]) * config.std()[i / plane] * 255;
      max = Math.max(max, levels);
      sum += levels;
    }
    assertTrue(max <= 2.001, "max " + max);
    assertTrue(sum / expected.length <= 0.25, "mean " + sum / expected.length);
  }

  @ParameterizedTest(name = "{0} {1} simd={2}")
  @MethodSource("presetsAndImages")
  void patchesMatchThoseOfTheHuggingFacePixelValues(String preset, String image, boolean simd) {
    assumeTrue(!simd || Simd.available(), "no SIMD kernels in this JVM");
    SafeTensors ref = Fixtures.huggingFace();
    long[] shape = ref.info(preset + "/" + image).shape();
    ImageConfig config = ImageConfig.preset(preset);
    int h = (int) shape[1];
    int w = (int) shape[2];
    // A single image's mask is all ones.
    long[] mask = new long[0];
    Patches expected = Patches.of(new ProcessedImage(ref.floats(preset + "/" + image), h, w, mask),
        config.patchSize());
    // Resize, normalize and patchify in one go (one pass on SIMD lanes where the kernel applies).
    ImageProcessor processor = new ImageProcessor(config, simd);
    RgbImage decoded = new ImageDecoder().decode(Fixtures.file(image));
    Patches actual = processor.patches(decoded);
    assertArrayEquals(expected.positions(), actual.positions(), "positions");
    assertEquals(expected.features().length, actual.features().length);
    assertMatches(config, expected, actual.features(), 0);

    // The same patches into a larger array at an offset, as into a batch buffer; the rest of it left alone.
    int offset = 37;
    float[] buffer = new float[offset + expected.features().length + 11];
    java.util.Arrays.fill(buffer, Float.NaN);
    PatchGrid grid = processor.patchesInto(decoded, buffer, offset);
    assertEquals(expected.rows(), grid.rows());
    assertEquals(expected.columns(), grid.columns());
    assertArrayEquals(expected.positions(), grid.positions());
    assertMatches(config, expected, buffer, offset);
    for (int i = 0; i < buffer.length; i++) {
      if (i < offset || i >= offset + grid.floats()) {
        assertTrue(Float.isNaN(buffer[i]), "wrote outside the patches, at " + i);
      }
    }
  }

  /** The patch values from {@code from} equal the reference's to float rounding. */
  private static void assertMatches(ImageConfig config, Patches expected, float[] actual, int from) {
    float[] e = expected.features();
    int width = expected.width();
    int pp = config.patchSize() * config.patchSize();
    int differing = 0;
    for (int i = 0; i < e.length; i++) {
      double levels = Math.abs(e[i] - actual[from + i]) * config.std()[(i % width) / pp] * 255;
      differing += levels > 1e-3 || Float.isNaN(actual[from + i]) ? 1 : 0;
    }
    assertEquals(0, differing, differing + " patch values differ from the reference's by more than float rounding");
  }
}
