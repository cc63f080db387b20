package io.mmfuse.benchmarks;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Random;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * Writes an image + text + table data set for the streaming benchmarks: {@code data.csv} (image, title, price,
 * colour, label) and one image file per row under {@code images/}.
 *
 * <ul>
 *   <li>{@code icons}: 64x64 PNG drawings of a shape (the label) in a colour; the title names the colour and, one row
 *       in three, the shape.
 *   <li>{@code photos}: 320x240 JPEG crops of two real photographs ({@code flower.jpg}, {@code china.jpg} from
 *       scikit-learn's sample images, in modality-image's test fixtures), moved, flipped and brightened at random;
 *       the label is the photograph. Decoding these is the costly part of the input.
 * </ul>
 *
 * Titles are of very different lengths (seven rows in ten 2 to 5 words, the others 20 to 60), for length buckets.
 * Usage: {@code StreamingData DIR ROWS icons|photos [SEED]}.
 */
public final class StreamingData {
  private static final String[] SHAPES = {"circle", "square", "triangle"};
  private static final String[] COLOURS = {"red", "green", "blue", "orange"};
  private static final Color[] RGB = {new Color(200, 40, 40), new Color(40, 160, 60), new Color(40, 70, 200),
      new Color(240, 150, 30)};
  private static final String[] WORDS = {"a", "small", "large", "bright", "drawing", "of", "the", "with", "on",
      "background", "picture", "plain", "simple", "old", "new", "photo", "shot", "near", "light", "dark"};

  private StreamingData() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 3) {
      System.err.println("usage: StreamingData DIR ROWS icons|photos [SEED]");
      System.exit(2);
    }
    Path dir = Path.of(args[0]);
    int rows = Integer.parseInt(args[1]);
    boolean photos = args[2].equals("photos");
    long seed = args.length > 3 ? Long.parseLong(args[3]) : 1;
    write(dir, rows, photos, seed);
  }

  /** Writes the data set; returns the CSV file. */
  public static Path write(Path dir, int rows, boolean photos, long seed) throws IOException {
    Files.createDirectories(dir.resolve("images"));
    Random r = new Random(seed);
    BufferedImage[] sources = photos ? new BufferedImage[] {
        ImageIO.read(Path.of("modality-image/src/test/resources/fixtures/images/flower.jpg").toFile()),
        ImageIO.read(Path.of("modality-image/src/test/resources/fixtures/images/china.jpg").toFile())} : null;
    Path csv = dir.resolve("data.csv");
    try (Writer w = Files.newBufferedWriter(csv, StandardCharsets.UTF_8);
        CSVPrinter out = new CSVPrinter(w, CSVFormat.DEFAULT)) {
      out.printRecord("image", "title", "price", "colour", "label");
      for (int i = 0; i < rows; i++) {
        int colour = r.nextInt(COLOURS.length);
        String label;
        String file;
        if (photos) {
          int which = r.nextInt(2);
          label = which == 0 ? "flower" : "temple";
          file = String.format(Locale.ROOT, "images/%06d.jpg", i);
          writeJpeg(crop(sources[which], r), dir.resolve(file));
        } else {
          int shape = r.nextInt(SHAPES.length);
          label = SHAPES[shape];
          file = String.format(Locale.ROOT, "images/%06d.png", i);
          ImageIO.write(icon(shape, RGB[colour], r), "png", dir.resolve(file).toFile());
        }
        out.printRecord(file, title(r, COLOURS[colour], r.nextInt(3) == 0 ? label : null),
            String.format(Locale.ROOT, "%.2f", 5 + 20 * r.nextDouble()), COLOURS[colour], label);
      }
    }
    return csv;
  }

  private static String title(Random r, String colour, String hint) {
    int n = r.nextInt(10) < 7 ? 2 + r.nextInt(4) : 20 + r.nextInt(41);
    StringBuilder sb = new StringBuilder(colour);
    for (int k = 1; k < n; k++) {
      sb.append(' ').append(WORDS[r.nextInt(WORDS.length)]);
    }
    if (hint != null) {
      sb.append(' ').append(hint);
    }
    return sb.toString();
  }

  private static BufferedImage icon(int shape, Color colour, Random r) {
    BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(new Color(200 + r.nextInt(56), 200 + r.nextInt(56), 200 + r.nextInt(56)));
    g.fillRect(0, 0, 64, 64);
    g.setColor(colour);
    int s = 24 + r.nextInt(24);
    int x = r.nextInt(64 - s);
    int y = r.nextInt(64 - s);
    switch (shape) {
      case 0 -> g.fillOval(x, y, s, s);
      case 1 -> g.fillRect(x, y, s, s);
      default -> g.fillPolygon(new int[] {x, x + s / 2, x + s}, new int[] {y + s, y, y + s}, 3);
    }
    g.dispose();
    return img;
  }

  private static BufferedImage crop(BufferedImage src, Random r) {
    int w = 320;
    int h = 240;
    int x = r.nextInt(src.getWidth() - w);
    int y = r.nextInt(src.getHeight() - h);
    boolean flip = r.nextBoolean();
    float gain = 0.8f + 0.4f * r.nextFloat();
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int j = 0; j < h; j++) {
      for (int i = 0; i < w; i++) {
        int p = src.getRGB(x + (flip ? w - 1 - i : i), y + j);
        int red = Math.min(255, (int) (((p >> 16) & 0xFF) * gain));
        int green = Math.min(255, (int) (((p >> 8) & 0xFF) * gain));
        int blue = Math.min(255, (int) ((p & 0xFF) * gain));
        out.setRGB(i, j, (red << 16) | (green << 8) | blue);
      }
    }
    return out;
  }

  private static void writeJpeg(BufferedImage img, Path file) throws IOException {
    Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
    ImageWriter writer = writers.next();
    ImageWriteParam p = writer.getDefaultWriteParam();
    p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
    p.setCompressionQuality(0.9f);
    try (ImageOutputStream out = ImageIO.createImageOutputStream(file.toFile())) {
      writer.setOutput(out);
      writer.write(null, new IIOImage(img, null, null), p);
    } finally {
      writer.dispose();
    }
  }
}
