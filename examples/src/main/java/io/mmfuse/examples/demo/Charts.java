package io.mmfuse.examples.demo;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.LegendItem;
import org.jfree.chart.LegendItemCollection;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.LookupPaintScale;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The demo's two pictures, drawn with JFreeChart: training curves, and what the fused model looked at. */
final class Charts {
  private Charts() {}

  /**
   * Colours, widths and markers per model. Lines that lie on top of each other (the one-modality models all sit at
   * chance) stay visible: each later line is narrower than the one under it and its hollow marker smaller.
   */
  static final Color[] SERIES = {new Color(0, 90, 181), new Color(230, 159, 0), new Color(0, 158, 115),
    new Color(204, 121, 167)};
  private static final float[] WIDTHS = {2.5f, 7f, 4f, 1.5f};
  private static final Shape[] MARKERS = {new Ellipse2D.Double(-3, -3, 6, 6), new Rectangle2D.Double(-6.5, -6.5, 13, 13),
    new Ellipse2D.Double(-4.5, -4.5, 9, 9), triangle()};

  private static Shape triangle() {
    java.awt.geom.Path2D.Double p = new java.awt.geom.Path2D.Double();
    p.moveTo(0, -4.5);
    p.lineTo(4.5, 4);
    p.lineTo(-4.5, 4);
    p.closePath();
    return p;
  }

  private static Graphics2D canvas(BufferedImage img) {
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, img.getWidth(), img.getHeight());
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    return g;
  }

  /** Two charts: training loss and validation accuracy per epoch, one line per model, with labelled axes. */
  static void curves(Path file, Map<String, List<Double>> losses, Map<String, List<Double>> accuracies)
      throws IOException {
    BufferedImage img = new BufferedImage(1100, 460, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas(img);
    lineChart("Training loss", "loss (cross-entropy)", losses, false).draw(g, new Rectangle2D.Double(0, 0, 550, 460));
    lineChart("Validation accuracy", "accuracy", accuracies, true).draw(g, new Rectangle2D.Double(550, 0, 550, 460));
    g.dispose();
    ImageIO.write(img, "png", file.toFile());
  }

  private static JFreeChart lineChart(String title, String yLabel, Map<String, List<Double>> series, boolean unit) {
    XYSeriesCollection data = new XYSeriesCollection();
    for (Map.Entry<String, List<Double>> e : series.entrySet()) {
      XYSeries s = new XYSeries(e.getKey().equals("fused") ? "fused (all three)" : e.getKey() + " only");
      for (int i = 0; i < e.getValue().size(); i++) {
        s.add(i + 1, e.getValue().get(i));
      }
      data.addSeries(s);
    }
    JFreeChart chart = ChartFactory.createXYLineChart(title, "epoch", yLabel, data, PlotOrientation.VERTICAL, true,
        false, false);
    chart.setBackgroundPaint(Color.WHITE);
    XYPlot plot = chart.getXYPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(new Color(220, 220, 220));
    plot.setRangeGridlinePaint(new Color(220, 220, 220));
    NumberAxis x = (NumberAxis) plot.getDomainAxis();
    x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    NumberAxis y = (NumberAxis) plot.getRangeAxis();
    if (unit) {
      y.setRange(0.0, 1.05);
    }
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
    r.setUseFillPaint(true);
    r.setDrawOutlines(true);
    r.setUseOutlinePaint(false);
    for (int i = 0; i < data.getSeriesCount(); i++) {
      r.setSeriesPaint(i, SERIES[i % SERIES.length]);
      r.setSeriesFillPaint(i, i == 0 ? SERIES[0] : Color.WHITE);
      r.setSeriesStroke(i, new BasicStroke(WIDTHS[i % WIDTHS.length], BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
      r.setSeriesOutlineStroke(i, new BasicStroke(1.5f));
      r.setSeriesShape(i, MARKERS[i % MARKERS.length]);
    }
    plot.setRenderer(r);
    // First series drawn first: the narrower, smaller later ones land on top of the wider ones.
    plot.setSeriesRenderingOrder(org.jfree.chart.plot.SeriesRenderingOrder.FORWARD);
    return chart;
  }

  /** One attention panel's content. */
  record Case(BufferedImage image, float[] patches, int grid, List<String> words, float[] wordWeights,
      List<String> columns, float[] columnWeights, String caption) {}

  /** The one scale every picture and bar of the attention figure shares: the largest weight in any of them. */
  static double sharedScale(List<Case> cases) {
    double max = 1e-9;
    for (Case k : cases) {
      for (float[] a : List.of(k.patches(), k.wordWeights(), k.columnWeights())) {
        for (float v : a) {
          max = Math.max(max, v);
        }
      }
    }
    return max;
  }

  /** Light yellow to dark purple: a scale of its own, not one of the shapes' colours. */
  static PaintScale paintScale(double max) {
    LookupPaintScale s = new LookupPaintScale(0, max, new Color(252, 253, 191));
    Color[] stops = {new Color(252, 253, 191), new Color(254, 176, 120), new Color(241, 96, 93),
      new Color(183, 55, 121), new Color(114, 31, 129), new Color(44, 17, 95), new Color(0, 0, 4)};
    int steps = 64;
    for (int i = 0; i < steps; i++) {
      double t = (double) i / (steps - 1);
      double pos = t * (stops.length - 1);
      int a = Math.min(stops.length - 2, (int) pos);
      double f = pos - a;
      Color c0 = stops[a];
      Color c1 = stops[a + 1];
      s.add(t * max, new Color((int) (c0.getRed() + f * (c1.getRed() - c0.getRed())),
          (int) (c0.getGreen() + f * (c1.getGreen() - c0.getGreen())),
          (int) (c0.getBlue() + f * (c1.getBlue() - c0.getBlue()))));
    }
    return s;
  }

  /**
   * For each case: the picture as it is, the CLS attention on its patches as a heat map beside it, and bars for the
   * question's words and the table's columns, all on one scale (the legend's).
   */
  static void attention(Path file, List<Case> cases) throws IOException {
    int rowH = 230;
    BufferedImage img = new BufferedImage(1200, 50 + rowH * cases.size(), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas(img);
    double max = sharedScale(cases);
    PaintScale scale = paintScale(max);
    g.setColor(Color.DARK_GRAY);
    g.drawString("Attention of the fused model's CLS token (last layer, mean over heads), one scale for every panel:"
        + " image patches (heat map), question words (blue bars), table columns (green bars)", 16, 22);
    for (int c = 0; c < cases.size(); c++) {
      Case k = cases.get(c);
      int y = 40 + c * rowH;
      g.setColor(Color.DARK_GRAY);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
      g.drawString(k.caption(), 16, y + 14);
      g.drawImage(k.image(), 16, y + 30, 180, 180, null);
      heatMap(k, scale, max).draw(g, new Rectangle2D.Double(206, y + 22, 270, 200));
      bars(k, max).draw(g, new Rectangle2D.Double(486, y + 22, 700, 200));
    }
    g.dispose();
    ImageIO.write(img, "png", file.toFile());
  }

  private static JFreeChart heatMap(Case k, PaintScale scale, double max) {
    int n = k.grid() * k.grid();
    double[][] xyz = new double[3][n];
    for (int p = 0; p < n && p < k.patches().length; p++) {
      xyz[0][p] = p % k.grid();
      xyz[1][p] = k.grid() - 1 - p / k.grid();
      xyz[2][p] = k.patches()[p];
    }
    DefaultXYZDataset data = new DefaultXYZDataset();
    data.addSeries("patches", xyz);
    NumberAxis x = new NumberAxis();
    NumberAxis y = new NumberAxis();
    for (NumberAxis a : List.of(x, y)) {
      a.setRange(-0.5, k.grid() - 0.5);
      a.setVisible(false);
    }
    XYBlockRenderer r = new XYBlockRenderer();
    r.setPaintScale(scale);
    XYPlot plot = new XYPlot(data, x, y, r);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinesVisible(false);
    plot.setRangeGridlinesVisible(false);
    JFreeChart chart = new JFreeChart(null, JFreeChart.DEFAULT_TITLE_FONT, plot, false);
    chart.setBackgroundPaint(Color.WHITE);
    NumberAxis legendAxis = new NumberAxis("attention");
    legendAxis.setRange(0, max);
    PaintScaleLegend legend = new PaintScaleLegend(scale, legendAxis);
    legend.setPosition(RectangleEdge.RIGHT);
    legend.setAxisLocation(AxisLocation.BOTTOM_OR_RIGHT);
    legend.setStripWidth(10);
    legend.setMargin(4, 4, 4, 4);
    chart.addSubtitle(legend);
    return chart;
  }

  private static JFreeChart bars(Case k, double max) {
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    for (int i = 0; i < k.words().size(); i++) {
      data.addValue(k.wordWeights()[i], "attention", (i + 1) + " " + k.words().get(i));
    }
    for (int i = 0; i < k.columns().size(); i++) {
      data.addValue(k.columnWeights()[i], "attention", k.columns().get(i));
    }
    JFreeChart chart = ChartFactory.createBarChart(null, null, "attention", data, PlotOrientation.VERTICAL, true,
        false, false);
    chart.setBackgroundPaint(Color.WHITE);
    CategoryPlot plot = chart.getCategoryPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(new Color(220, 220, 220));
    ((NumberAxis) plot.getRangeAxis()).setRange(0, max);
    plot.getDomainAxis().setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
    plot.getDomainAxis().setMaximumCategoryLabelLines(2);
    int words = k.words().size();
    BarRenderer r = new BarRenderer() {
      @Override
      public java.awt.Paint getItemPaint(int row, int column) {
        return column < words ? WORD : COLUMN;
      }
    };
    r.setBarPainter(new StandardBarPainter());
    r.setShadowVisible(false);
    r.setDrawBarOutline(false);
    plot.setRenderer(r);
    LegendItemCollection legend = new LegendItemCollection();
    legend.add(new LegendItem("question word", WORD));
    legend.add(new LegendItem("table column", COLUMN));
    plot.setFixedLegendItems(legend);
    return chart;
  }

  private static final Color WORD = new Color(60, 110, 200);
  private static final Color COLUMN = new Color(40, 150, 90);
}
