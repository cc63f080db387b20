package io.mmfuse.examples.demo;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/** The demo's two pictures, drawn with Java2D: training curves, and what the fused model looked at. */
final class Charts {
  private Charts() {}

  static final Color[] SERIES = {new Color(200, 40, 40), new Color(40, 120, 200), new Color(40, 160, 60),
    new Color(150, 90, 200)};

  private static Graphics2D canvas(BufferedImage img) {
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, img.getWidth(), img.getHeight());
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    return g;
  }

  /** Two panels: training loss and validation accuracy per epoch, one line per model. */
  static void curves(Path file, Map<String, List<Double>> losses, Map<String, List<Double>> accuracies)
      throws IOException {
    BufferedImage img = new BufferedImage(960, 420, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas(img);
    panel(g, 40, 40, 420, 320, "training loss", losses, false);
    panel(g, 520, 40, 420, 320, "validation accuracy", accuracies, true);
    int x = 40;
    int i = 0;
    for (String name : losses.keySet()) {
      g.setColor(SERIES[i++ % SERIES.length]);
      g.fillRect(x, 395, 14, 4);
      g.setColor(Color.DARK_GRAY);
      g.drawString(name, x + 20, 401);
      x += 140;
    }
    g.dispose();
    ImageIO.write(img, "png", file.toFile());
  }

  private static void panel(Graphics2D g, int x0, int y0, int w, int h, String title, Map<String, List<Double>> series,
      boolean unit) {
    g.setColor(Color.DARK_GRAY);
    g.drawString(title, x0, y0 - 12);
    g.drawRect(x0, y0, w, h);
    double max = unit ? 1 : 0;
    int epochs = 1;
    for (List<Double> s : series.values()) {
      for (double v : s) {
        max = Math.max(max, v);
      }
      epochs = Math.max(epochs, s.size());
    }
    double min = unit ? 0.4 : 0;
    g.drawString(String.format("%.2f", max), x0 - 36, y0 + 10);
    g.drawString(String.format("%.2f", min), x0 - 36, y0 + h);
    g.drawString("epoch " + epochs, x0 + w - 60, y0 + h + 16);
    int i = 0;
    g.setStroke(new BasicStroke(2f));
    for (List<Double> s : series.values()) {
      g.setColor(SERIES[i++ % SERIES.length]);
      for (int e = 1; e < s.size(); e++) {
        int xa = x0 + (int) ((e - 1) * (double) w / Math.max(1, epochs - 1));
        int xb = x0 + (int) (e * (double) w / Math.max(1, epochs - 1));
        int ya = y0 + h - (int) ((s.get(e - 1) - min) / (max - min) * h);
        int yb = y0 + h - (int) ((s.get(e) - min) / (max - min) * h);
        g.drawLine(xa, Math.max(y0, ya), xb, Math.max(y0, yb));
      }
    }
    g.setStroke(new BasicStroke(1f));
  }

  /** One attention panel's content. */
  record Case(BufferedImage image, float[] patches, int grid, List<String> words, float[] wordWeights,
      List<String> columns, float[] columnWeights, String caption) {}

  /** For each case: the image with the CLS attention on its patches, bars for the words and the table's columns. */
  static void attention(Path file, List<Case> cases) throws IOException {
    int rowH = 190;
    BufferedImage img = new BufferedImage(960, 40 + rowH * cases.size(), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas(img);
    g.setColor(Color.DARK_GRAY);
    g.drawString("Attention of the fused model's CLS token (last layer, mean over heads): image patches (red),"
        + " question words and table columns (bars)", 20, 24);
    for (int c = 0; c < cases.size(); c++) {
      Case k = cases.get(c);
      int y = 40 + c * rowH;
      g.drawImage(k.image(), 20, y + 10, 160, 160, null);
      float max = 1e-9f;
      for (float v : k.patches()) {
        max = Math.max(max, v);
      }
      int cell = 160 / k.grid();
      for (int p = 0; p < k.patches().length && p < k.grid() * k.grid(); p++) {
        int alpha = (int) (170 * k.patches()[p] / max);
        g.setColor(new Color(255, 0, 0, Math.max(0, Math.min(255, alpha))));
        g.fillRect(20 + (p % k.grid()) * cell, y + 10 + (p / k.grid()) * cell, cell, cell);
        g.setColor(new Color(255, 255, 255, 60));
        g.drawRect(20 + (p % k.grid()) * cell, y + 10 + (p / k.grid()) * cell, cell, cell);
      }
      g.setColor(Color.DARK_GRAY);
      g.drawString(k.caption(), 200, y + 22);
      bars(g, 200, y + 40, 560, 110, k.words(), k.wordWeights());
      bars(g, 780, y + 40, 160, 110, k.columns(), k.columnWeights());
    }
    g.dispose();
    ImageIO.write(img, "png", file.toFile());
  }

  private static void bars(Graphics2D g, int x, int y, int w, int h, List<String> labels, float[] values) {
    float max = 1e-9f;
    for (float v : values) {
      max = Math.max(max, v);
    }
    int n = Math.max(1, labels.size());
    int bw = Math.min(60, w / n);
    Font small = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
    g.setFont(small);
    for (int i = 0; i < labels.size(); i++) {
      int bh = (int) ((h - 20) * values[i] / max);
      g.setColor(new Color(60, 110, 200));
      g.fillRect(x + i * bw + 2, y + h - 20 - bh, bw - 4, bh);
      g.setColor(Color.DARK_GRAY);
      String s = labels.get(i);
      g.drawString(s.length() > 9 ? s.substring(0, 9) : s, x + i * bw + 2, y + h - 6);
    }
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
  }
}
