package io.mmfuse.spark;

import io.mmfuse.api.InvalidInputException;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;

/**
 * Spark's image data source rows ({@code origin, height, width, nChannels, mode, data}: row-major bytes in OpenCV's
 * order, BGR or BGRA, or one grey channel) as the images the image plugin takes.
 */
final class SparkImages {
  private SparkImages() {}

  private static final String[] FIELDS = {"origin", "height", "width", "nChannels", "mode", "data"};

  /** Whether a column of this type is Spark's image struct. */
  static boolean isImageType(DataType t) {
    if (!(t instanceof StructType s) || s.fields().length != FIELDS.length) {
      return false;
    }
    for (int i = 0; i < FIELDS.length; i++) {
      if (!s.fields()[i].name().equals(FIELDS[i])) {
        return false;
      }
    }
    return true;
  }

  /** The image of one struct, its channels put in RGB order. */
  static BufferedImage toImage(Row r) {
    String origin = r.isNullAt(0) ? "(no origin)" : r.getString(0);
    int h = r.getInt(1);
    int w = r.getInt(2);
    int c = r.getInt(3);
    byte[] data = r.isNullAt(5) ? null : (byte[]) r.get(5);
    if (h <= 0 || w <= 0) {
      // Spark's reader gives -1 x -1 and no data for a file it could not decode (dropInvalid=false).
      throw new InvalidInputException("image " + origin + ": Spark's image source could not decode it (" + w + "x"
          + h + ")");
    }
    if (c != 1 && c != 3 && c != 4) {
      throw new InvalidInputException("image " + origin + ": " + c + " channels; expected 1, 3 (BGR) or 4 (BGRA)");
    }
    if (data == null || data.length != (long) w * h * c) {
      throw new InvalidInputException("image " + origin + ": " + (data == null ? 0 : data.length) + " bytes of data;"
          + " expected " + w + "x" + h + "x" + c + " = " + (long) w * h * c);
    }
    BufferedImage img;
    if (c == 1) {
      img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
      System.arraycopy(data, 0, ((DataBufferByte) img.getRaster().getDataBuffer()).getData(), 0, data.length);
    } else {
      // TYPE_3BYTE_BGR holds the bytes in B, G, R order per pixel, as Spark does; alpha, if any, is dropped (the
      // image plugin reads RGB).
      img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
      byte[] to = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
      if (c == 3) {
        System.arraycopy(data, 0, to, 0, data.length);
      } else {
        for (int p = 0, q = 0; p < data.length; p += 4, q += 3) {
          to[q] = data[p];
          to[q + 1] = data[p + 1];
          to[q + 2] = data[p + 2];
        }
      }
    }
    return img;
  }
}
