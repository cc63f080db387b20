package io.mmfuse.modality.image;

import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.Limits;
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
  private final boolean loadTruncated;

  public ImageDecoder() {
    this(DEFAULT_MAX_PIXELS);
  }

  /** A decoder that refuses images whose header declares more than {@code maxPixels} pixels. */
  public ImageDecoder(long maxPixels) {
    this(maxPixels, false);
  }

  /**
   * A decoder that refuses images whose header declares more than {@code maxPixels} pixels and, unless {@code
   * loadTruncated} (PIL's {@code ImageFile.LOAD_TRUNCATED_IMAGES}), files that end before their image does: a JPEG
   * without its end-of-image marker or whose last scan stops short. Truncated files that are decoded get what the
   * decoder fills in for the missing part (libjpeg: grey).
   */
  public ImageDecoder(long maxPixels, boolean loadTruncated) {
    if (maxPixels <= 0) {
      throw new IllegalArgumentException("max pixels must be > 0, found " + maxPixels);
    }
    this.maxPixels = maxPixels;
    this.loadTruncated = loadTruncated;
  }

  /** Decodes an image file. */
  public RgbImage decode(Path file) {
    byte[] bytes;
    try {
      bytes = Limits.read(file, Limits.IMAGE_BYTES, m -> new InvalidInputException("image " + file + " " + m));
    } catch (IOException e) {
      throw new InvalidInputException("image " + file + ": cannot be read: " + e, e);
    }
    return decode(bytes, file.toString());
  }

  /** Decodes an image from a stream; {@code name} names it in errors. */
  public RgbImage decode(InputStream in, String name) {
    try {
      return decode(Limits.read(in, Limits.IMAGE_BYTES, m -> new InvalidInputException("image " + name + " " + m)),
          name);
    } catch (IOException e) {
      throw new InvalidInputException("image " + name + ": cannot be read: " + e, e);
    }
  }

  /** Decodes encoded image bytes; {@code name} names them in errors. */
  public RgbImage decode(byte[] bytes, String name) {
    if (bytes.length == 0) {
      throw new InvalidInputException("image " + name + ": the file is empty (0 bytes); expected an image");
    }
    if (Limits.IMAGE_BYTES.exceeded(bytes.length)) {
      throw new InvalidInputException("image " + name + " has " + Limits.IMAGE_BYTES.refusal(bytes.length));
    }
    // mmfuse's JpegDecoder takes 4:4:4 and grey sequential JPEGs and every progressive one it can; sequential
    // JPEGs with subsampled chroma go to the JDK's libjpeg, which is faster at those (a 640x480 4:2:0 photo:
    // 3.4 ms against 4.1 on the 2-core machine); both give the same pixels (JpegDecoderTest).
    boolean complete = complete(bytes);
    if (bytes.length > 2 && (bytes[0] & 0xFF) == 0xFF && (bytes[1] & 0xFF) == 0xD8) {
      complete = JpegStructure.check(bytes, name, loadTruncated).complete();
    }
    RgbImage jpeg = complete ? JpegDecoder.decode(bytes, (width, height) -> checkSize(width, height, name), false)
        : null;
    return jpeg != null ? jpeg : decodeWithImageIo(bytes, name, complete);
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
    return decodeWithImageIo(bytes, name, true);
  }

  private RgbImage decodeWithImageIo(byte[] bytes, String name, boolean complete) {
    // In memory, as ImageIO.createImageInputStream gives with the cache off, without its registry lookup.
    try (ImageInputStream in = new javax.imageio.stream.MemoryCacheImageInputStream(
        new ByteArrayInputStream(bytes))) {
      if (bytes.length > 2 && (bytes[0] & 0xFF) == 0xFF && (bytes[1] & 0xFF) == 0xD8) {
        RgbImage fast = decodeJpegRaster(in, name, complete);
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
        checkTruncation(warnings, name, complete);
        String format = reader.getFormatName().toLowerCase(java.util.Locale.ROOT);
        if (format.equals("gif")) {
          return gifOnCanvas(bytes, reader, image, name);
        }
        return toRgb(image, name, format.equals("png") && isGrey16Png(bytes));
      } finally {
        reader.dispose();
      }
    } catch (InvalidInputException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      // A file whose bytes all arrived (a JPEG's end marker is there) is corrupt; one that stops short, truncated.
      throw new InvalidInputException("image " + name + ": " + (complete ? "corrupt" : "truncated") + " "
          + formatName(bytes) + " data, which the decoder refused: " + describe(e), e);
    }
  }

  /** What went wrong, in words: the first message in the chain, with its kind where the message alone says little. */
  static String describe(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String m = t.getMessage();
      if (m == null || m.isBlank() || m.startsWith("Caught exception during read") && t.getCause() != null) {
        continue;
      }
      if (m.strip().matches("-?\\d+")) {
        return t.getClass().getSimpleName() + " " + m.strip();
      }
      return m.strip();
    }
    return e.getClass().getSimpleName() + " (no message)";
  }

  private static String formatName(byte[] b) {
    if (b.length > 2 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xD8) {
      return "JPEG";
    }
    if (b.length > 3 && b[0] == (byte) 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
      return "PNG";
    }
    if (b.length > 2 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F') {
      return "GIF";
    }
    if (b.length > 1 && b[0] == 'B' && b[1] == 'M') {
      return "BMP";
    }
    return "image";
  }

  /**
   * Whether the file's bytes all arrived, as far as its format tells: a PNG with its IEND chunk, a GIF with its
   * trailer, a BMP as long as its header says (a JPEG is walked by {@link JpegStructure}).
   */
  private static boolean complete(byte[] b) {
    String f = formatName(b);
    int n = b.length;
    return switch (f) {
      case "PNG" -> n >= 12 && indexOf(b, "IEND".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
          Math.max(8, n - 64)) >= 0;
      case "GIF" -> b[n - 1] == 0x3B || b[n - 2] == 0x3B;
      case "BMP" -> n < 6 || n >= ((b[2] & 0xff) | (b[3] & 0xff) << 8 | (b[4] & 0xff) << 16 | (b[5] & 0xff) << 24);
      default -> true;
    };
  }

  private static int indexOf(byte[] b, byte[] what, int from) {
    outer:
    for (int i = from; i + what.length <= b.length; i++) {
      for (int j = 0; j < what.length; j++) {
        if (b[i + j] != what[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  /** A 16-bit greyscale PNG (colour type 0): PIL reads it as mode I and clips at 255, with or without tRNS. */
  private static boolean isGrey16Png(byte[] b) {
    return b.length > 25 && b[12] == 'I' && b[13] == 'H' && b[14] == 'D' && b[15] == 'R' && b[24] == 16
        && b[25] == 0;
  }

  /**
   * A GIF's first frame as PIL gives it: on the logical screen (which may be larger than the frame), the frame at
   * its offset, the rest filled with the palette's colour of the transparent index, or of index 0.
   */
  private RgbImage gifOnCanvas(byte[] bytes, ImageReader reader, BufferedImage frame, String name)
      throws IOException {
    RgbImage rgb = toRgb(frame, name, false);
    if (bytes.length < 10) {
      return rgb;
    }
    int cw = (bytes[6] & 0xff) | (bytes[7] & 0xff) << 8;
    int ch = (bytes[8] & 0xff) | (bytes[9] & 0xff) << 8;
    int left = 0;
    int top = 0;
    var meta = reader.getImageMetadata(0);
    if (meta != null) {
      org.w3c.dom.Node d = findNode((org.w3c.dom.Node) meta.getAsTree(meta.getNativeMetadataFormatName()),
          "ImageDescriptor");
      if (d instanceof org.w3c.dom.Element e) {
        left = Integer.parseInt(e.getAttribute("imageLeftPosition"));
        top = Integer.parseInt(e.getAttribute("imageTopPosition"));
      }
    }
    if (cw <= 0 || ch <= 0 || (cw == rgb.width() && ch == rgb.height() && left == 0 && top == 0)) {
      return rgb;
    }
    checkSize(cw, ch, name);
    byte[] out = new byte[cw * ch * 3];
    if (frame.getColorModel() instanceof IndexColorModel icm) {
      int fill = Math.max(0, icm.getTransparentPixel());
      for (int i = 0; i < cw * ch; i++) {
        out[3 * i] = (byte) icm.getRed(fill);
        out[3 * i + 1] = (byte) icm.getGreen(fill);
        out[3 * i + 2] = (byte) icm.getBlue(fill);
      }
    }
    for (int y = 0; y < rgb.height() && top + y < ch; y++) {
      int n = Math.min(rgb.width(), cw - left);
      if (n > 0) {
        System.arraycopy(rgb.rgb(), y * rgb.width() * 3, out, ((top + y) * cw + left) * 3, n * 3);
      }
    }
    return new RgbImage(cw, ch, out);
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
    long pixels = (long) width * height;
    if (pixels > maxPixels) {
      throw new InvalidInputException(
          "image " + name + ": " + width + "x" + height + " = " + pixels
              + " pixels is more than the limit of " + maxPixels + " (a decompression bomb?)");
    }
    if (Limits.IMAGE_PIXELS.exceeded(pixels)) {
      throw new InvalidInputException("image " + name + ": " + width + "x" + height + " = "
          + Limits.IMAGE_PIXELS.refusal(pixels));
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
  private RgbImage decodeJpegRaster(ImageInputStream in, String name, boolean complete) throws IOException {
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
      checkTruncation(warnings, name, complete);
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

  private void checkTruncation(List<String> warnings, String name, boolean complete) {
    if (loadTruncated) {
      return;
    }
    for (String w : warnings) {
      // PIL refuses an image whose data stops short; the JDK's JPEG reader only warns and fills the rest with grey.
      // In a file that ends with its end marker, it is a scan that stops short: the data is corrupt.
      if (w.toLowerCase(java.util.Locale.ROOT).contains("premature end")) {
        throw new InvalidInputException("image " + name + ": " + (complete
            ? "corrupt JPEG: a scan's coded data ends before its blocks do (libjpeg: " + w + ")"
            : "the file is truncated (" + w + ")"));
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
    return toRgb(image, name, false);
  }

  /**
   * As {@link #toRgb(BufferedImage, String)}; {@code grey16Clip}: a 16-bit grey PNG, whose first band PIL clips at
   * 255 even where the JDK adds an alpha band for its tRNS chunk.
   */
  static RgbImage toRgb(BufferedImage image, String name, boolean grey16Clip) {
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
    if (grey16Clip && sixteen && csType == ColorSpace.TYPE_GRAY) {
      int[] g = new int[w];
      for (int y = 0; y < h; y++) {
        r.getSamples(0, y, w, 1, 0, g);
        for (int x = 0; x < w; x++) {
          int o = (y * w + x) * 3;
          out[o] = out[o + 1] = out[o + 2] = (byte) Math.min(g[x], 255);
        }
      }
      return new RgbImage(w, h, out);
    }
    if (cm instanceof java.awt.image.DirectColorModel dcm) {
      return packedToRgb(image, dcm);
    }
    if ((type == DataBuffer.TYPE_BYTE || sixteen) && cm.getNumComponents() == bands
        && r.getSampleModel() instanceof ComponentSampleModel) {
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
    // Anything else: the colour model's sRGB values.
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

  /**
   * Pixels packed in one int or short by bit masks (BMP's 16- and 32-bit formats: 5-6-5, 5-5-5, 8-8-8): each field
   * scaled to 8 bits as PIL's unpackers do ({@code v * 255 / max}, truncated), alpha dropped.
   */
  private static RgbImage packedToRgb(BufferedImage image, java.awt.image.DirectColorModel cm) {
    int w = image.getWidth();
    int h = image.getHeight();
    int[] masks = {cm.getRedMask(), cm.getGreenMask(), cm.getBlueMask()};
    int[] shifts = new int[3];
    int[] max = new int[3];
    for (int c = 0; c < 3; c++) {
      shifts[c] = masks[c] == 0 ? 0 : Integer.numberOfTrailingZeros(masks[c]);
      max[c] = masks[c] == 0 ? 1 : masks[c] >>> shifts[c];
    }
    byte[] out = new byte[w * h * 3];
    Raster r = image.getRaster();
    Object pixel = null;
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        pixel = r.getDataElements(x, y, pixel);
        int v = pixel instanceof int[] a ? a[0] : pixel instanceof short[] a ? a[0] & 0xffff : ((byte[]) pixel)[0] & 0xff;
        int o = (y * w + x) * 3;
        for (int c = 0; c < 3; c++) {
          int field = (v & masks[c]) >>> shifts[c];
          out[o + c] = (byte) (max[c] == 255 ? field : field * 255 / max[c]);
        }
      }
    }
    return new RgbImage(w, h, out);
  }
}
