package io.mmfuse.modality.image;

import io.mmfuse.api.InvalidInputException;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes PNG, JPEG (baseline, progressive, CMYK), GIF and BMP: progressive and grey or 4:4:4 sequential JPEGs with
 * mmfuse's {@link JpegDecoder}, everything else with ImageIO (the JDK's libjpeg for the other JPEGs, TwelveMonkeys
 * for the JPEGs the JDK cannot read), then converts to RGB the way PIL's {@code convert("RGB")} does: grey
 * replicated, alpha dropped (not composited), palettes expanded, 16-bit grey clipped at 255 and 16-bit colour reduced
 * to its high byte, no colour management. The pixel count declared in the header is checked before any pixel is
 * decoded.
 */
public final class ImageDecoder {
  /** PIL's default limit on the pixels of one image. */
  public static final long DEFAULT_MAX_PIXELS = 89_478_485L;

  static {
    ImageIO.setUseCache(false);
    ImageIO.scanForPlugins();
  }

  /**
   * The JDK's JPEG reader, found once: looking readers up through {@link ImageIO#getImageReaders} for every image
   * walks the whole plugin registry under a lock (most of a worker thread's time on 320x240 photographs).
   */
  private static final javax.imageio.spi.ImageReaderSpi JDK_JPEG = jdkJpeg();

  private final long maxPixels;

  public ImageDecoder() {
    this(DEFAULT_MAX_PIXELS);
  }

  /** A decoder that refuses images whose header declares more than {@code maxPixels} pixels. */
  public ImageDecoder(long maxPixels) {
    if (maxPixels <= 0) {
      throw new IllegalArgumentException("max pixels must be > 0, found " + maxPixels);
    }
    this.maxPixels = maxPixels;
  }

  /** Decodes an image file. */
  public RgbImage decode(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new InvalidInputException("image " + file + ": cannot be read: " + e, e);
    }
    return decode(bytes, file.toString());
  }

  /** Decodes an image from a stream; {@code name} names it in errors. */
  public RgbImage decode(InputStream in, String name) {
    try {
      return decode(in.readAllBytes(), name);
    } catch (IOException e) {
      throw new InvalidInputException("image " + name + ": cannot be read: " + e, e);
    }
  }

  /** Decodes encoded image bytes; {@code name} names them in errors. */
  public RgbImage decode(byte[] bytes, String name) {
    if (bytes.length == 0) {
      throw new InvalidInputException("image " + name + ": the file is empty (0 bytes); expected an image");
    }
    // mmfuse's JpegDecoder takes 4:4:4 and grey sequential JPEGs and every progressive one it can; sequential
    // JPEGs with subsampled chroma go to the JDK's libjpeg, which is faster at those (a 640x480 4:2:0 photo:
    // 3.4 ms against 4.1 on the 2-core machine); both give the same pixels (JpegDecoderTest).
    RgbImage jpeg = JpegDecoder.decode(bytes, (width, height) -> checkSize(width, height, name), false);
    return jpeg != null ? jpeg : decodeWithImageIo(bytes, name);
  }

  private static javax.imageio.spi.ImageReaderSpi jdkJpeg() {
    Iterator<javax.imageio.spi.ImageReaderSpi> it = javax.imageio.spi.IIORegistry.getDefaultInstance()
        .getServiceProviders(javax.imageio.spi.ImageReaderSpi.class, true);
    while (it.hasNext()) {
      javax.imageio.spi.ImageReaderSpi spi = it.next();
      if (spi.getClass().getName().startsWith("com.sun.imageio.plugins.jpeg")) {
        return spi;
      }
    }
    return null;
  }

  /** The general path: ImageIO's readers (the JDK's, TwelveMonkeys'), for every format and every kind of JPEG. */
  RgbImage decodeWithImageIo(byte[] bytes, String name) {
    // In memory, as ImageIO.createImageInputStream gives with the cache off, without its registry lookup.
    try (ImageInputStream in = new javax.imageio.stream.MemoryCacheImageInputStream(
        new ByteArrayInputStream(bytes))) {
      if (bytes.length > 2 && (bytes[0] & 0xFF) == 0xFF && (bytes[1] & 0xFF) == 0xD8) {
        RgbImage fast = decodeJpegRaster(in, name);
        if (fast != null) {
          return fast;
        }
        in.seek(0);
      }
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        throw new InvalidInputException(
            "image " + name + ": not a supported image format (" + signature(bytes)
                + "); expected PNG, JPEG, GIF or BMP");
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        checkSize(reader.getWidth(0), reader.getHeight(0), name);
        if (isCmykJpeg(reader)) {
          return cmykToRgb(reader.readRaster(0, null), adobeInverted(reader));
        }
        List<String> warnings = new ArrayList<>();
        reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
        BufferedImage image = reader.read(0);
        checkTruncation(warnings, name);
        return toRgb(image, name);
      } finally {
        reader.dispose();
      }
    } catch (InvalidInputException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new InvalidInputException(
          "image " + name + ": cannot be decoded (truncated or corrupt?): " + e.getMessage(), e);
    }
  }

  /** Sees an image's declared size before its pixels are decoded; throws to refuse it. */
  @FunctionalInterface
  interface SizeCheck {
    void check(int width, int height);
  }

  private void checkSize(int width, int height, String name) {
    if (width <= 0 || height <= 0) {
      throw new InvalidInputException(
          "image " + name + ": " + width + "x" + height + " pixels; expected at least 1x1");
    }
    if ((long) width * height > maxPixels) {
      throw new InvalidInputException(
          "image " + name + ": " + width + "x" + height + " = " + (long) width * height
              + " pixels is more than the limit of " + maxPixels + " (a decompression bomb?)");
    }
  }

  // libjpeg's YCbCr to RGB tables (jdcolor.c), 16-bit fixed point: the same integers PIL's decoder uses.
  static final int[] CR_R = new int[256];
  static final int[] CB_B = new int[256];
  static final int[] CR_G = new int[256];
  static final int[] CB_G = new int[256];

  static {
    for (int i = 0; i < 256; i++) {
      int x = i - 128;
      CR_R[i] = (int) ((91881L * x + 32768) >> 16);
      CB_B[i] = (int) ((116130L * x + 32768) >> 16);
      CR_G[i] = -46802 * x;
      CB_G[i] = -22554 * x + 32768;
    }
  }

  private static int clamp8(int v) {
    return (v & ~0xff) == 0 ? v : (~v >> 31) & 0xff;
  }

  /**
   * The fast path for ordinary JPEGs: the JDK's decoder gives the raw, upsampled YCbCr (or grey) samples without
   * building a BufferedImage, and the colour conversion is done here with libjpeg's own integer tables. Returns null
   * for JPEGs it does not handle (CMYK, YCCK, unusual layouts), which take the general path.
   */
  private RgbImage decodeJpegRaster(ImageInputStream in, String name) throws IOException {
    in.seek(0);
    if (JDK_JPEG == null) {
      return null;
    }
    ImageReader jdk = JDK_JPEG.createReaderInstance();
    try {
      String colorSpace = jpegColorSpace(in);
      in.seek(0);
      jdk.setInput(in, true, false);
      // The declared size is refused before a pixel is decoded.
      checkSize(jdk.getWidth(0), jdk.getHeight(0), name);
      Raster raster;
      List<String> warnings = new ArrayList<>();
      jdk.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
      if (!colorSpace.equals("YCbCr") && !colorSpace.equals("GRAY") && !colorSpace.equals("RGB")) {
        in.seek(0);
        return null;
      }
      raster = jdk.readRaster(0, null);
      checkTruncation(warnings, name);
      int bands = raster.getNumBands();
      if (!(raster.getDataBuffer() instanceof DataBufferByte db)
          || !(raster.getSampleModel() instanceof ComponentSampleModel sm)
          || sm.getPixelStride() != bands || (bands != 1 && bands != 3)
          || (colorSpace.equals("GRAY") != (bands == 1))) {
        in.seek(0);
        return null;
      }
      int w = raster.getWidth();
      int h = raster.getHeight();
      byte[] src = db.getData();
      int[] offsets = sm.getBandOffsets();
      int stride = sm.getScanlineStride();
      int base = db.getOffset() - (raster.getSampleModelTranslateY() * stride + raster.getSampleModelTranslateX() * bands);
      byte[] out = new byte[w * h * 3];
      int o = 0;
      for (int y = 0; y < h; y++) {
        int p = base + y * stride;
        if (bands == 1) {
          for (int x = 0; x < w; x++, p++) {
            byte g = src[p + offsets[0]];
            out[o++] = g;
            out[o++] = g;
            out[o++] = g;
          }
        } else if (colorSpace.equals("RGB")) {
          for (int x = 0; x < w; x++, p += 3) {
            out[o++] = src[p + offsets[0]];
            out[o++] = src[p + offsets[1]];
            out[o++] = src[p + offsets[2]];
          }
        } else {
          int o0 = offsets[0];
          int o1 = offsets[1];
          int o2 = offsets[2];
          for (int x = 0; x < w; x++, p += 3) {
            int luma = src[p + o0] & 0xff;
            int cb = src[p + o1] & 0xff;
            int cr = src[p + o2] & 0xff;
            out[o++] = (byte) clamp8(luma + CR_R[cr]);
            out[o++] = (byte) clamp8(luma + ((CB_G[cb] + CR_G[cr]) >> 16));
            out[o++] = (byte) clamp8(luma + CB_B[cb]);
          }
        }
      }
      return new RgbImage(w, h, out);
    } finally {
      jdk.dispose();
    }
  }

  /**
   * The colour space of a JPEG's samples as libjpeg (and so PIL) decides it
   * ({@link JpegDecoder#libjpegColorSpace}), read from the markers before the frame header; 12-bit samples or no
   * frame header give "", the general path. The JDK's metadata answers with its own inference, which is
   * not libjpeg's in every case (and it is libjpeg's that decides what PIL decodes).
   */
  static String jpegColorSpace(ImageInputStream in) throws IOException {
    in.seek(0);
    if (in.readUnsignedShort() != 0xFFD8) {
      return "";
    }
    boolean jfif = false;
    int adobeTransform = -1;
    while (true) {
      int b = in.read();
      if (b < 0) {
        return "";
      }
      if (b != 0xFF) {
        continue;
      }
      int marker = in.read();
      while (marker == 0xFF) {
        marker = in.read();
      }
      if (marker < 0 || marker == 0xD9 || marker == 0xDA) {
        return ""; // end of image or start of scan before any frame header
      }
      if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
        continue; // markers without a length
      }
      int length = in.readUnsignedShort();
      long next = in.getStreamPosition() + length - 2;
      if (marker == 0xE0 && length >= 16) {
        byte[] id = new byte[5];
        in.readFully(id);
        jfif |= new String(id, java.nio.charset.StandardCharsets.ISO_8859_1).equals("JFIF\0");
      } else if (marker == 0xEE && length >= 14) {
        byte[] id = new byte[12];
        in.readFully(id);
        if (new String(id, 0, 5, java.nio.charset.StandardCharsets.ISO_8859_1).equals("Adobe")) {
          adobeTransform = id[11] & 0xff;
        }
      } else if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
        int precision = in.read();
        in.readUnsignedShort();
        in.readUnsignedShort();
        int components = in.read();
        if (precision != 8) {
          return "";
        }
        if (components != 3) {
          return JpegDecoder.libjpegColorSpace(components, jfif, adobeTransform, null);
        }
        int[] ids = new int[3];
        for (int c = 0; c < 3; c++) {
          ids[c] = in.read();
          in.readUnsignedShort();
        }
        return JpegDecoder.libjpegColorSpace(components, jfif, adobeTransform, ids);
      }
      in.seek(next);
    }
  }

  private static void checkTruncation(List<String> warnings, String name) {
    for (String w : warnings) {
      // PIL refuses a truncated file; the JDK's JPEG reader only warns and fills the rest with grey.
      if (w.toLowerCase(java.util.Locale.ROOT).contains("premature end")) {
        throw new InvalidInputException("image " + name + ": the file is truncated (" + w + ")");
      }
    }
  }

  private static String signature(byte[] bytes) {
    StringBuilder sb = new StringBuilder("starts with");
    for (int i = 0; i < Math.min(4, bytes.length); i++) {
      sb.append(String.format(" %02x", bytes[i] & 0xff));
    }
    return sb.toString();
  }

  private static boolean isCmykJpeg(ImageReader reader) throws IOException {
    if (!reader.getFormatName().equalsIgnoreCase("jpeg")) {
      return false;
    }
    var types = reader.getImageTypes(0);
    if (types.hasNext()) {
      ColorSpace cs = types.next().getColorModel().getColorSpace();
      return cs.getType() == ColorSpace.TYPE_CMYK;
    }
    return false;
  }

  /** Adobe's CMYK JPEGs store inverted values (PIL reads them with raw mode "CMYK;I"). */
  private static boolean adobeInverted(ImageReader reader) throws IOException {
    var meta = reader.getImageMetadata(0);
    if (meta == null) {
      return false;
    }
    try {
      var root = (org.w3c.dom.Node) meta.getAsTree("javax_imageio_jpeg_image_1.0");
      return findNode(root, "app14Adobe") != null;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static org.w3c.dom.Node findNode(org.w3c.dom.Node n, String name) {
    if (n.getNodeName().equals(name)) {
      return n;
    }
    for (org.w3c.dom.Node c = n.getFirstChild(); c != null; c = c.getNextSibling()) {
      org.w3c.dom.Node f = findNode(c, name);
      if (f != null) {
        return f;
      }
    }
    return null;
  }

  /** PIL's {@code cmyk2rgb}: each channel is (255 - K) - C*(255 - K)/255, rounded as PIL rounds. */
  static RgbImage cmykToRgb(Raster raster, boolean inverted) {
    int w = raster.getWidth();
    int h = raster.getHeight();
    byte[] out = new byte[w * h * 3];
    int[] px = new int[4];
    int o = 0;
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        raster.getPixel(raster.getMinX() + x, raster.getMinY() + y, px);
        int k = inverted ? 255 - px[3] : px[3];
        int nk = 255 - k;
        for (int c = 0; c < 3; c++) {
          int v = inverted ? 255 - px[c] : px[c];
          out[o++] = (byte) clip8(nk - mulDiv255(v, nk));
        }
      }
    }
    return new RgbImage(w, h, out);
  }

  private static int mulDiv255(int a, int b) {
    int tmp = a * b + 128;
    return ((tmp >> 8) + tmp) >> 8;
  }

  private static int clip8(int v) {
    return v < 0 ? 0 : Math.min(v, 255);
  }

  /** Converts a decoded image to 8-bit RGB without colour management, as PIL would. */
  static RgbImage toRgb(BufferedImage image, String name) {
    int w = image.getWidth();
    int h = image.getHeight();
    byte[] out = new byte[w * h * 3];
    ColorModel cm = image.getColorModel();
    Raster r = image.getRaster();
    int bands = r.getNumBands();
    int type = r.getDataBuffer().getDataType();
    if (cm instanceof IndexColorModel icm) {
      int[] idx = new int[w];
      for (int y = 0; y < h; y++) {
        r.getSamples(0, y, w, 1, 0, idx);
        for (int x = 0; x < w; x++) {
          int o = (y * w + x) * 3;
          out[o] = (byte) icm.getRed(idx[x]);
          out[o + 1] = (byte) icm.getGreen(idx[x]);
          out[o + 2] = (byte) icm.getBlue(idx[x]);
        }
      }
      return new RgbImage(w, h, out);
    }
    int csType = cm.getColorSpace().getType();
    boolean sixteen = type == DataBuffer.TYPE_USHORT;
    if ((type == DataBuffer.TYPE_BYTE || sixteen) && cm.getNumComponents() == bands) {
      if (csType == ColorSpace.TYPE_GRAY && (bands == 1 || bands == 2)) {
        // 16-bit grey alone is PIL mode I;16, clipped at 255; with alpha it is LA read by its high byte.
        int[] g = new int[w];
        for (int y = 0; y < h; y++) {
          r.getSamples(0, y, w, 1, 0, g);
          for (int x = 0; x < w; x++) {
            int v = !sixteen ? g[x] : bands == 1 ? Math.min(g[x], 255) : g[x] >> 8;
            int o = (y * w + x) * 3;
            out[o] = out[o + 1] = out[o + 2] = (byte) v;
          }
        }
        return new RgbImage(w, h, out);
      }
      if (csType == ColorSpace.TYPE_RGB && (bands == 3 || bands == 4)) {
        int shift = sixteen ? 8 : 0;
        int[] c = new int[w];
        for (int band = 0; band < 3; band++) {
          for (int y = 0; y < h; y++) {
            r.getSamples(0, y, w, 1, band, c);
            for (int x = 0; x < w; x++) {
              out[(y * w + x) * 3 + band] = (byte) (c[x] >> shift);
            }
          }
        }
        return new RgbImage(w, h, out);
      }
    }
    // Packed formats (BMP 16/32-bit and the like): the colour model's sRGB values.
    int[] argb = new int[w];
    for (int y = 0; y < h; y++) {
      image.getRGB(0, y, w, 1, argb, 0, w);
      for (int x = 0; x < w; x++) {
        int o = (y * w + x) * 3;
        out[o] = (byte) (argb[x] >> 16);
        out[o + 1] = (byte) (argb[x] >> 8);
        out[o + 2] = (byte) argb[x];
      }
    }
    return new RgbImage(w, h, out);
  }
}
