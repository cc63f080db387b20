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
 * The demo's data set, generated from a seed: a picture of one coloured shape in a light or dark shade; a question in
 * words about a shade and a colour ("is there a dark red shape?", phrased many ways); and a table row whose
 * {@code check} column sets the rule: {@code color} (the answer is yes when the picture's colour is the one asked),
 * {@code shade} (when its shade is), or {@code both}; plus a {@code noise} column. The label is the answer. The
 * outline (circle, square, triangle) and the size vary freely and decide nothing.
 *
 * <p>Why one modality alone cannot beat chance, by construction: the label is drawn first (yes or no, half each),
 * independently of everything, then the rule and the question uniformly, then the picture uniformly among those that
 * give that label under that rule. Given the label, the question and the rule are uniform by construction, and so is
 * the picture (every colour and shade is as likely to agree as to disagree with a uniformly drawn question). So each
 * input alone is independent of the label, and a model that sees one input is at 50% in expectation. Question and
 * picture together tell whether colour and shade agree, which settles the answer only when both or neither agree;
 * the table's rule decides the rest.
 *
 * <p>Why shades, not outlines or sizes: the first version asked about the outline ("a red circle"). The fused model
 * learned to match colours and never the outline (0.78 overall, 0.74 when every row checked the outline), although an
 * image-only model names the outline at 0.99: matching a word against a form spread over several patches was out of
 * reach of a model this small trained this briefly. Sizes failed the same way (attention pools an average, which
 * hides how many patches are coloured). Shade and hue are both read from the colour of the shape's patches, and the
 * colours are chosen so that both are linear in it: the dark shade is the pure hue at 140, the light one adds 115 to
 * every channel, so a channel minus the others' mean gives the hue in either shade and the sum gives the shade.
 */
public final class ShapesDataset {
  static final String[] COLORS = {"red", "green", "blue"};
  /**
   * Each colour in its two shades, light then dark: dark is the pure hue at 140, light adds 115 to every channel. So
   * the hue (a channel minus the mean of the others) is the same in both shades and the shade is the brightness.
   */
  static final Color[][] RGB = {
    {new Color(255, 115, 115), new Color(140, 0, 0)},
    {new Color(115, 255, 115), new Color(0, 140, 0)},
    {new Color(115, 115, 255), new Color(0, 0, 140)}};
  static final String[] SHADES = {"light", "dark"};
  /** Phrasings; %1$s is the shade, %2$s the colour. */
  static final String[] PHRASES = {
    "is there a %1$s %2$s shape?", "do you see a %1$s %2$s one", "can you spot a %1$s %2$s shape in the picture?",
    "any %1$s %2$s thing here?", "does the image show a %2$s shape that is %1$s?", "is a %1$s %2$s object visible",
    "tell me if there is a %1$s %2$s shape", "a %2$s shape, %1$s, is it there?"
  };
  static final String[] WORDS = {"is", "there", "a", "do", "you", "see", "can", "spot", "in", "the", "picture", "any",
    "here", "does", "image", "show", "visible", "tell", "me", "if", "it", "?", ",", "shape", "one", "thing", "that",
    "object", "red", "green", "blue", "light", "dark"};
  public static final int SIZE = 32;

  /** One generated example. */
  public record Example(String image, String question, String check, int noise, String answer, int color, int shade,
      int askedColor, int askedShade) {}

  static final String[] CHECKS = {"color", "shade", "both"};

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
      int askedColor = r.nextInt(COLORS.length);
      int askedShade = r.nextInt(SHADES.length);
      int color;
      int shade;
      do {
        color = r.nextInt(COLORS.length);
        shade = r.nextInt(SHADES.length);
      } while (answer(check, color == askedColor, shade == askedShade) != yes);
      String name = String.format(java.util.Locale.ROOT, "images/%05d.png", i);
      ImageIO.write(draw(color, shade, r), "png", dir.resolve(name).toFile());
      String question = String.format(PHRASES[r.nextInt(PHRASES.length)], SHADES[askedShade], COLORS[askedColor]);
      Example e = new Example(name, question, CHECKS[check], r.nextInt(100), yes ? "yes" : "no",
          color, shade, askedColor, askedShade);
      out.add(e);
      csv.add(String.join(",", e.image(), "\"" + e.question() + "\"", e.check(), Integer.toString(e.noise()),
          e.answer()));
    }
    Files.write(dir.resolve("data.csv"), csv);
    return out;
  }

  /** The rule: what must agree between picture and question for a yes. */
  static boolean answer(int check, boolean colorAgrees, boolean shadeAgrees) {
    return switch (check) {
      case 0 -> colorAgrees;
      case 1 -> shadeAgrees;
      default -> colorAgrees && shadeAgrees;
    };
  }

  /** A WordPiece vocabulary (BERT vocab.txt layout) covering the questions' words. */
  public static void writeVocabulary(Path file) throws IOException {
    List<String> vocab = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
    vocab.addAll(List.of(WORDS));
    Files.write(file, vocab);
  }

  /** A dark grey, slightly varied background and one shape (circle, square or triangle, 14-24 px) in the shade. */
  static BufferedImage draw(int color, int shade, Random r) {
    BufferedImage img = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_OFF);
    g.setColor(new Color(20 + r.nextInt(30), 20 + r.nextInt(30), 20 + r.nextInt(30)));
    g.fillRect(0, 0, SIZE, SIZE);
    int s = 14 + r.nextInt(11);
    int x = r.nextInt(SIZE - s + 1);
    int y = r.nextInt(SIZE - s + 1);
    g.setColor(RGB[color][shade]);
    switch (r.nextInt(3)) {
      case 0 -> g.fillOval(x, y, s, s);
      case 1 -> g.fillRect(x, y, s, s);
      default -> g.fillPolygon(new int[] {x, x + s / 2, x + s}, new int[] {y + s, y, y + s}, 3);
    }
    g.dispose();
    return img;
  }
}
