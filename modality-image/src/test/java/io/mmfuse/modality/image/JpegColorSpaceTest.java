package io.mmfuse.modality.image;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import javax.imageio.ImageIO;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.Test;

/** The colour space read from a JPEG's markers follows libjpeg's rules (jdapimin.c), which PIL decodes by. */
class JpegColorSpaceTest {
  private static byte[] jpeg(boolean jfif, int adobeTransform, int precision, int... componentIds) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(0xFF);
    b.write(0xD8);
    if (jfif) {
      b.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0});
    }
    if (adobeTransform >= 0) {
      b.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xEE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0,
          (byte) adobeTransform});
    }
    // A comment with a stray 0xFF inside, skipped by its length.
    b.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xFE, 0, 5, (byte) 0xFF, (byte) 0xC0, 9});
    int n = componentIds.length;
    b.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xC2, 0, (byte) (8 + 3 * n), (byte) precision, 0, 8, 0, 8,
        (byte) n});
    for (int id : componentIds) {
      b.writeBytes(new byte[] {(byte) id, 0x11, 0});
    }
    b.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xDA});
    return b.toByteArray();
  }

  private static String colorSpace(byte[] bytes) throws Exception {
    try (ImageInputStream in = ImageIO.createImageInputStream(new java.io.ByteArrayInputStream(bytes))) {
      return ImageDecoder.jpegColorSpace(in);
    }
  }

  @Test
  void followsLibjpeg() throws Exception {
    assertEquals("YCbCr", colorSpace(jpeg(true, -1, 8, 'R', 'G', 'B')), "JFIF wins over component ids");
    assertEquals("RGB", colorSpace(jpeg(false, 0, 8, 1, 2, 3)), "Adobe transform 0");
    assertEquals("YCbCr", colorSpace(jpeg(false, 1, 8, 'R', 'G', 'B')), "Adobe transform 1");
    assertEquals("RGB", colorSpace(jpeg(false, -1, 8, 'R', 'G', 'B')), "component ids R, G, B");
    assertEquals("YCbCr", colorSpace(jpeg(false, -1, 8, 1, 2, 3)));
    assertEquals("YCbCr", colorSpace(jpeg(false, -1, 8, 7, 8, 9)), "unknown ids: libjpeg assumes YCbCr");
    assertEquals("GRAY", colorSpace(jpeg(true, -1, 8, 1)));
    assertEquals("", colorSpace(jpeg(false, 2, 8, 1, 2, 3, 4)), "four components take the general path");
    assertEquals("", colorSpace(jpeg(true, -1, 12, 1, 2, 3)), "12-bit samples take the general path");
    assertEquals("", colorSpace(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xDA}), "no frame");
  }
}
