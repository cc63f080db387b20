package io.mmfuse.modality.image;

import java.util.Arrays;

/**
 * Huffman-coded JPEGs, sequential (baseline, extended) and progressive, with 8-bit grey, YCbCr or RGB samples,
 * decoded in Java with libjpeg's arithmetic, so that the pixels are those PIL gets from libjpeg-turbo: the "islow"
 * integer inverse DCT (13-bit constants, 2 extra bits in the first pass, libjpeg's post-IDCT range table), "fancy"
 * triangular upsampling of 2x1 and 2x2 subsampled chroma (edge rows and columns replicated as libjpeg's context rows
 * do), and libjpeg's fixed-point YCbCr tables. Progressive scans (spectral selection, successive approximation,
 * end-of-band runs) follow libjpeg's jdphuff.c into per-block coefficient buffers, transformed at the end.
 *
 * <p>{@link #decode} returns null for anything else (arithmetic coding, lossless, 12-bit samples, CMYK, other
 * subsampling layouts, subsampled RGB, chroma two samples wide or less, a colour image split into several
 * sequential scans, frames beyond one Java array, a progression libjpeg would warn about, a scan that stops early
 * or runs into a marker, restart markers out of order): the caller then takes the general ImageIO path, which
 * decides how such files are read or refused. It never returns an image built from data it had to invent.
 */
final class JpegDecoder {
  /** Natural (row-major) index of the k-th coefficient in zigzag order. */
  private static final int[] NATURAL = {
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
    28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61,
    54, 47, 55, 62, 63
  };

  /**
   * libjpeg's post-IDCT range limit (jdmaster.c): indexed by the descaled value masked to 10 bits, it adds the
   * centre 128 and clamps, wrapping as libjpeg does for values far outside the legal range.
   */
  private static final byte[] RANGE = new byte[1024];

  static {
    for (int i = 0; i < 1024; i++) {
      int v = i < 128 ? i + 128 : i < 512 ? 255 : i < 896 ? 0 : i - 896;
      RANGE[i] = (byte) v;
    }
  }

  /** Thrown inside the decoder when the file leaves the cases this decoder takes; decode() then returns null. */
  private static final class Decline extends Exception {
    Decline() {
      super(null, null, false, false);
    }
  }

  private static final Decline DECLINE = new Decline();

  private final byte[] d;
  private final int n;
  private final ImageDecoder.SizeCheck sizeCheck;

  private final int[][] quant = new int[4][];
  private final Huffman[] dcTables = new Huffman[4];
  private final Huffman[] acTables = new Huffman[4];
  private int restartInterval;
  private final boolean sequentialSubsampled;
  private boolean jfif;
  private int adobeTransform = -1;

  // Frame
  private int width;
  private int height;
  private int components;
  private int[] ids;
  private int[] hs;
  private int[] vs;
  private int[] tq;
  private int hmax;
  private int vmax;
  private int mcusX;
  private int mcusY;
  private byte[][] planes;
  private int[] strides;
  private boolean[] scanned;
  // Progressive frames: every block's coefficients (natural order, not dequantized) until the end of the image,
  // the successive-approximation bit each coefficient has reached (libjpeg's coef_bits), and each component's
  // quantization table as it was at its first scan (libjpeg latches it there).
  private short[][] coefficients;
  private int[][] coefBits;
  private int[][] latchedQuant;
  private int eobRun;

  // Entropy decoder state
  private int pos;
  private long bits;
  private int count;
  private boolean atMarker;
  private int padBits;
  private final int[] block = new int[64];
  private final int[] work = new int[64];

  private JpegDecoder(byte[] data, ImageDecoder.SizeCheck sizeCheck, boolean sequentialSubsampled) {
    this.d = data;
    this.n = data.length;
    this.sizeCheck = sizeCheck;
    this.sequentialSubsampled = sequentialSubsampled;
  }

  /**
   * Decodes {@code data} or returns null when the file is not one this decoder takes. {@code sizeCheck} sees the
   * declared size before any pixel is decoded (and throws to refuse it).
   */
  static RgbImage decode(byte[] data, ImageDecoder.SizeCheck sizeCheck) {
    return decode(data, sizeCheck, true);
  }

  /**
   * As {@link #decode(byte[], ImageDecoder.SizeCheck)}; with {@code sequentialSubsampled} false it also declines
   * sequential colour JPEGs with subsampled chroma (at the frame header, before any scan is read).
   */
  static RgbImage decode(byte[] data, ImageDecoder.SizeCheck sizeCheck, boolean sequentialSubsampled) {
    if (data.length < 4 || (data[0] & 0xff) != 0xFF || (data[1] & 0xff) != 0xD8) {
      return null;
    }
    try {
      return new JpegDecoder(data, sizeCheck, sequentialSubsampled).run();
    } catch (Decline e) {
      return null;
    } catch (ArrayIndexOutOfBoundsException e) {
      return null; // a table or segment pointing outside what it declares: let the general path judge the file
    }
  }

  private int u16(int p) {
    return ((d[p] & 0xff) << 8) | (d[p + 1] & 0xff);
  }

  private RgbImage run() throws Decline {
    pos = 2;
    String colorSpace = null;
    while (true) {
      if (pos >= n || (d[pos] & 0xff) != 0xFF) {
        throw DECLINE; // no EOI, or bytes between markers: libjpeg warns about those, the general path decides
      }
      while (pos < n && (d[pos] & 0xff) == 0xFF) {
        pos++;
      }
      if (pos >= n) {
        throw DECLINE;
      }
      int marker = d[pos++] & 0xff;
      if (marker == 0xD9) {
        break;
      }
      if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7) || pos + 2 > n) {
        throw DECLINE;
      }
      int length = u16(pos);
      int seg = pos + 2;
      int end = pos + length;
      if (length < 2 || end > n) {
        throw DECLINE;
      }
      switch (marker) {
        case 0xDB -> readQuantTables(seg, end);
        case 0xC4 -> readHuffmanTables(seg, end);
        case 0xC0, 0xC1 -> readFrame(seg, end, false);
        case 0xC2 -> readFrame(seg, end, true);
        case 0xDD -> {
          if (length != 4) {
            throw DECLINE;
          }
          restartInterval = u16(seg);
        }
        case 0xE0 -> jfif |= length >= 7 && d[seg] == 'J' && d[seg + 1] == 'F' && d[seg + 2] == 'I'
            && d[seg + 3] == 'F' && d[seg + 4] == 0;
        case 0xEE -> {
          if (length >= 14 && d[seg] == 'A' && d[seg + 1] == 'd' && d[seg + 2] == 'o' && d[seg + 3] == 'b'
              && d[seg + 4] == 'e') {
            adobeTransform = d[seg + 11] & 0xff;
          }
        }
        case 0xDA -> {
          if (planes == null) {
            throw DECLINE;
          }
          if (colorSpace == null) {
            colorSpace = libjpegColorSpace(components, jfif, adobeTransform, ids);
            if (colorSpace.isEmpty() || (colorSpace.equals("RGB") && subsampled())) {
              throw DECLINE;
            }
          }
          pos = end;
          if (coefficients != null) {
            readProgressiveScan(seg, end);
          } else {
            readScan(seg, end);
          }
          continue;
        }
        default -> {
          if (marker >= 0xC3 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
            throw DECLINE; // lossless, arithmetic, hierarchical
          }
          // APPn, COM and the like carry nothing the pixels depend on
        }
      }
      pos = end;
    }
    if (planes == null) {
      throw DECLINE;
    }
    for (boolean s : scanned) {
      if (!s) {
        throw DECLINE;
      }
    }
    if (coefficients != null) {
      inverseTransformAll();
    }
    return colorSpace.equals("GRAY") ? grey() : toRgb(colorSpace.equals("RGB"));
  }

  /**
   * The colour space of a JPEG's samples as libjpeg (and so PIL) decides it (jdapimin.c default_decompress_parms):
   * one component is grey; three are YCbCr when there is a JFIF marker, else what an Adobe marker's transform says
   * (0: RGB), else RGB only for component ids 'R', 'G', 'B'. Anything else is "".
   */
  static String libjpegColorSpace(int components, boolean jfif, int adobeTransform, int[] ids) {
    if (components == 1) {
      return "GRAY";
    }
    if (components != 3) {
      return "";
    }
    if (jfif) {
      return "YCbCr";
    }
    if (adobeTransform >= 0) {
      return adobeTransform == 0 ? "RGB" : "YCbCr";
    }
    return ids[0] == 'R' && ids[1] == 'G' && ids[2] == 'B' ? "RGB" : "YCbCr";
  }

  private boolean subsampled() {
    return hmax > 1 || vmax > 1;
  }

  private void readQuantTables(int p, int end) throws Decline {
    while (p < end) {
      int pq = (d[p] & 0xff) >> 4;
      int id = d[p] & 0x0f;
      p++;
      if (id > 3 || pq > 1 || p + 64 * (pq + 1) > end) {
        throw DECLINE;
      }
      int[] table = new int[64];
      for (int k = 0; k < 64; k++) {
        table[k] = pq == 0 ? d[p + k] & 0xff : u16(p + 2 * k);
      }
      p += 64 * (pq + 1);
      quant[id] = table;
    }
  }

  private void readHuffmanTables(int p, int end) throws Decline {
    while (p < end) {
      int tc = (d[p] & 0xff) >> 4;
      int id = d[p] & 0x0f;
      if (tc > 1 || id > 3 || p + 17 > end) {
        throw DECLINE;
      }
      int[] counts = new int[17];
      int total = 0;
      for (int l = 1; l <= 16; l++) {
        counts[l] = d[p + l] & 0xff;
        total += counts[l];
      }
      p += 17;
      if (total > 256 || p + total > end) {
        throw DECLINE;
      }
      byte[] values = Arrays.copyOfRange(d, p, p + total);
      p += total;
      Huffman h = new Huffman(counts, values, tc == 1);
      if (tc == 0) {
        dcTables[id] = h;
      } else {
        acTables[id] = h;
      }
    }
  }

  private void readFrame(int p, int end, boolean progressive) throws Decline {
    if (planes != null || end - p < 6) {
      throw DECLINE;
    }
    int precision = d[p] & 0xff;
    height = u16(p + 1);
    width = u16(p + 3);
    components = d[p + 5] & 0xff;
    if (precision != 8 || height == 0 || width == 0 || (components != 1 && components != 3)
        || end - p < 6 + 3 * components) {
      throw DECLINE; // 12-bit, DNL-defined height, CMYK: the general path
    }
    sizeCheck.check(width, height);
    ids = new int[components];
    hs = new int[components];
    vs = new int[components];
    tq = new int[components];
    for (int c = 0; c < components; c++) {
      ids[c] = d[p + 6 + 3 * c] & 0xff;
      hs[c] = (d[p + 7 + 3 * c] & 0xff) >> 4;
      vs[c] = d[p + 7 + 3 * c] & 0x0f;
      tq[c] = d[p + 8 + 3 * c] & 0xff;
      if (hs[c] < 1 || hs[c] > 4 || vs[c] < 1 || vs[c] > 4 || tq[c] > 3) {
        throw DECLINE;
      }
      hmax = Math.max(hmax, hs[c]);
      vmax = Math.max(vmax, vs[c]);
    }
    if (components == 1) {
      hs[0] = vs[0] = hmax = vmax = 1; // libjpeg ignores the sampling factors of a single component
    }
    if (components == 3) {
      // Full-resolution luma, both chroma components alike: 4:4:4, or 2x1 / 2x2 chroma more than 2 samples wide
      // (libjpeg-turbo's condition for fancy upsampling). h1v2 and the rarer layouts: libjpeg versions differ there.
      boolean alike = hs[0] == hmax && vs[0] == vmax && hs[1] == hs[2] && vs[1] == vs[2];
      boolean full = hs[1] == hmax && vs[1] == vmax;
      boolean fancy = hmax == 2 * hs[1] && (vmax == vs[1] || vmax == 2 * vs[1]) && downsampledWidth(1) > 2;
      if (!alike || !(full || fancy)) {
        throw DECLINE;
      }
    }
    if (!progressive && !sequentialSubsampled && subsampled()) {
      throw DECLINE;
    }
    mcusX = (width + 8 * hmax - 1) / (8 * hmax);
    mcusY = (height + 8 * vmax - 1) / (8 * vmax);
    if ((long) mcusX * 8 * hmax * mcusY * 8 * vmax * 3 > Integer.MAX_VALUE - 64) {
      throw DECLINE; // beyond one Java array (only with a raised pixel limit): ImageIO decides
    }
    planes = new byte[components][];
    strides = new int[components];
    scanned = new boolean[components];
    for (int c = 0; c < components; c++) {
      strides[c] = mcusX * hs[c] * 8;
      planes[c] = new byte[strides[c] * mcusY * vs[c] * 8];
    }
    if (progressive) {
      coefficients = new short[components][];
      coefBits = new int[components][64];
      latchedQuant = new int[components][];
      for (int c = 0; c < components; c++) {
        coefficients[c] = new short[mcusX * hs[c] * mcusY * vs[c] * 64];
        Arrays.fill(coefBits[c], -1);
      }
    }
  }

  private int downsampledWidth(int c) {
    return (width * hs[c] + hmax - 1) / hmax;
  }

  private int downsampledHeight(int c) {
    return (height * vs[c] + vmax - 1) / vmax;
  }

  private void readScan(int p, int end) throws Decline {
    int ns = d[p] & 0xff;
    if (ns != components || end - p != 4 + 2 * ns) {
      throw DECLINE; // a colour image in several sequential scans is rare enough to leave to the general path
    }
    int[] comp = new int[ns];
    Huffman[] dc = new Huffman[ns];
    Huffman[] ac = new Huffman[ns];
    int[][] q = new int[ns][];
    for (int i = 0; i < ns; i++) {
      int id = d[p + 1 + 2 * i] & 0xff;
      int c = 0;
      while (c < components && ids[c] != id) {
        c++;
      }
      if (c == components || scanned[c]) {
        throw DECLINE;
      }
      comp[i] = c;
      dc[i] = dcTables[(d[p + 2 + 2 * i] & 0xff) >> 4 & 3];
      ac[i] = acTables[d[p + 2 + 2 * i] & 3];
      q[i] = quant[tq[c]];
      if (dc[i] == null || ac[i] == null || q[i] == null) {
        throw DECLINE;
      }
    }
    int ss = d[p + 1 + 2 * ns] & 0xff;
    int se = d[p + 2 + 2 * ns] & 0xff;
    int a = d[p + 3 + 2 * ns] & 0xff;
    if (ss != 0 || se != 63 || a != 0) {
      throw DECLINE;
    }
    bits = 0;
    count = 0;
    atMarker = false;
    padBits = 0;
    int[] pred = new int[ns];
    int restartsLeft = restartInterval;
    int nextRestart = 0;
    if (ns == 1) {
      int c = comp[0];
      int bw = (downsampledWidth(c) + 7) / 8;
      int bh = (downsampledHeight(c) + 7) / 8;
      byte[] plane = planes[c];
      int stride = strides[c];
      for (int by = 0; by < bh; by++) {
        for (int bx = 0; bx < bw; bx++) {
          if (restartInterval > 0) {
            if (restartsLeft == 0) {
              restart(nextRestart++);
              Arrays.fill(pred, 0);
              restartsLeft = restartInterval;
            }
            restartsLeft--;
          }
          pred[0] = decodeBlock(dc[0], ac[0], q[0], pred[0], plane, by * 8 * stride + bx * 8, stride);
        }
      }
    } else {
      for (int my = 0; my < mcusY; my++) {
        for (int mx = 0; mx < mcusX; mx++) {
          if (restartInterval > 0) {
            if (restartsLeft == 0) {
              restart(nextRestart++);
              Arrays.fill(pred, 0);
              restartsLeft = restartInterval;
            }
            restartsLeft--;
          }
          for (int i = 0; i < ns; i++) {
            int c = comp[i];
            int h = hs[c];
            int v = vs[c];
            int stride = strides[c];
            byte[] plane = planes[c];
            for (int y = 0; y < v; y++) {
              int row = (my * v + y) * 8 * stride;
              for (int x = 0; x < h; x++) {
                pred[i] = decodeBlock(dc[i], ac[i], q[i], pred[i], plane, row + (mx * h + x) * 8, stride);
              }
            }
          }
        }
      }
    }
    if (padBits > count) {
      throw DECLINE; // the scan used bits past its end: truncated or corrupt, the general path decides
    }
    for (int c : comp) {
      scanned[c] = true;
    }
    // libjpeg looks for the next marker from here, skipping whatever the scan left unread.
    while (pos < n && !((d[pos] & 0xff) == 0xFF && pos + 1 < n && d[pos + 1] != 0)) {
      pos++;
    }
  }

  /** One scan of a progressive frame (ITU T.81 G.1.2; libjpeg's jdphuff.c), into the coefficient buffers. */
  private void readProgressiveScan(int p, int end) throws Decline {
    int ns = d[p] & 0xff;
    if (ns < 1 || ns > components || end - p != 4 + 2 * ns) {
      throw DECLINE;
    }
    int ss = d[p + 1 + 2 * ns] & 0xff;
    int se = d[p + 2 + 2 * ns] & 0xff;
    int ah = (d[p + 3 + 2 * ns] & 0xff) >> 4;
    int al = d[p + 3 + 2 * ns] & 0x0f;
    boolean dcScan = ss == 0;
    if (se > 63 || ss > se || (dcScan && se != 0) || (!dcScan && ns != 1) || al > 13 || (ah != 0 && al != ah - 1)) {
      throw DECLINE; // libjpeg calls these bogus progressions
    }
    int[] comp = new int[ns];
    Huffman[] dc = new Huffman[ns];
    Huffman[] ac = new Huffman[ns];
    for (int i = 0; i < ns; i++) {
      int id = d[p + 1 + 2 * i] & 0xff;
      int c = 0;
      while (c < components && ids[c] != id) {
        c++;
      }
      if (c == components) {
        throw DECLINE;
      }
      for (int j = 0; j < i; j++) {
        if (comp[j] == c) {
          throw DECLINE;
        }
      }
      comp[i] = c;
      dc[i] = dcTables[(d[p + 2 + 2 * i] & 0xff) >> 4 & 3];
      ac[i] = acTables[d[p + 2 + 2 * i] & 3];
      if ((dcScan && ah == 0 && dc[i] == null) || (!dcScan && ac[i] == null)) {
        throw DECLINE;
      }
      if (!dcScan && coefBits[c][0] < 0) {
        throw DECLINE; // AC before the DC of this component: libjpeg warns, the general path decides
      }
      for (int k = ss; k <= se; k++) {
        if (coefBits[c][k] != (ah == 0 ? -1 : ah)) {
          throw DECLINE; // not the next step of this coefficient's approximation
        }
        coefBits[c][k] = al;
      }
      if (latchedQuant[c] == null) {
        if (quant[tq[c]] == null) {
          throw DECLINE;
        }
        latchedQuant[c] = quant[tq[c]].clone();
      }
      scanned[c] = true;
    }
    bits = 0;
    count = 0;
    atMarker = false;
    padBits = 0;
    eobRun = 0;
    int[] pred = new int[ns];
    int restartsLeft = restartInterval;
    int nextRestart = 0;
    if (ns == 1) {
      int c = comp[0];
      int bw = (downsampledWidth(c) + 7) / 8;
      int bh = (downsampledHeight(c) + 7) / 8;
      int rowBlocks = mcusX * hs[c];
      short[] coef = coefficients[c];
      for (int by = 0; by < bh; by++) {
        for (int bx = 0; bx < bw; bx++) {
          if (restartInterval > 0) {
            if (restartsLeft == 0) {
              restart(nextRestart++);
              Arrays.fill(pred, 0);
              eobRun = 0;
              restartsLeft = restartInterval;
            }
            restartsLeft--;
          }
          int at = (by * rowBlocks + bx) * 64;
          if (dcScan) {
            pred[0] = progressiveDc(coef, at, dc[0], ah, al, pred[0]);
          } else if (ah == 0) {
            acFirst(coef, at, ac[0], ss, se, al);
          } else {
            acRefine(coef, at, ac[0], ss, se, al);
          }
        }
      }
    } else {
      for (int my = 0; my < mcusY; my++) {
        for (int mx = 0; mx < mcusX; mx++) {
          if (restartInterval > 0) {
            if (restartsLeft == 0) {
              restart(nextRestart++);
              Arrays.fill(pred, 0);
              restartsLeft = restartInterval;
            }
            restartsLeft--;
          }
          for (int i = 0; i < ns; i++) {
            int c = comp[i];
            int h = hs[c];
            int v = vs[c];
            int rowBlocks = mcusX * h;
            for (int y = 0; y < v; y++) {
              for (int x = 0; x < h; x++) {
                int at = ((my * v + y) * rowBlocks + mx * h + x) * 64;
                pred[i] = progressiveDc(coefficients[c], at, dc[i], ah, al, pred[i]);
              }
            }
          }
        }
      }
    }
    if (padBits > count) {
      throw DECLINE;
    }
    while (pos < n && !((d[pos] & 0xff) == 0xFF && pos + 1 < n && d[pos + 1] != 0)) {
      pos++;
    }
  }

  private int bit() {
    if (count < 1) {
      fill();
    }
    int b = (int) (bits >>> 63);
    bits <<= 1;
    count--;
    return b;
  }

  private int takeBits(int n) {
    if (count < n) {
      fill();
    }
    int v = (int) (bits >>> (64 - n));
    bits <<= n;
    count -= n;
    return v;
  }

  private int takeSymbol(Huffman h) throws Decline {
    if (count < 16) {
      fill();
    }
    int e = symbol(h, bits);
    int l = e >> 8;
    bits <<= l;
    count -= l;
    return e & 0xff;
  }

  private int progressiveDc(short[] coef, int at, Huffman dc, int ah, int al, int pred) throws Decline {
    if (ah == 0) {
      int s = takeSymbol(dc);
      if (s != 0) {
        if (s > 15) {
          throw DECLINE;
        }
        if (count < s) {
          fill();
        }
        pred += extend(bits, s);
        bits <<= s;
        count -= s;
      }
      coef[at] = (short) (pred << al);
    } else if (bit() != 0) {
      coef[at] |= (short) (1 << al);
    }
    return pred;
  }

  private void acFirst(short[] coef, int at, Huffman ac, int ss, int se, int al) throws Decline {
    if (eobRun > 0) {
      eobRun--;
      return;
    }
    for (int k = ss; k <= se; k++) {
      int rs = takeSymbol(ac);
      int r = rs >> 4;
      int s = rs & 15;
      if (s != 0) {
        k += r;
        if (k > se) {
          throw DECLINE;
        }
        if (count < s) {
          fill();
        }
        int v = extend(bits, s);
        bits <<= s;
        count -= s;
        coef[at + NATURAL[k]] = (short) (v << al);
      } else if (r == 15) {
        k += 15;
      } else {
        eobRun = (1 << r) - 1;
        if (r != 0) {
          eobRun += takeBits(r);
        }
        break;
      }
    }
  }

  /** libjpeg's decode_mcu_AC_refine: correction bits for nonzero coefficients, new ones of magnitude 1 << al. */
  private void acRefine(short[] coef, int at, Huffman ac, int ss, int se, int al) throws Decline {
    int p1 = 1 << al;
    int m1 = -1 << al;
    int k = ss;
    if (eobRun == 0) {
      for (; k <= se; k++) {
        int rs = takeSymbol(ac);
        int r = rs >> 4;
        int s = rs & 15;
        if (s != 0) {
          if (s != 1) {
            throw DECLINE; // libjpeg warns of a bad Huffman code and goes on
          }
          s = bit() != 0 ? p1 : m1;
        } else if (r != 15) {
          eobRun = 1 << r;
          if (r != 0) {
            eobRun += takeBits(r);
          }
          break;
        }
        do {
          int z = at + NATURAL[k];
          if (coef[z] != 0) {
            if (bit() != 0 && (coef[z] & p1) == 0) {
              coef[z] += (short) (coef[z] >= 0 ? p1 : m1);
            }
          } else if (--r < 0) {
            break;
          }
          k++;
        } while (k <= se);
        if (s != 0) {
          if (k > se) {
            throw DECLINE;
          }
          coef[at + NATURAL[k]] = (short) s;
        }
      }
    }
    if (eobRun > 0) {
      for (; k <= se; k++) {
        int z = at + NATURAL[k];
        if (coef[z] != 0 && bit() != 0 && (coef[z] & p1) == 0) {
          coef[z] += (short) (coef[z] >= 0 ? p1 : m1);
        }
      }
      eobRun--;
    }
  }

  /** Dequantizes every block of a progressive frame and runs the inverse DCT into the sample planes. */
  private void inverseTransformAll() {
    int[] blk = block;
    for (int c = 0; c < components; c++) {
      int[] q = new int[64];
      for (int k = 0; k < 64; k++) {
        q[NATURAL[k]] = latchedQuant[c][k];
      }
      short[] coef = coefficients[c];
      int rowBlocks = mcusX * hs[c];
      int stride = strides[c];
      byte[] plane = planes[c];
      int blocks = coef.length / 64;
      for (int b = 0; b < blocks; b++) {
        int at = b * 64;
        boolean acZero = true;
        for (int i = 1; i < 64; i++) {
          int v = coef[at + i] * q[i];
          blk[i] = v;
          acZero &= v == 0;
        }
        blk[0] = coef[at] * q[0];
        int offset = (b / rowBlocks) * 8 * stride + (b % rowBlocks) * 8;
        if (acZero) {
          byte v = RANGE[(((blk[0] << 2) + 16) >> 5) & 1023];
          for (int y = 0; y < 8; y++) {
            Arrays.fill(plane, offset + y * stride, offset + y * stride + 8, v);
          }
        } else {
          idctIslow(blk, work, plane, offset, stride);
        }
      }
      Arrays.fill(blk, 0);
    }
  }

  private void restart(int index) throws Decline {
    if (padBits > count) {
      throw DECLINE;
    }
    // The rest of the last byte is padding; the marker must follow at once.
    bits = 0;
    count = 0;
    padBits = 0;
    atMarker = false;
    if (pos + 1 >= n || (d[pos] & 0xff) != 0xFF) {
      throw DECLINE;
    }
    while (pos < n && (d[pos] & 0xff) == 0xFF) {
      pos++;
    }
    if (pos >= n || (d[pos] & 0xff) != 0xD0 + (index & 7)) {
      throw DECLINE; // libjpeg resynchronizes with a warning; the general path decides
    }
    pos++;
  }

  /** Tops the bit buffer up to at least 57 bits; past a marker or the end of the data it adds zeros. */
  private void fill() {
    while (count <= 56) {
      int b = 0;
      if (!atMarker && pos < n) {
        b = d[pos] & 0xff;
        if (b == 0xFF) {
          if (pos + 1 < n && d[pos + 1] == 0) {
            pos += 2;
          } else {
            atMarker = true;
            b = 0;
          }
        } else {
          pos++;
        }
      } else {
        atMarker = true;
      }
      if (atMarker) {
        padBits += 8;
      }
      bits |= (long) b << (56 - count);
      count += 8;
    }
  }

  /** (code length << 8) | symbol of the Huffman code at the top of {@code buf}. */
  private static int symbol(Huffman h, long buf) throws Decline {
    int e = h.lookup[(int) (buf >>> (64 - Huffman.LOOKAHEAD))];
    if (e != 0) {
      return e;
    }
    int l = Huffman.LOOKAHEAD + 1;
    int code = (int) (buf >>> (64 - l));
    while (code > h.maxCode[l]) {
      l++;
      if (l > 16) {
        throw DECLINE; // no such code: corrupt data
      }
      code = (int) (buf >>> (64 - l));
    }
    return (l << 8) | (h.values[code + h.valueOffset[l]] & 0xff);
  }

  /** The value of an s-bit magnitude category from the top bits of {@code buf} (JPEG's EXTEND). */
  private static int extend(long buf, int s) {
    int v = (int) (buf >>> (64 - s));
    return v < (1 << (s - 1)) ? v - (1 << s) + 1 : v;
  }

  /**
   * Decodes one block's coefficients, runs the inverse DCT into {@code out}; returns the new DC predictor. The bit
   * buffer lives in locals here (fields would put a store and a load on every symbol's dependency chain).
   */
  private int decodeBlock(Huffman dc, Huffman ac, int[] q, int pred, byte[] out, int offset, int stride)
      throws Decline {
    int[] blk = block;
    if (count < 32) {
      fill();
    }
    long buf = bits;
    int cnt = count;
    int e = symbol(dc, buf);
    int l = e >> 8;
    buf <<= l;
    cnt -= l;
    int s = e & 0xff;
    if (s != 0) {
      if (s > 15) {
        throw DECLINE;
      }
      pred += extend(buf, s);
      buf <<= s;
      cnt -= s;
    }
    blk[0] = (short) pred * q[0];
    int last = 0; // zigzag index of the last nonzero AC coefficient, 0 when there is none
    int[] fast = ac.fastAc;
    for (int k = 1; k < 64; ) {
      if (cnt < 32) {
        bits = buf;
        count = cnt;
        fill();
        buf = bits;
        cnt = count;
      }
      e = fast[(int) (buf >>> (64 - Huffman.LOOKAHEAD))];
      if (e != 0) {
        l = e & 0xff;
        buf <<= l;
        cnt -= l;
        k += (e >> 8) & 0xff;
        if (k > 63) {
          throw DECLINE;
        }
        blk[NATURAL[k]] = (short) (e >> 16) * q[k];
        last = k;
        k++;
        continue;
      }
      e = symbol(ac, buf);
      l = e >> 8;
      buf <<= l;
      cnt -= l;
      int r = (e >> 4) & 15;
      s = e & 15;
      if (s == 0) {
        if (r != 15) {
          break;
        }
        k += 16;
        continue;
      }
      k += r;
      if (k > 63) {
        throw DECLINE;
      }
      blk[NATURAL[k]] = (short) extend(buf, s) * q[k];
      buf <<= s;
      cnt -= s;
      last = k;
      k++;
    }
    bits = buf;
    count = cnt;
    if (last == 0) {
      byte v = RANGE[(((blk[0] << 2) + 16) >> 5) & 1023];
      for (int y = 0; y < 8; y++) {
        Arrays.fill(out, offset + y * stride, offset + y * stride + 8, v);
      }
      blk[0] = 0;
    } else if (last <= 9) {
      idctIslowTopLeft(blk, work, out, offset, stride);
      Arrays.fill(blk, 0, 28, 0);
    } else {
      idctIslow(blk, work, out, offset, stride);
      Arrays.fill(blk, 0);
    }
    return pred;
  }

  private static final int CONST_BITS = 13;
  private static final int PASS1_BITS = 2;
  private static final long F0_298 = 2446;
  private static final long F0_390 = 3196;
  private static final long F0_541 = 4433;
  private static final long F0_765 = 6270;
  private static final long F0_899 = 7373;
  private static final long F1_175 = 9633;
  private static final long F1_501 = 12299;
  private static final long F1_847 = 15137;
  private static final long F1_961 = 16069;
  private static final long F2_053 = 16819;
  private static final long F2_562 = 20995;
  private static final long F3_072 = 25172;

  /**
   * libjpeg's jpeg_idct_islow on dequantized coefficients in natural order. The column and row passes share their
   * butterfly but are written out, as in libjpeg: one shared butterfly method (8 sums through a scratch array) made
   * the whole decode about 8% slower.
   */
  static void idctIslow(int[] in, int[] ws, byte[] out, int offset, int stride) {
    for (int c = 0; c < 8; c++) {
      if (in[c + 8] == 0 && in[c + 16] == 0 && in[c + 24] == 0 && in[c + 32] == 0 && in[c + 40] == 0
          && in[c + 48] == 0 && in[c + 56] == 0) {
        int dcval = in[c] << PASS1_BITS;
        for (int r = 0; r < 64; r += 8) {
          ws[c + r] = dcval;
        }
        continue;
      }
      long z2 = in[c + 16];
      long z3 = in[c + 48];
      long z1 = (z2 + z3) * F0_541;
      long tmp2 = z1 - z3 * F1_847;
      long tmp3 = z1 + z2 * F0_765;
      z2 = in[c];
      z3 = in[c + 32];
      long tmp0 = (z2 + z3) << CONST_BITS;
      long tmp1 = (z2 - z3) << CONST_BITS;
      long tmp10 = tmp0 + tmp3;
      long tmp13 = tmp0 - tmp3;
      long tmp11 = tmp1 + tmp2;
      long tmp12 = tmp1 - tmp2;

      tmp0 = in[c + 56];
      tmp1 = in[c + 40];
      tmp2 = in[c + 24];
      tmp3 = in[c + 8];
      z1 = tmp0 + tmp3;
      z2 = tmp1 + tmp2;
      z3 = tmp0 + tmp2;
      long z4 = tmp1 + tmp3;
      long z5 = (z3 + z4) * F1_175;
      tmp0 *= F0_298;
      tmp1 *= F2_053;
      tmp2 *= F3_072;
      tmp3 *= F1_501;
      z1 *= -F0_899;
      z2 *= -F2_562;
      z3 *= -F1_961;
      z4 *= -F0_390;
      z3 += z5;
      z4 += z5;
      tmp0 += z1 + z3;
      tmp1 += z2 + z4;
      tmp2 += z2 + z3;
      tmp3 += z1 + z4;
      final int sh = CONST_BITS - PASS1_BITS;
      final long round = 1L << (sh - 1);
      ws[c] = (int) ((tmp10 + tmp3 + round) >> sh);
      ws[c + 56] = (int) ((tmp10 - tmp3 + round) >> sh);
      ws[c + 8] = (int) ((tmp11 + tmp2 + round) >> sh);
      ws[c + 48] = (int) ((tmp11 - tmp2 + round) >> sh);
      ws[c + 16] = (int) ((tmp12 + tmp1 + round) >> sh);
      ws[c + 40] = (int) ((tmp12 - tmp1 + round) >> sh);
      ws[c + 24] = (int) ((tmp13 + tmp0 + round) >> sh);
      ws[c + 32] = (int) ((tmp13 - tmp0 + round) >> sh);
    }
    final int sh = CONST_BITS + PASS1_BITS + 3;
    final long round = 1L << (sh - 1);
    for (int r = 0; r < 64; r += 8) {
      int o = offset + (r >> 3) * stride;
      if (ws[r + 1] == 0 && ws[r + 2] == 0 && ws[r + 3] == 0 && ws[r + 4] == 0 && ws[r + 5] == 0
          && ws[r + 6] == 0 && ws[r + 7] == 0) {
        byte v = RANGE[((ws[r] + (1 << (PASS1_BITS + 2))) >> (PASS1_BITS + 3)) & 1023];
        Arrays.fill(out, o, o + 8, v);
        continue;
      }
      long z2 = ws[r + 2];
      long z3 = ws[r + 6];
      long z1 = (z2 + z3) * F0_541;
      long tmp2 = z1 - z3 * F1_847;
      long tmp3 = z1 + z2 * F0_765;
      long tmp0 = ((long) ws[r] + ws[r + 4]) << CONST_BITS;
      long tmp1 = ((long) ws[r] - ws[r + 4]) << CONST_BITS;
      long tmp10 = tmp0 + tmp3;
      long tmp13 = tmp0 - tmp3;
      long tmp11 = tmp1 + tmp2;
      long tmp12 = tmp1 - tmp2;

      tmp0 = ws[r + 7];
      tmp1 = ws[r + 5];
      tmp2 = ws[r + 3];
      tmp3 = ws[r + 1];
      z1 = tmp0 + tmp3;
      z2 = tmp1 + tmp2;
      z3 = tmp0 + tmp2;
      long z4 = tmp1 + tmp3;
      long z5 = (z3 + z4) * F1_175;
      tmp0 *= F0_298;
      tmp1 *= F2_053;
      tmp2 *= F3_072;
      tmp3 *= F1_501;
      z1 *= -F0_899;
      z2 *= -F2_562;
      z3 *= -F1_961;
      z4 *= -F0_390;
      z3 += z5;
      z4 += z5;
      tmp0 += z1 + z3;
      tmp1 += z2 + z4;
      tmp2 += z2 + z3;
      tmp3 += z1 + z4;
      out[o] = RANGE[(int) ((tmp10 + tmp3 + round) >> sh) & 1023];
      out[o + 7] = RANGE[(int) ((tmp10 - tmp3 + round) >> sh) & 1023];
      out[o + 1] = RANGE[(int) ((tmp11 + tmp2 + round) >> sh) & 1023];
      out[o + 6] = RANGE[(int) ((tmp11 - tmp2 + round) >> sh) & 1023];
      out[o + 2] = RANGE[(int) ((tmp12 + tmp1 + round) >> sh) & 1023];
      out[o + 5] = RANGE[(int) ((tmp12 - tmp1 + round) >> sh) & 1023];
      out[o + 3] = RANGE[(int) ((tmp13 + tmp0 + round) >> sh) & 1023];
      out[o + 4] = RANGE[(int) ((tmp13 - tmp0 + round) >> sh) & 1023];
    }
  }

  /**
   * {@link #idctIslow} for a block whose nonzero coefficients all lie in the top-left 4x4 (zigzag positions up to 9,
   * the usual case for chroma and smooth areas): the same integer operations with the terms of zero inputs left out,
   * so the same values, at half the multiplications.
   */
  static void idctIslowTopLeft(int[] in, int[] ws, byte[] out, int offset, int stride) {
    final int sh1 = CONST_BITS - PASS1_BITS;
    final long round1 = 1L << (sh1 - 1);
    for (int c = 0; c < 4; c++) {
      long x0 = in[c];
      long x1 = in[c + 8];
      long x2 = in[c + 16];
      long x3 = in[c + 24];
      if (x1 == 0 && x2 == 0 && x3 == 0) {
        int dcval = (int) x0 << PASS1_BITS;
        for (int r = 0; r < 64; r += 8) {
          ws[c + r] = dcval;
        }
        continue;
      }
      long z1 = x2 * F0_541;
      long tmp3 = z1 + x2 * F0_765;
      long tmp0 = x0 << CONST_BITS;
      long tmp10 = tmp0 + tmp3;
      long tmp13 = tmp0 - tmp3;
      long tmp11 = tmp0 + z1;
      long tmp12 = tmp0 - z1;
      long z5 = (x3 + x1) * F1_175;
      long za = x1 * -F0_899;
      long zb = x3 * -F2_562;
      long zc = x3 * -F1_961 + z5;
      long zd = x1 * -F0_390 + z5;
      long o0 = za + zc;
      long o1 = zb + zd;
      long o2 = x3 * F3_072 + zb + zc;
      long o3 = x1 * F1_501 + za + zd;
      ws[c] = (int) ((tmp10 + o3 + round1) >> sh1);
      ws[c + 56] = (int) ((tmp10 - o3 + round1) >> sh1);
      ws[c + 8] = (int) ((tmp11 + o2 + round1) >> sh1);
      ws[c + 48] = (int) ((tmp11 - o2 + round1) >> sh1);
      ws[c + 16] = (int) ((tmp12 + o1 + round1) >> sh1);
      ws[c + 40] = (int) ((tmp12 - o1 + round1) >> sh1);
      ws[c + 24] = (int) ((tmp13 + o0 + round1) >> sh1);
      ws[c + 32] = (int) ((tmp13 - o0 + round1) >> sh1);
    }
    final int sh2 = CONST_BITS + PASS1_BITS + 3;
    final long round2 = 1L << (sh2 - 1);
    for (int r = 0; r < 64; r += 8) {
      int o = offset + (r >> 3) * stride;
      long x0 = ws[r];
      long x1 = ws[r + 1];
      long x2 = ws[r + 2];
      long x3 = ws[r + 3];
      if (x1 == 0 && x2 == 0 && x3 == 0) {
        byte v = RANGE[(int) ((x0 + (1 << (PASS1_BITS + 2))) >> (PASS1_BITS + 3)) & 1023];
        Arrays.fill(out, o, o + 8, v);
        continue;
      }
      long z1 = x2 * F0_541;
      long tmp3 = z1 + x2 * F0_765;
      long tmp0 = x0 << CONST_BITS;
      long tmp10 = tmp0 + tmp3;
      long tmp13 = tmp0 - tmp3;
      long tmp11 = tmp0 + z1;
      long tmp12 = tmp0 - z1;
      long z5 = (x3 + x1) * F1_175;
      long za = x1 * -F0_899;
      long zb = x3 * -F2_562;
      long zc = x3 * -F1_961 + z5;
      long zd = x1 * -F0_390 + z5;
      long o0 = za + zc;
      long o1 = zb + zd;
      long o2 = x3 * F3_072 + zb + zc;
      long o3 = x1 * F1_501 + za + zd;
      out[o] = RANGE[(int) ((tmp10 + o3 + round2) >> sh2) & 1023];
      out[o + 7] = RANGE[(int) ((tmp10 - o3 + round2) >> sh2) & 1023];
      out[o + 1] = RANGE[(int) ((tmp11 + o2 + round2) >> sh2) & 1023];
      out[o + 6] = RANGE[(int) ((tmp11 - o2 + round2) >> sh2) & 1023];
      out[o + 2] = RANGE[(int) ((tmp12 + o1 + round2) >> sh2) & 1023];
      out[o + 5] = RANGE[(int) ((tmp12 - o1 + round2) >> sh2) & 1023];
      out[o + 3] = RANGE[(int) ((tmp13 + o0 + round2) >> sh2) & 1023];
      out[o + 4] = RANGE[(int) ((tmp13 - o0 + round2) >> sh2) & 1023];
    }
  }

  private RgbImage grey() {
    byte[] plane = planes[0];
    int stride = strides[0];
    byte[] out = new byte[width * height * 3];
    int o = 0;
    for (int y = 0; y < height; y++) {
      int p = y * stride;
      for (int x = 0; x < width; x++) {
        byte g = plane[p + x];
        out[o] = g;
        out[o + 1] = g;
        out[o + 2] = g;
        o += 3;
      }
    }
    return new RgbImage(width, height, out);
  }

  private RgbImage toRgb(boolean rgb) {
    if (subsampled()) {
      return subsampledYcbcrToRgb(); // the frame and scan checks leave only YCbCr with 2x1 or 2x2 chroma here
    }
    byte[] out = new byte[width * height * 3];
    for (int y = 0; y < height; y++) {
      convertRow(planes[0], planes[1], planes[2], y * strides[0], out, y * width * 3, width, rgb);
    }
    return new RgbImage(width, height, out);
  }

  /**
   * The usual photograph, full-resolution luma with 2x1 or 2x2 subsampled chroma: fancy upsampling and colour
   * conversion in one pass per row, two pixels per chroma sample. Both upsamplings are a triangle filter across the
   * row on "column sums" (the chroma sample itself for 2x1; three times the nearer plus the farther chroma row for
   * 2x2), with the first and last column sums repeated at the ends, which is exactly libjpeg's special cases for the
   * first and last column.
   */
  private RgbImage subsampledYcbcrToRgb() {
    byte[] out = new byte[width * height * 3];
    int dw = downsampledWidth(1);
    int dh = downsampledHeight(1);
    boolean vertical = vmax / vs[1] == 2;
    int shift = vertical ? 4 : 2;
    int biasEven = vertical ? 8 : 1;
    int biasOdd = vertical ? 7 : 2;
    int[] cbSums = new int[dw + 2];
    int[] crSums = new int[dw + 2];
    byte[] luma = planes[0];
    byte[] cbPlane = planes[1];
    byte[] crPlane = planes[2];
    int lumaStride = strides[0];
    int chromaStride = strides[1];
    int[] crR = ImageDecoder.CR_R;
    int[] cbB = ImageDecoder.CB_B;
    int[] crG = ImageDecoder.CR_G;
    int[] cbG = ImageDecoder.CB_G;
    for (int y = 0; y < height; y++) {
      if (vertical) {
        int r = y >> 1;
        int near = (y & 1) == 0 ? Math.max(r - 1, 0) : Math.min(r + 1, dh - 1);
        int p0 = r * chromaStride;
        int p1 = near * chromaStride;
        for (int x = 0; x < dw; x++) {
          cbSums[x + 1] = (cbPlane[p0 + x] & 0xff) * 3 + (cbPlane[p1 + x] & 0xff);
          crSums[x + 1] = (crPlane[p0 + x] & 0xff) * 3 + (crPlane[p1 + x] & 0xff);
        }
      } else {
        int p0 = y * chromaStride;
        for (int x = 0; x < dw; x++) {
          cbSums[x + 1] = cbPlane[p0 + x] & 0xff;
          crSums[x + 1] = crPlane[p0 + x] & 0xff;
        }
      }
      cbSums[0] = cbSums[1];
      crSums[0] = crSums[1];
      cbSums[dw + 1] = cbSums[dw];
      crSums[dw + 1] = crSums[dw];
      int l = y * lumaStride;
      int row = y * width * 3;
      int pairs = width >> 1;
      for (int x = 0; x < pairs; x++) {
        int cb3 = cbSums[x + 1] * 3;
        int cr3 = crSums[x + 1] * 3;
        int cb = ((cb3 + cbSums[x] + biasEven) >> shift) - 128;
        int cr = ((cr3 + crSums[x] + biasEven) >> shift) - 128;
        int o = row + 6 * x;
        int v = luma[l + 2 * x] & 0xff;
        out[o] = clamp(v + ((91881 * cr + 32768) >> 16));
        out[o + 1] = clamp(v + ((-22554 * cb - 46802 * cr + 32768) >> 16));
        out[o + 2] = clamp(v + ((116130 * cb + 32768) >> 16));
        cb = ((cb3 + cbSums[x + 2] + biasOdd) >> shift) - 128;
        cr = ((cr3 + crSums[x + 2] + biasOdd) >> shift) - 128;
        v = luma[l + 2 * x + 1] & 0xff;
        out[o + 3] = clamp(v + ((91881 * cr + 32768) >> 16));
        out[o + 4] = clamp(v + ((-22554 * cb - 46802 * cr + 32768) >> 16));
        out[o + 5] = clamp(v + ((116130 * cb + 32768) >> 16));
      }
      if ((width & 1) != 0) {
        int x = pairs;
        int cb = (cbSums[x + 1] * 3 + cbSums[x] + biasEven) >> shift;
        int cr = (crSums[x + 1] * 3 + crSums[x] + biasEven) >> shift;
        ycc(out, row + 6 * x, luma[l + 2 * x] & 0xff, cb, cr, crR, cbB, crG, cbG);
      }
    }
    return new RgbImage(width, height, out);
  }

  /** 0..255 as a byte, the nearer bound outside. */
  private static byte clamp(int v) {
    return (byte) ((v & ~0xff) == 0 ? v : (~v >> 31) & 0xff);
  }

  /** Writes one pixel converted from YCbCr with libjpeg's tables at {@code o}; returns {@code o + 3}. */
  private static int ycc(byte[] out, int o, int luma, int cb, int cr, int[] crR, int[] cbB, int[] crG, int[] cbG) {
    int red = luma + crR[cr];
    int green = luma + ((cbG[cb] + crG[cr]) >> 16);
    int blue = luma + cbB[cb];
    out[o] = (byte) ((red & ~0xff) == 0 ? red : (~red >> 31) & 0xff);
    out[o + 1] = (byte) ((green & ~0xff) == 0 ? green : (~green >> 31) & 0xff);
    out[o + 2] = (byte) ((blue & ~0xff) == 0 ? blue : (~blue >> 31) & 0xff);
    return o + 3;
  }

  /** One row of a 4:4:4 image from its three planes (same stride) at {@code p}: copied (RGB) or converted. */
  private static void convertRow(byte[] r0, byte[] r1, byte[] r2, int p, byte[] out, int o, int width,
      boolean rgb) {
    int a = p;
    int b = p;
    int c = p;
    if (rgb) {
      for (int x = 0; x < width; x++, o += 3) {
        out[o] = r0[a + x];
        out[o + 1] = r1[b + x];
        out[o + 2] = r2[c + x];
      }
      return;
    }
    int[] crR = ImageDecoder.CR_R;
    int[] cbB = ImageDecoder.CB_B;
    int[] crG = ImageDecoder.CR_G;
    int[] cbG = ImageDecoder.CB_G;
    for (int x = 0; x < width; x++, o += 3) {
      int luma = r0[a + x] & 0xff;
      int cb = r1[b + x] & 0xff;
      int cr = r2[c + x] & 0xff;
      int red = luma + crR[cr];
      int green = luma + ((cbG[cb] + crG[cr]) >> 16);
      int blue = luma + cbB[cb];
      out[o] = (byte) ((red & ~0xff) == 0 ? red : (~red >> 31) & 0xff);
      out[o + 1] = (byte) ((green & ~0xff) == 0 ? green : (~green >> 31) & 0xff);
      out[o + 2] = (byte) ((blue & ~0xff) == 0 ? blue : (~blue >> 31) & 0xff);
    }
  }

  /** A Huffman table with a 9-bit lookahead, and for AC tables a lookahead that also decodes short values. */
  static final class Huffman {
    static final int LOOKAHEAD = 10;
    /** (code length << 8) | symbol for codes of at most LOOKAHEAD bits, else 0. */
    final int[] lookup = new int[1 << LOOKAHEAD];
    /** (value << 16) | (run << 8) | bits, for AC codes whose code and value fit in LOOKAHEAD bits, else 0. */
    final int[] fastAc = new int[1 << LOOKAHEAD];
    final int[] maxCode = new int[18];
    final int[] valueOffset = new int[18];
    final byte[] values;

    Huffman(int[] counts, byte[] values, boolean ac) throws Decline {
      this.values = values;
      int code = 0;
      int k = 0;
      for (int l = 1; l <= 16; l++) {
        valueOffset[l] = k - code;
        for (int i = 0; i < counts[l]; i++) {
          if (l <= LOOKAHEAD) {
            int shift = LOOKAHEAD - l;
            int sym = values[k] & 0xff;
            for (int j = 0; j < (1 << shift); j++) {
              int peek = (code << shift) | j;
              lookup[peek] = (l << 8) | sym;
              int s = sym & 15;
              if (ac && s != 0 && l + s <= LOOKAHEAD) {
                int v = (peek >> (LOOKAHEAD - l - s)) & ((1 << s) - 1);
                if (v < (1 << (s - 1))) {
                  v -= (1 << s) - 1;
                }
                fastAc[peek] = (v << 16) | ((sym >> 4) << 8) | (l + s);
              }
            }
          }
          code++;
          k++;
        }
        maxCode[l] = counts[l] == 0 ? -1 : code - 1;
        if (code > (1 << l)) {
          throw DECLINE; // more codes than the length allows
        }
        code <<= 1;
      }
      maxCode[17] = Integer.MAX_VALUE;
    }
  }
}
