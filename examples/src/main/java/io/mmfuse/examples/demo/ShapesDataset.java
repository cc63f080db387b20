package io.mmfuse.examples.demo;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * The demo's data set, generated from a seed: a picture of one coloured shape, a question in words about a colour
 * and a shape ("is there a red circle?", phrased many ways), and a table row whose {@code check} column sets the
 * rule: {@code color} (the answer is yes when the picture's colour is the one asked), {@code shape} (when its shape
 * is), or {@code both}; plus a {@code noise} column. The label is the answer.
 *
 * <p>Why one modality alone cannot beat chance, by construction: the label is drawn first (yes or no, half each),
 * independently of everything, then the rule and the question uniformly, then the picture uniformly among those that
 * give that label under that rule. Given the label, the question and the rule are uniform by construction, and so is
 * the picture (every colour and shape is as likely to agree as to disagree with a uniformly drawn question). So each
 * input alone is independent of the label, and a model that sees one input is at 50% in expectation. Question and
 * picture together tell whether colour and shape agree, which settles the answer only when both or neither agree;
 * the table's rule decides the rest.
 */
public final class ShapesDataset {
  static final String[] COLORS = {"red", "green", "blue"};
  static final Color[] RGB = {new Color(220, 30, 30), new Color(30, 180, 40), new Color(40, 70, 230)};
  static final String[] SHAPES = {"circle", "square", "triangle"};
  static final String[] PHRASES = {
    "is there a %s %s?", "do you see a %s %s", "can you spot a %s %s in the picture?", "any %s %s here?",
    "does the image show a %s %s?", "is a %s %s visible", "tell me if there is a %s %s", "a %s %s, is it there?"
  };
  static final String[] WORDS = {"is", "there", "a", "do", "you", "see", "can", "spot", "in", "the", "picture", "any",
    "here", "does", "image", "show", "visible", "tell", "me", "if", "it", "?", ",", "red", "green", "blue", "circle",
    "square", "triangle"};
  public static final int SIZE = 24;

  /** One generated example. */
  public record Example(String image, String question, String check, int noise, String answer, int color, int shape,
      int askedColor, int askedShape) {}

  static final String[] CHECKS = {"color", "shape", "both"};

  private ShapesDataset() {}

  /** Generates {@code n} examples (images under {@code dir/images}) and writes {@code dir/data.csv}. */
  public static List<Example> generate(Path dir, int n, long seed) throws IOException {
    Random r = new Random(seed);
    Files.createDirectories(dir.resolve("images"));
    List<Example> out = new ArrayList<>();
    List<String> csv = new ArrayList<>(List.of("image,question,check,noise,answer"));
    for (int i = 0; i < n; i++) {
      boolean yes = r.nextBoolean();
      int check = r.nextInt(3);
      int askedColor = r.nextInt(3);
      int askedShape = r.nextInt(3);
      int color;
      int shape;
      do {
        color = r.nextInt(3);
        shape = r.nextInt(3);
      } while (answer(check, color == askedColor, shape == askedShape) != yes);
      String name = String.format("images/%05d.png", i);
      ImageIO.write(draw(color, shape, r), "png", dir.resolve(name).toFile());
      String question = String.format(PHRASES[r.nextInt(PHRASES.length)], COLORS[askedColor], SHAPES[askedShape]);
      Example e = new Example(name, question, CHECKS[check], r.nextInt(100), yes ? "yes" : "no",
          color, shape, askedColor, askedShape);
      out.add(e);
      csv.add(String.join(",", e.image(), "\"" + e.question() + "\"", e.check(), Integer.toString(e.noise()),
          e.answer()));
    }
    Files.write(dir.resolve("data.csv"), csv);
    return out;
  }

  /** The rule: what must agree between picture and question for a yes. */
  static boolean answer(int check, boolean colorAgrees, boolean shapeAgrees) {
    return switch (check) {
      case 0 -> colorAgrees;
      case 1 -> shapeAgrees;
      default -> colorAgrees && shapeAgrees;
    };
  }

  /** A WordPiece vocabulary (BERT vocab.txt layout) covering the questions' words. */
  public static void writeVocabulary(Path file) throws IOException {
    List<String> vocab = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
    vocab.addAll(List.of(WORDS));
    Files.write(file, vocab);
  }

  static BufferedImage draw(int color, int shape, Random r) {
    BufferedImage img = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_OFF);
    g.setColor(new Color(20 + r.nextInt(30), 20 + r.nextInt(30), 20 + r.nextInt(30)));
    g.fillRect(0, 0, SIZE, SIZE);
    int s = 14 + r.nextInt(7);
    int x = r.nextInt(SIZE - s + 1);
    int y = r.nextInt(SIZE - s + 1);
    g.setColor(RGB[color]);
    switch (shape) {
      case 0 -> g.fillOval(x, y, s, s);
      case 1 -> g.fillRect(x, y, s, s);
      default -> g.fillPolygon(new int[] {x, x + s / 2, x + s}, new int[] {y + s, y, y + s}, 3);
    }
    g.dispose();
    return img;
  }
}
