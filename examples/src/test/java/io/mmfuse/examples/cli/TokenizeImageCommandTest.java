package io.mmfuse.examples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.safetensors.SafeTensors;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizeImageCommandTest {
  static final Path IMAGES = Path.of("../modality-image/src/test/resources/fixtures/images");

  static SafeTensors huggingFace() throws Exception {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(IMAGES.resolve("image_reference.safetensors.gz")))) {
      return SafeTensors.parse(ByteBuffer.wrap(in.readAllBytes()), "reference");
    }
  }

  @Test
  void writesTheProcessorsPixelValuesPatchesPositionsAndMask(@TempDir Path dir) throws Exception {
    SafeTensors ref = huggingFace();
    Path out = dir.resolve("rgb.safetensors");
    List<String> err = TokenizeTextCommandTest.run("tokenize", "image", "--preset", "vilt", "--input",
        IMAGES.resolve("rgb_97x301.png").toString(), "--output", out.toString());
    assertEquals("0", err.get(1), err.get(0));
    SafeTensors st = SafeTensors.open(out);
    assertArrayEquals(new long[] {3, 608, 192}, st.info("pixel_values").shape());
    assertArrayEquals(ref.floats("vilt/rgb_97x301.png"), st.floats("pixel_values"), 1e-6f);
    assertArrayEquals(ref.longs("vilt_mask/rgb_97x301.png"), st.longs("pixel_mask"));
    // ViLT's 32-pixel patches: 19 x 6 of them.
    assertArrayEquals(new long[] {114, 3 * 32 * 32}, st.info("patches").shape());
    assertArrayEquals(new long[] {114, 2}, st.info("positions").shape());
    long[] pos = st.longs("positions");
    assertArrayEquals(new long[] {18, 5}, Arrays.copyOfRange(pos, 226, 228));
    assertEquals("0", st.metadata().get("dropped_patches"));
  }

  @Test
  void vitWithAnotherPatchSizeHasNoMask(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("v.safetensors");
    List<String> err = TokenizeTextCommandTest.run("tokenize", "image", "--preset", "vit", "--patch", "32",
        "--input", IMAGES.resolve("china.jpg").toString(), "--output", out.toString());
    assertEquals("0", err.get(1), err.get(0));
    SafeTensors st = SafeTensors.open(out);
    assertArrayEquals(new long[] {49, 3072}, st.info("patches").shape());
    assertTrue(st.find("pixel_mask").isEmpty());
    assertArrayEquals(huggingFace().floats("vit/china.jpg"), st.floats("pixel_values"), 1e-6f);
  }

  @Test
  void aBrokenImageIsRefusedAndNothingIsWritten(@TempDir Path dir) throws Exception {
    Path bad = dir.resolve("broken.png");
    byte[] png = Files.readAllBytes(IMAGES.resolve("rgb_224x224.png"));
    Files.write(bad, Arrays.copyOf(png, 100));
    Path out = dir.resolve("o.safetensors");
    List<String> err = TokenizeTextCommandTest.run("tokenize", "image", "--preset", "clip", "--input",
        bad.toString(), "--output", out.toString());
    assertEquals("2", err.get(1));
    assertTrue(err.get(0).contains(bad.toString()), err.get(0));
    assertFalse(Files.exists(out));
  }
}
