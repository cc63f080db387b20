package io.mmfuse.modality.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Java JPEG decoder against libjpeg: the JDK's decoder is libjpeg with the same islow IDCT, fancy upsampling and
 * colour tables that PIL's libjpeg-turbo uses, so its output must be identical byte for byte (the PIL and Hugging
 * Face parity tests check the same files against Pillow's own pixels).
 */
class JpegDecoderTest {
  private static final ImageDecoder.SizeCheck ANY = (w, h) -> {};

  @ParameterizedTest
  @ValueSource(strings = {"china.jpg", "flower.jpg", "rgb_224x224.jpg", "rgb_640x480.jpg", "rgb_97x301.jpg",
      "pil/grey_320x240.jpg", "pil/baseline444_320x240.jpg"})
  void decodesBaselineJpegsToLibjpegsPixels(String name) throws Exception {
    byte[] bytes = Files.readAllBytes(Fixtures.file(name));
    RgbImage java = JpegDecoder.decode(bytes, ANY);
    assertNotNull(java, name + " should take the Java decoder");
    RgbImage libjpeg = new ImageDecoder().decodeWithImageIo(bytes, name);
    assertEquals(libjpeg.width(), java.width());
    assertEquals(libjpeg.height(), java.height());
    assertArrayEquals(libjpeg.rgb(), java.rgb(), name);
  }

  @ParameterizedTest
  @ValueSource(strings = {"pil/progressive_320x240.jpg", "pil/cmyk_320x240.jpg", "rgb_224x224.png"})
  void declinesWhatItDoesNotDecode(String name) throws Exception {
    assertNull(JpegDecoder.decode(Files.readAllBytes(Fixtures.file(name)), ANY), name);
  }
}
