package io.mmfuse.modality.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
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
      "pil/grey_320x240.jpg", "pil/baseline444_320x240.jpg", "pil/progressive_320x240.jpg"})
  void decodesJpegsToLibjpegsPixels(String name) throws Exception {
    byte[] bytes = Files.readAllBytes(Fixtures.file(name));
    RgbImage java = JpegDecoder.decode(bytes, ANY);
    assertNotNull(java, name + " should take the Java decoder");
    RgbImage libjpeg = new ImageDecoder().decodeWithImageIo(bytes, name);
    assertEquals(libjpeg.width(), java.width());
    assertEquals(libjpeg.height(), java.height());
    assertArrayEquals(libjpeg.rgb(), java.rgb(), name);
  }

  @ParameterizedTest
  @ValueSource(strings = {"pil/cmyk_320x240.jpg", "rgb_224x224.png"})
  void declinesWhatItDoesNotDecode(String name) throws Exception {
    assertNull(JpegDecoder.decode(Files.readAllBytes(Fixtures.file(name)), ANY), name);
  }

  /**
   * Damaged files (bytes overwritten at random in the headers and in the scan) either decode or are refused with
   * InvalidInputException naming the file; nothing else escapes, and the Java decoder never loops forever.
   */
  @ParameterizedTest
  @ValueSource(strings = {"rgb_224x224.jpg", "pil/grey_320x240.jpg", "pil/baseline444_320x240.jpg",
      "pil/progressive_320x240.jpg"})
  void damagedJpegsDecodeOrAreRefusedCleanly(String name) throws Exception {
    byte[] original = Files.readAllBytes(Fixtures.file(name));
    java.util.Random r = new java.util.Random(name.hashCode());
    ImageDecoder decoder = new ImageDecoder();
    int refused = 0;
    for (int trial = 0; trial < 150; trial++) {
      byte[] bytes = original.clone();
      int changes = 1 + r.nextInt(4);
      for (int i = 0; i < changes; i++) {
        // Half the damage in the first 700 bytes (tables, frame and scan headers), half anywhere.
        int at = r.nextBoolean() ? r.nextInt(Math.min(700, bytes.length)) : r.nextInt(bytes.length);
        bytes[at] = (byte) r.nextInt(256);
      }
      // The Java decoder itself (taking every layout, as ImageDecoder does not for sequential 4:2:0) never throws:
      // it decodes or declines.
      RgbImage direct = JpegDecoder.decode(bytes, ANY);
      if (direct != null) {
        assertEquals((long) direct.width() * direct.height() * 3, direct.rgb().length);
      }
      try {
        RgbImage image = decoder.decode(bytes, "damaged-" + trial + ".jpg");
        assertEquals((long) image.width() * image.height() * 3, image.rgb().length);
      } catch (io.mmfuse.api.InvalidInputException e) {
        refused++;
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("damaged-" + trial + ".jpg"),
            e.getMessage());
      }
    }
    org.junit.jupiter.api.Assertions.assertTrue(refused > 0, "some damage must be refused");
  }

  /**
   * Writes a JPEG with the JDK's encoder: {@code h} x {@code v} luma sampling (chroma 1x1), an optional restart
   * interval, quality 0.9; the image is a smooth colour pattern with noise so that every coefficient band is used.
   */
  static byte[] jdkJpeg(int width, int height, int h, int v, int restartInterval, boolean grey, long seed)
      throws Exception {
    return jdkJpeg(width, height, h, v, restartInterval, grey, false, seed);
  }

  static byte[] jdkJpeg(int width, int height, int h, int v, int restartInterval, boolean grey, boolean progressive,
      long seed) throws Exception {
    java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(width, height,
        grey ? java.awt.image.BufferedImage.TYPE_BYTE_GRAY : java.awt.image.BufferedImage.TYPE_3BYTE_BGR);
    java.util.Random r = new java.util.Random(seed);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int red = Math.min(255, Math.max(0, x * 255 / width + r.nextInt(61) - 30));
        int green = Math.min(255, Math.max(0, y * 255 / height + r.nextInt(61) - 30));
        int blue = ((x / 5 + y / 3) % 2) * 200 + r.nextInt(40);
        img.setRGB(x, y, (red << 16) | (green << 8) | blue);
      }
    }
    javax.imageio.ImageWriter writer = javax.imageio.ImageIO.getImageWritersByFormatName("jpeg").next();
    javax.imageio.ImageWriteParam param = writer.getDefaultWriteParam();
    param.setCompressionMode(javax.imageio.ImageWriteParam.MODE_EXPLICIT);
    param.setCompressionQuality(0.9f);
    if (progressive) {
      param.setProgressiveMode(javax.imageio.ImageWriteParam.MODE_DEFAULT);
    }
    javax.imageio.metadata.IIOMetadata meta =
        writer.getDefaultImageMetadata(new javax.imageio.ImageTypeSpecifier(img), param);
    String format = "javax_imageio_jpeg_image_1.0";
    org.w3c.dom.Element root = (org.w3c.dom.Element) meta.getAsTree(format);
    org.w3c.dom.Element sequence = (org.w3c.dom.Element) root.getElementsByTagName("markerSequence").item(0);
    org.w3c.dom.NodeList specs = root.getElementsByTagName("componentSpec");
    if (!grey) {
      ((org.w3c.dom.Element) specs.item(0)).setAttribute("HsamplingFactor", Integer.toString(h));
      ((org.w3c.dom.Element) specs.item(0)).setAttribute("VsamplingFactor", Integer.toString(v));
      for (int c = 1; c < specs.getLength(); c++) {
        ((org.w3c.dom.Element) specs.item(c)).setAttribute("HsamplingFactor", "1");
        ((org.w3c.dom.Element) specs.item(c)).setAttribute("VsamplingFactor", "1");
      }
    }
    if (restartInterval > 0) {
      javax.imageio.metadata.IIOMetadataNode dri = new javax.imageio.metadata.IIOMetadataNode("dri");
      dri.setAttribute("interval", Integer.toString(restartInterval));
      sequence.insertBefore(dri, root.getElementsByTagName("sos").item(0));
    }
    meta.setFromTree(format, root);
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try (javax.imageio.stream.ImageOutputStream ios = javax.imageio.ImageIO.createImageOutputStream(out)) {
      writer.setOutput(ios);
      writer.write(null, new javax.imageio.IIOImage(img, null, meta), param);
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }

  /**
   * Every sampling layout the Java decoder takes, odd and tiny sizes, restart markers, sequential and progressive
   * (libjpeg's default progression: spectral selection and successive approximation, DC and AC refinement scans):
   * libjpeg's pixels exactly.
   */
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void samplingLayoutsOddSizesAndRestartsAgreeWithLibjpeg(boolean progressive) throws Exception {
    int[][] layouts = {{1, 1}, {2, 1}, {2, 2}};
    int[][] sizes = {{37, 23}, {64, 48}, {3, 1}, {5, 7}, {121, 9}, {1, 1}};
    int taken = 0;
    int trial = 0;
    for (int[] layout : layouts) {
      for (int[] size : sizes) {
        for (int restart : new int[] {0, 1, 3}) {
          for (boolean grey : new boolean[] {false, true}) {
            if (grey && layout[0] != 1) {
              continue;
            }
            byte[] jpeg = jdkJpeg(size[0], size[1], layout[0], layout[1], restart, grey, progressive, trial++);
            String what = size[0] + "x" + size[1] + " h" + layout[0] + "v" + layout[1] + " restart " + restart
                + (grey ? " grey" : "");
            // The file really has the layout and the restart interval asked for.
            int sof = indexOf(jpeg, progressive ? 0xC2 : 0xC0);
            assertEquals(grey ? 1 : 3, jpeg[sof + 9]);
            assertEquals(grey ? 0x11 : layout[0] << 4 | layout[1], jpeg[sof + 11] & 0xff, what);
            assertEquals(restart > 0, indexOf(jpeg, 0xDD) > 0, what);
            RgbImage java = JpegDecoder.decode(jpeg, ANY);
            RgbImage libjpeg = new ImageDecoder().decodeWithImageIo(jpeg, what);
            boolean narrowChroma = layout[0] == 2 && (size[0] + 1) / 2 <= 2;
            if (narrowChroma) {
              assertNull(java, what + ": chroma 2 samples wide or less is left to libjpeg");
              continue;
            }
            assertNotNull(java, what);
            taken++;
            assertArrayEquals(libjpeg.rgb(), java.rgb(), what);
          }
        }
      }
    }
    assertEquals(60, taken);
  }

  /** The position of the first marker FF {@code marker} before the first scan, or -1. */
  private static int indexOf(byte[] jpeg, int marker) {
    int p = 2;
    while (p + 4 < jpeg.length && (jpeg[p] & 0xff) == 0xFF) {
      int m = jpeg[p + 1] & 0xff;
      if (m == marker) {
        return p;
      }
      if (m == 0xDA) {
        return -1;
      }
      p += 2 + (((jpeg[p + 2] & 0xff) << 8) | (jpeg[p + 3] & 0xff));
    }
    return -1;
  }

  /** Layouts left to libjpeg (4:4:0, where libjpeg versions differ) and frames beyond one Java array are declined. */
  @org.junit.jupiter.api.Test
  void declinesOtherLayoutsAndFramesTooLargeForAnArray() throws Exception {
    byte[] h1v2 = jdkJpeg(40, 30, 1, 2, 0, false, 1);
    assertEquals(0x12, h1v2[indexOf(h1v2, 0xC0) + 11] & 0xff);
    assertNull(JpegDecoder.decode(h1v2, ANY));
    assertNotNull(new ImageDecoder().decode(h1v2, "h1v2.jpg"));

    byte[] huge = Files.readAllBytes(Fixtures.file("china.jpg"));
    int sof = indexOf(huge, 0xC0);
    for (int i = 5; i <= 8; i += 2) {
      huge[sof + i] = (byte) 0xB5; // 46341 x 46341 (0xB505), with a pixel limit that lets it through: one plane
      huge[sof + i + 1] = 0x05; // would need more than 2^31 bytes
    }
    assertNull(JpegDecoder.decode(huge, ANY));
  }
}
