package io.mmfuse.modality.image;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.mmfuse.api.MmfuseException;

/**
 * Coverage-guided fuzzing of the image decoders (mmfuse's JPEG decoder, and PNG, GIF, BMP and the other JPEGs through
 * ImageIO): any bytes decode, or are refused with an mmfuse error that names the input and says what is wrong; never
 * another exception, a hang or a crash. The seeds (every kind of image the decoder takes, and the inputs that once
 * failed) run as a regression test in the build; {@code scripts/fuzz.sh} fuzzes for a while.
 */
class ImageDecoderFuzzTest {
  // Small enough that the fuzzer's inputs cannot allocate much, large enough for every seed.
  private static final ImageDecoder DECODER = new ImageDecoder(1_000_000);

  @FuzzTest(maxDuration = "10m")
  void decodes(byte[] data) {
    try {
      RgbImage image = DECODER.decode(data, "fuzz.img");
      assertTrue(image.rgb().length == 3L * image.width() * image.height());
    } catch (MmfuseException e) {
      String m = e.getMessage();
      assertTrue(m.contains("fuzz.img") && !m.endsWith(": null") && !m.matches("(?s).*: -?\\d+")
          && !m.endsWith("during read: "), m);
    }
  }
}
