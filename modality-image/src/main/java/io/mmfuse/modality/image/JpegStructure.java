package io.mmfuse.modality.image;

import io.mmfuse.api.InvalidInputException;

/**
 * A JPEG file's markers walked without decoding a pixel: whether it is complete (an end-of-image marker after its
 * scans), where it is not, and whether its entropy-coded bytes can hold the blocks its frame declares. Refusing here
 * is what keeps a 29 KB file that claims 9000x9000 pixels from costing seconds of decoding: a Huffman-coded block
 * takes at least two bits in a sequential scan (a DC code and an end-of-block code) and one in a progressive DC scan,
 * so fewer bits than that are a truncated or corrupt file, whatever the decoder would fill in.
 */
final class JpegStructure {
  private JpegStructure() {}

  /** What the walk found. */
  record Found(boolean complete, int endOfData, long codedBytes, long blocks, boolean huffman, boolean progressive,
      int width, int height) {}

  /**
   * Walks {@code d} (which starts with SOI); refuses, naming the byte offset, a segment that runs past the end or a
   * frame header that makes no sense.
   */
  static Found walk(byte[] d, String name) {
    int n = d.length;
    int p = 2;
    long coded = 0;
    long blocks = 0;
    boolean huffman = true;
    boolean progressive = false;
    int width = 0;
    int height = 0;
    while (p < n) {
      if ((d[p] & 0xff) != 0xFF) {
        // Bytes between markers: libjpeg (and PIL) skip them with a warning.
        p++;
        continue;
      }
      while (p < n && (d[p] & 0xff) == 0xFF) {
        p++;
      }
      if (p >= n) {
        break;
      }
      int marker = d[p++] & 0xff;
      if (marker == 0xD9) {
        return new Found(true, p, coded, blocks, huffman, progressive, width, height);
      }
      if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0xD8 || marker == 0x00) {
        continue;
      }
      if (p + 2 > n) {
        break;
      }
      int length = ((d[p] & 0xff) << 8) | (d[p + 1] & 0xff);
      if (length < 2) {
        throw new InvalidInputException("image " + name + ": corrupt JPEG: the segment of marker "
            + String.format("FF%02X", marker) + " at byte " + (p - 2) + " declares a length of " + length
            + " (at least 2)");
      }
      if (p + length > n) {
        break;
      }
      boolean sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
      if (sof) {
        if (length < 8) {
          throw new InvalidInputException("image " + name + ": corrupt JPEG: the frame header at byte " + (p - 2)
              + " is " + length + " bytes long; expected at least 8");
        }
        int precision = d[p + 2] & 0xff;
        if (precision != 8) {
          // libjpeg as the JDK and Pillow build it takes 8 bits a sample only; say so rather than "corrupt".
          throw new InvalidInputException("image " + name + ": a " + precision + "-bit JPEG (frame header "
              + String.format("FF%02X", marker) + " at byte " + (p - 2) + "); only 8-bit JPEGs are supported, as in"
              + " Pillow: convert it to 8 bits");
        }
        height = ((d[p + 3] & 0xff) << 8) | (d[p + 4] & 0xff);
        width = ((d[p + 5] & 0xff) << 8) | (d[p + 6] & 0xff);
        int comps = d[p + 7] & 0xff;
        if (comps == 0 || length < 8 + 3 * comps) {
          throw new InvalidInputException("image " + name + ": corrupt JPEG: the frame header at byte " + (p - 2)
              + " declares " + comps + " components in " + length + " bytes");
        }
        huffman = marker < 0xC8;
        progressive = marker == 0xC2 || marker == 0xC6 || marker == 0xCA || marker == 0xCE;
        int hmax = 1;
        int vmax = 1;
        for (int c = 0; c < comps; c++) {
          int hv = d[p + 9 + 3 * c] & 0xff;
          hmax = Math.max(hmax, Math.max(1, hv >> 4));
          vmax = Math.max(vmax, Math.max(1, hv & 15));
        }
        // The fewest blocks the scans can code: each component's own, without the padding to whole MCUs.
        blocks = 0;
        for (int c = 0; c < comps; c++) {
          int hv = d[p + 9 + 3 * c] & 0xff;
          long cw = ceilDiv((long) width * Math.max(1, hv >> 4), hmax);
          long ch = ceilDiv((long) height * Math.max(1, hv & 15), vmax);
          blocks += ceilDiv(cw, 8) * ceilDiv(ch, 8);
        }
      }
      p += length;
      if (marker == 0xDA) {
        // The entropy-coded data runs to the next marker that is not a stuffed zero or a restart.
        int start = p;
        while (p + 1 < n) {
          if ((d[p] & 0xff) == 0xFF) {
            int next = d[p + 1] & 0xff;
            if (next != 0x00 && !(next >= 0xD0 && next <= 0xD7) && next != 0xFF) {
              break;
            }
          }
          p++;
        }
        if (p + 1 >= n) {
          p = n;
        }
        coded += p - start;
      }
    }
    return new Found(false, n, coded, blocks, huffman, progressive, width, height);
  }

  /**
   * Refuses a truncated file unless {@code loadTruncated} (PIL's {@code LOAD_TRUNCATED_IMAGES}), and, either way, a
   * Huffman-coded file whose coded bytes cannot hold its frame's blocks (a truncated photograph still can: it keeps
   * its one or two bits a pixel), before anything is decoded.
   */
  static Found check(byte[] d, String name, boolean loadTruncated) {
    Found f = walk(d, name);
    if (!f.complete() && !loadTruncated) {
      throw new InvalidInputException("image " + name + ": the file is truncated: it ends at byte " + d.length
          + " before the JPEG end-of-image marker (decode such files with load_truncated_images: true)");
    }
    if (f.huffman() && f.blocks() > 0) {
      long minBits = f.blocks() * (f.progressive() ? 1 : 2);
      if (f.codedBytes() * 8 < minBits) {
        throw new InvalidInputException("image " + name + ": " + (f.complete() ? "corrupt" : "truncated")
            + " JPEG: its frame declares " + f.width() + "x" + f.height() + " pixels (" + f.blocks()
            + " blocks), which need at least " + ceilDiv(minBits, 8) + " bytes of coded data; the file holds "
            + f.codedBytes());
      }
    }
    return f;
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }
}
