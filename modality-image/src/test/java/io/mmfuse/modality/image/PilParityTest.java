package io.mmfuse.modality.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mmfuse.api.safetensors.SafeTensors;
import io.mmfuse.api.safetensors.TensorInfo;
import io.mmfuse.modality.image.proto.Resample;
import io.mmfuse.modality.image.proto.ResizeArithmetic;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Decoding and resizing against Pillow itself, on images of every kind the decoder takes. */
class PilParityTest {
  static Stream<String> images() {
    return Fixtures.pil().tensors().keySet().stream()
        .filter(k -> k.startsWith("decoded/"))
        .map(k -> k.substring("decoded/".length()));
  }

  private static byte[] bytes(long[] values) {
    byte[] b = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      b[i] = (byte) values[i];
    }
    return b;
  }

  @ParameterizedTest
  @MethodSource("images")
  void decodesToThePixelsOfPilsConvertRgb(String name) {
    SafeTensors ref = Fixtures.pil();
    TensorInfo info = ref.info("decoded/" + name);
    RgbImage image = new ImageDecoder().decode(Fixtures.file("pil/" + name));
    assertArrayEquals(new long[] {info.shape()[0], info.shape()[1], 3}, new long[] {image.height(), image.width(), 3});
    assertArrayEquals(bytes(ref.longs("decoded/" + name)), image.rgb());
  }

  static Stream<Arguments> imagesBothWays() {
    return images().flatMap(name -> Stream.of(Arguments.of(name, false), Arguments.of(name, true)));
  }

  @ParameterizedTest(name = "{0} simd={1}")
  @MethodSource("imagesBothWays")
  void resizesExactlyAsPilsImageResize(String name, boolean simd) {
    assumeTrue(!simd || Simd.available(), "no SIMD kernels in this JVM");
    SafeTensors ref = Fixtures.pil();
    RgbImage image = new ImageDecoder().decode(Fixtures.file("pil/" + name));
    for (Resample filter : new Resample[] {Resample.BILINEAR, Resample.BICUBIC}) {
      String key = filter.name().toLowerCase(java.util.Locale.ROOT) + "/" + name;
      TensorInfo info = ref.info(key);
      RgbImage resized = Resampling.resize(
          image, (int) info.shape()[1], (int) info.shape()[0], filter, ResizeArithmetic.PIL, simd);
      assertArrayEquals(bytes(ref.longs(key)), resized.rgb(), key);
    }
  }
}
