package io.mmfuse.modality.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.InvalidInputException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BadImageTest {
  private static String refusal(byte[] bytes, String name) {
    return assertThrows(InvalidInputException.class, () -> new ImageDecoder().decode(bytes, name)).getMessage();
  }

  /** A PNG signature and IHDR chunk declaring a size, with no pixel data after it. */
  static byte[] pngHeader(int width, int height) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    ByteBuffer ihdr = ByteBuffer.allocate(4 + 13);
    ihdr.put("IHDR".getBytes(StandardCharsets.US_ASCII)).putInt(width).putInt(height)
        .put(new byte[] {8, 2, 0, 0, 0});
    CRC32 crc = new CRC32();
    crc.update(ihdr.array());
    out.writeBytes(ByteBuffer.allocate(4).putInt(13).array());
    out.writeBytes(ihdr.array());
    out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    return out.toByteArray();
  }

  @Test
  void refusesAnEmptyFile(@TempDir Path dir) throws Exception {
    Path empty = dir.resolve("empty.png");
    Files.write(empty, new byte[0]);
    String m = assertThrows(InvalidInputException.class, () -> new ImageDecoder().decode(empty)).getMessage();
    assertTrue(m.contains(empty.toString()) && m.contains("empty (0 bytes)"), m);
  }

  @Test
  void refusesTruncatedPngAndJpeg() throws Exception {
    for (String name : new String[] {"rgb_640x480.png", "china.jpg", "pil/progressive_320x240.jpg"}) {
      byte[] all = Files.readAllBytes(Fixtures.file(name));
      String m = refusal(Arrays.copyOf(all, all.length / 2), name);
      assertTrue(m.contains(name) && m.contains("truncated"), m);
    }
  }

  @Test
  void refusesTextThatIsNoImage() {
    String m = refusal("just some text, no pixels".getBytes(StandardCharsets.UTF_8), "notes.txt");
    assertTrue(m.contains("notes.txt: not a supported image format"), m);
  }

  @Test
  void refusesAnUnsupportedFormat() {
    byte[] webp = "RIFF\u0000\u0000\u0000\u0000WEBPVP8 ".getBytes(StandardCharsets.ISO_8859_1);
    String m = refusal(webp, "photo.webp");
    assertTrue(m.contains("photo.webp: not a supported image format (starts with 52 49 46 46)"), m);
  }

  @Test
  void refusesZeroPixelImages() {
    String m = refusal(pngHeader(0, 10), "zero.png");
    assertTrue(m.contains("zero.png"), m);
  }

  @Test
  void refusesImagesLargerThanThePixelLimitBeforeDecoding() {
    // 30000 x 30000 declared, no pixel data at all: the header alone decides.
    String m = refusal(pngHeader(30000, 30000), "bomb.png");
    assertTrue(m.contains("bomb.png: 30000x30000 = 900000000 pixels is more than the limit of 89478485"), m);
    byte[] photo = new byte[0];
    try {
      photo = Files.readAllBytes(Fixtures.file("rgb_640x480.png"));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    byte[] png = photo;
    String small = assertThrows(InvalidInputException.class, () -> new ImageDecoder(1000).decode(png, "p.png"))
        .getMessage();
    assertTrue(small.contains("640x480 = 307200 pixels is more than the limit of 1000"), small);
    // A baseline JPEG (the Java decoder's path) is refused from its frame header too.
    byte[] jpeg = bytes("china.jpg");
    String j = assertThrows(InvalidInputException.class, () -> new ImageDecoder(1000).decode(jpeg, "c.jpg"))
        .getMessage();
    assertTrue(j.contains("c.jpg: 640x427 = 273280 pixels is more than the limit of 1000"), j);
  }

  private static byte[] bytes(String name) {
    try {
      return Files.readAllBytes(Fixtures.file(name));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aJpegWhoseScanRunsIntoItsEndMarkerIsCorruptNotTruncated() {
    // Cut inside the entropy-coded data and close with an EOI marker: every byte of the file is there, and the scan
    // runs out of bits before its last block.
    byte[] all = bytes("rgb_640x480.jpg");
    byte[] cut = Arrays.copyOf(all, all.length * 3 / 4 + 2);
    cut[cut.length - 2] = (byte) 0xFF;
    cut[cut.length - 1] = (byte) 0xD9;
    assertEquals(null, JpegDecoder.decode(cut, (w, h) -> {}));
    String m = refusal(cut, "cut.jpg");
    assertTrue(m.contains("cut.jpg: corrupt JPEG: a scan's coded data ends before its blocks do"), m);
  }

  @Test
  void decodesAOneByOneImage() {
    RgbImage one = new ImageDecoder().decode(Fixtures.file("pil/one_1x1.png"));
    assertEquals(1, one.width());
    assertEquals(1, one.height());
    ProcessedImage p = new ImageProcessor(ImageConfig.preset("vilt")).process(one);
    assertEquals(384, p.height());
    assertEquals(384, p.width());
  }

  private static byte[] pilBytes(long[] values) {
    byte[] b = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      b[i] = (byte) values[i];
    }
    return b;
  }

  @Test
  void aJpegWithoutItsEndMarkerIsTruncatedUnlessTruncatedFilesAreLoaded() throws Exception {
    // Pillow 9.4 refuses this file ("image file is truncated"); with LOAD_TRUNCATED_IMAGES it decodes it.
    byte[] file = Files.readAllBytes(Fixtures.file("pil/truncated_noeoi_320x240.jpg"));
    String m = refusal(file, "noeoi.jpg");
    assertTrue(m.contains("noeoi.jpg: the file is truncated") && m.contains("end-of-image marker")
        && m.contains("load_truncated_images"), m);
    RgbImage loaded = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS, true).decode(file, "noeoi.jpg");
    assertEquals(320, loaded.width());
    assertEquals(240, loaded.height());
    assertArrayEquals(pilBytes(Fixtures.pil().longs("truncated/truncated_noeoi_320x240.jpg")), loaded.rgb());
  }

  /** A JPEG whose frame header is rewritten to declare another size. */
  static byte[] withDeclaredSize(byte[] jpeg, int width, int height) {
    byte[] b = jpeg.clone();
    for (int p = 2; p + 9 < b.length; ) {
      int marker = b[p + 1] & 0xff;
      int length = ((b[p + 2] & 0xff) << 8) | (b[p + 3] & 0xff);
      if (marker == 0xC0 || marker == 0xC1 || marker == 0xC2) {
        b[p + 5] = (byte) (height >> 8);
        b[p + 6] = (byte) height;
        b[p + 7] = (byte) (width >> 8);
        b[p + 8] = (byte) width;
        return b;
      }
      p += 2 + length;
    }
    throw new AssertionError("no frame header");
  }

  @Test
  void aSmallJpegThatClaimsAHugeFrameIsRefusedBeforeDecoding() throws Exception {
    // 29 KB claiming 9000x9000 (81 million pixels, under the pixel limit): its coded bytes cannot hold 1.27 million
    // blocks of at least two bits each. Before, decoding or refusing it took 5 to 34 s.
    byte[] small = Files.readAllBytes(Fixtures.file("pil/baseline444_320x240.jpg"));
    for (byte[] bomb : new byte[][] {withDeclaredSize(small, 9000, 9000),
        withDeclaredSize(Files.readAllBytes(Fixtures.file("pil/progressive_320x240.jpg")), 9000, 9000)}) {
      String m = refusal(bomb, "bomb.jpg");
      assertTrue(m.contains("bomb.jpg: corrupt JPEG: its frame declares 9000x9000 pixels") && m.contains("bytes of"
          + " coded data; the file holds"), m);
      // Even where truncated files are decoded.
      assertThrows(InvalidInputException.class,
          () -> new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS, true).decode(bomb, "bomb.jpg"));
    }
  }

  @Test
  void refusalsSayWhatIsWrongNeverNullOrABareNumber() throws Exception {
    java.util.Random r = new java.util.Random(3);
    for (String name : new String[] {"rgb_224x224.png", "rgb_224x224.jpg", "pil/anim_97x73.gif", "pil/rgb_61x45.bmp",
        "pil/progressive_320x240.jpg"}) {
      byte[] all = Files.readAllBytes(Fixtures.file(name));
      for (int k = 0; k < 60; k++) {
        byte[] m = all.clone();
        for (int j = 0; j < 1 + r.nextInt(8); j++) {
          m[16 + r.nextInt(m.length - 16)] = (byte) r.nextInt(256);
        }
        try {
          new ImageDecoder().decode(m, name);
        } catch (InvalidInputException e) {
          String msg = e.getMessage();
          assertTrue(!msg.endsWith(": null") && !msg.matches(".*: -?\\d+") && !msg.endsWith("during read: ")
              && msg.contains(name), msg);
        }
      }
    }
  }

  @Test
  void anImageOverTheByteLimitIsRefusedFromAFileAStreamAndBytes() throws Exception {
    Path file = Fixtures.file("china.jpg");
    byte[] bytes = Files.readAllBytes(file);
    String size = String.format(java.util.Locale.ROOT, "%,d", bytes.length);
    System.setProperty("mmfuse.maxImageBytes", "50000");
    try {
      ImageDecoder d = new ImageDecoder();
      String m = assertThrows(InvalidInputException.class, () -> d.decode(file)).getMessage();
      assertTrue(m.contains("image " + file + " has " + size + " bytes; the limit is 50,000"
          + " (-Dmmfuse.maxImageBytes)"), m);
      m = assertThrows(InvalidInputException.class,
          () -> d.decode(new java.io.ByteArrayInputStream(bytes), "upload")).getMessage();
      assertTrue(m.contains("image upload has more than 50,000 bytes; the limit is 50,000"), m);
      m = assertThrows(InvalidInputException.class, () -> d.decode(bytes, "cell")).getMessage();
      assertTrue(m.contains("image cell has " + size + " bytes; the limit is 50,000"), m);
    } finally {
      System.clearProperty("mmfuse.maxImageBytes");
    }
    assertEquals(640, new ImageDecoder().decode(file).width(), "decoded under the default limit");
  }

  @Test
  void thePixelBoundLowersEveryDecodersLimitAndNamesItsProperty() throws Exception {
    Path file = Fixtures.file("china.jpg");
    System.setProperty("mmfuse.maxImagePixels", "100000");
    try {
      String m = assertThrows(InvalidInputException.class, () -> new ImageDecoder().decode(file)).getMessage();
      assertTrue(m.contains("640x427 = 273,280 pixels; the limit is 100,000 (-Dmmfuse.maxImagePixels)"), m);
    } finally {
      System.clearProperty("mmfuse.maxImagePixels");
    }
    assertEquals(640, new ImageDecoder().decode(file).width(), "decoded under the default limit");
  }

  @Test
  void aTwelveBitJpegIsRefusedAsWhatItIs() throws Exception {
    Path file = Fixtures.file("pil/grey12_16x8.jpg");
    String m = assertThrows(InvalidInputException.class, () -> new ImageDecoder().decode(file)).getMessage();
    assertTrue(m.contains("image " + file + ": "), m);
    assertTrue(m.contains("12-bit"), m);
  }
}
