package io.mmfuse.examples.demo;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import io.mmfuse.api.plugin.ModalityRegistry;
import io.mmfuse.api.proto.HeadSpec;
import io.mmfuse.api.proto.ModelSpec;
import io.mmfuse.api.proto.Task;
import io.mmfuse.fusion.data.Dataset;
import io.mmfuse.fusion.inference.Predictor;
import io.mmfuse.fusion.train.Metrics;
import io.mmfuse.fusion.train.ProgressLog;
import io.mmfuse.fusion.train.Trainer;
import io.mmfuse.fusion.train.TrainingConfig;
import io.mmfuse.modality.image.ImageTokenizerFactory;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import javax.imageio.ImageIO;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;

/**
 * The retrieval demo ({@code mmfuse demo --task retrieval}): on the emoji set in {@code data/emoji} (two vendors'
 * drawings of 1,906 emoji), trains pictures and names to nearby embeddings on 80% of the emoji, then measures
 * retrieval among the unseen 20%, classifies the unseen pictures into the 9 categories from the category names
 * alone, and draws {@code retrieval.png}: for typed queries the 5 nearest pictures, and for a few unseen pictures the
 * 5 nearest names.
 */
public final class RetrievalDemo {
  static final List<String> QUERIES = List.of("slice of pizza", "red heart", "japan flag", "cat face", "rocket");

  /** What the demo measured. */
  public record Summary(Map<String, Double> unseen, double zeroShot, double chance, double seconds, Path grid) {}

  private final Path data;
  private final Path out;
  private final int emoji;
  private final long seed;
  private final int epochs;
  private final ModalityRegistry registry;
  private final PrintWriter log;

  /**
   * @param data the emoji set's folder ({@code emoji.csv} and the PNGs)
   * @param emoji at most this many emoji (0: all), for a quick run
   */
  public RetrievalDemo(Path data, Path out, int emoji, long seed, int epochs, ModalityRegistry registry,
      PrintWriter log) {
    this.data = data;
    this.out = out;
    this.emoji = emoji;
    this.seed = seed;
    this.epochs = epochs;
    this.registry = registry;
    this.log = log;
  }

  private record Row(String image, String name, String category, String unified) {}

  private List<Row> rows() throws IOException {
    List<Row> rows = new ArrayList<>();
    try (Reader r = Files.newBufferedReader(data.resolve("emoji.csv"), StandardCharsets.UTF_8);
        CSVParser p = CSVParser.parse(r, CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get())) {
      for (CSVRecord rec : p) {
        rows.add(new Row(data.toAbsolutePath().resolve(rec.get("image")).toString(), rec.get("name"),
            rec.get("category"), rec.get("unified")));
      }
    }
    return rows;
  }

  private static void write(Path file, List<Row> rows) throws IOException {
    try (CSVPrinter p = new CSVPrinter(Files.newBufferedWriter(file, StandardCharsets.UTF_8), CSVFormat.DEFAULT)) {
      p.printRecord("image", "name", "category", "unified");
      for (Row r : rows) {
        p.printRecord(r.image(), r.name(), r.category(), r.unified());
      }
    }
  }

  public Summary run() throws IOException {
    long start = System.nanoTime();
    Files.createDirectories(out);
    List<Row> all = rows();
    List<String> ids = new ArrayList<>(new java.util.TreeSet<>(all.stream().map(Row::unified).toList()));
    Collections.shuffle(ids, new Random(seed));
    if (emoji > 0 && emoji < ids.size()) {
      Set<String> keep = new HashSet<>(ids.subList(0, emoji));
      all = all.stream().filter(r -> keep.contains(r.unified())).toList();
      ids = new ArrayList<>(ids.subList(0, emoji));
    }
    Set<String> held = new HashSet<>(ids.subList(0, Math.max(2, ids.size() / 5)));
    List<Row> seen = all.stream().filter(r -> !held.contains(r.unified())).toList();
    List<Row> unseen = all.stream().filter(r -> held.contains(r.unified())).toList();
    Path seenCsv = out.resolve("seen.csv");
    write(seenCsv, seen);
    log.printf(Locale.ROOT, "emoji: %d drawings of %d emoji; training on %d, %d unseen emoji held out%n", all.size(),
        ids.size(), seen.size(), held.size());
    ModelSpec spec = ModelSpec.newBuilder().setHead(HeadSpec.newBuilder().setTask(Task.CONTRASTIVE)
        .addSideA("image").addSideB("name")).build();
    Path model = out.resolve("model");
    Dataset d = Dataset.read(seenCsv, null, null, registry, new Dataset.ReadOptions(Set.of("category"),
        Map.of("name", "text", "image", "image"), "unified"));
    List<io.mmfuse.api.proto.InputSpec> inputs = new ArrayList<>();
    for (io.mmfuse.api.proto.InputSpec in : d.inputs()) {
      // Augmented pictures generalize to drawings in other styles (docs/retrieval.md).
      inputs.add(in.getModality().equals("image") ? ImageTokenizerFactory.withDefaultAugmentation(in) : in);
    }
    new Trainer(TrainingConfig.builder().optEpochs(epochs).optSeed(seed).optValidationFraction(0.1).build(), registry)
        .addListener(new ProgressLog(log)).fit(spec, d.withInputs(inputs), null, out, model);
    try (Predictor p = Predictor.load(model, registry)) {
      List<float[]> unseenPictures = pictures(p, unseen);
      Map<String, Double> recall = recall(p, unseen, unseenPictures);
      log.printf(Locale.ROOT, "unseen emoji (%d drawings): picture -> name R@1 %.3f R@5 %.3f R@10 %.3f; name ->"
          + " picture R@1 %.3f R@5 %.3f R@10 %.3f%n", unseen.size(), recall.get("recall_a_to_b@1"),
          recall.get("recall_a_to_b@5"), recall.get("recall_a_to_b@10"), recall.get("recall_b_to_a@1"),
          recall.get("recall_b_to_a@5"), recall.get("recall_b_to_a@10"));
      List<String> categories = new ArrayList<>(new java.util.TreeSet<>(all.stream().map(Row::category).toList()));
      double zeroShot = zeroShot(p, unseen, unseenPictures, categories);
      log.printf(Locale.ROOT, "zero-shot category of the unseen pictures from the %d category names: accuracy"
          + " %.3f (chance %.3f)%n", categories.size(), zeroShot, 1.0 / categories.size());
      Path grid = out.resolve("retrieval.png");
      grid(p, all, unseen, grid);
      Summary s = new Summary(recall, zeroShot, 1.0 / categories.size(), (System.nanoTime() - start) / 1e9, grid);
      JsonObject o = new JsonObject();
      recall.forEach(o::addProperty);
      o.addProperty("zero_shot_accuracy", zeroShot);
      o.addProperty("zero_shot_chance", s.chance());
      o.addProperty("seconds", s.seconds());
      Files.writeString(out.resolve("summary.json"), new GsonBuilder().setPrettyPrinting().create().toJson(o));
      return s;
    }
  }

  private static float[] flat(List<float[]> rows) {
    int w = rows.get(0).length;
    float[] out = new float[rows.size() * w];
    for (int i = 0; i < rows.size(); i++) {
      System.arraycopy(rows.get(i), 0, out, i * w, w);
    }
    return out;
  }

  /** The pictures' embeddings, in batches of 64. */
  private static List<float[]> pictures(Predictor p, List<Row> rows) {
    List<float[]> out = new ArrayList<>();
    for (int b = 0; b < rows.size(); b += 64) {
      List<Map<String, io.mmfuse.api.TokenSequence>> batch = new ArrayList<>();
      for (Row r : rows.subList(b, Math.min(rows.size(), b + 64))) {
        batch.add(p.tokenize(Map.of("image", Path.of(r.image())), r.image()));
      }
      out.addAll(p.embedTokenized(batch, "image"));
    }
    return out;
  }

  private static float[] name(Predictor p, String text) {
    return p.embed(Map.of("name", text), "name");
  }

  private Map<String, Double> recall(Predictor p, List<Row> rows, List<float[]> pics) {
    List<float[]> names = new ArrayList<>();
    long[] keys = new long[rows.size()];
    Map<String, Long> ids = new LinkedHashMap<>();
    for (int i = 0; i < rows.size(); i++) {
      names.add(name(p, rows.get(i).name()));
      keys[i] = ids.computeIfAbsent(rows.get(i).name(), k -> (long) ids.size());
    }
    long[] picKeys = new long[rows.size()];
    Map<String, Long> pictureIds = new LinkedHashMap<>();
    for (int i = 0; i < rows.size(); i++) {
      picKeys[i] = pictureIds.computeIfAbsent(rows.get(i).image(), k -> (long) pictureIds.size());
    }
    return Metrics.retrieval(flat(pics), flat(names), picKeys, keys, pics.get(0).length);
  }

  private double zeroShot(Predictor p, List<Row> rows, List<float[]> pics, List<String> categories) {
    List<float[]> labels = new ArrayList<>();
    categories.forEach(c -> labels.add(name(p, c)));
    int correct = 0;
    for (int i = 0; i < rows.size(); i++) {
      int best = 0;
      double bestScore = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < labels.size(); c++) {
        double s = dot(pics.get(i), labels.get(c));
        if (s > bestScore) {
          bestScore = s;
          best = c;
        }
      }
      correct += categories.get(best).equals(rows.get(i).category()) ? 1 : 0;
    }
    return (double) correct / rows.size();
  }

  private static double dot(float[] a, float[] b) {
    double d = 0;
    for (int i = 0; i < a.length; i++) {
      d += a[i] * b[i];
    }
    return d;
  }

  /** The k best indices by score. */
  private static List<Integer> top(double[] scores, int k) {
    List<Integer> idx = new ArrayList<>();
    for (int i = 0; i < scores.length; i++) {
      idx.add(i);
    }
    idx.sort((a, b) -> Double.compare(scores[b], scores[a]));
    return idx.subList(0, Math.min(k, idx.size()));
  }

  /** Typed queries against every picture; a few unseen pictures against every name. */
  private void grid(Predictor p, List<Row> all, List<Row> unseen, Path file) throws IOException {
    int cell = 72;
    int label = 150;
    List<Row> twitter = all.stream().filter(r -> r.image().contains("/twitter/")).toList();
    List<float[]> pics = pictures(p, twitter);
    List<String> names = new ArrayList<>(new java.util.LinkedHashSet<>(all.stream().map(Row::name).toList()));
    List<float[]> nameVectors = new ArrayList<>();
    names.forEach(n -> nameVectors.add(name(p, n)));
    List<Row> probes = unseen.stream().filter(r -> r.image().contains("/twitter/")).limit(4).toList();
    int rowsDrawn = QUERIES.size() + probes.size();
    BufferedImage img = new BufferedImage(label + 5 * (cell + 140), rowsDrawn * (cell + 10) + 30,
        BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, img.getWidth(), img.getHeight());
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
    g.drawString("query -> the 5 nearest pictures (Twitter drawings); unseen picture -> the 5 nearest names", 8, 18);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    int y = 30;
    for (String q : QUERIES) {
      float[] v = name(p, q);
      double[] s = new double[pics.size()];
      for (int i = 0; i < s.length; i++) {
        s[i] = dot(v, pics.get(i));
      }
      g.drawString("\"" + q + "\"", 8, y + cell / 2);
      int x = label;
      for (int i : top(s, 5)) {
        g.drawImage(ImageIO.read(Path.of(twitter.get(i).image()).toFile()), x, y, cell, cell, null);
        g.drawString(String.format(Locale.ROOT, "%.2f %s", s[i], shorten(twitter.get(i).name())), x + cell + 4,
            y + cell / 2);
        x += cell + 140;
      }
      y += cell + 10;
    }
    for (Row r : probes) {
      float[] v = p.embed(Map.of("image", Path.of(r.image())), "image");
      double[] s = new double[names.size()];
      for (int i = 0; i < s.length; i++) {
        s[i] = dot(v, nameVectors.get(i));
      }
      g.drawImage(ImageIO.read(Path.of(r.image()).toFile()), 8, y, cell, cell, null);
      int x = label;
      for (int i : top(s, 5)) {
        g.setColor(names.get(i).equals(r.name()) ? new Color(0, 120, 0) : Color.BLACK);
        g.drawString(String.format(Locale.ROOT, "%.2f %s", s[i], shorten(names.get(i))), x, y + cell / 2);
        x += cell + 140;
      }
      g.setColor(Color.BLACK);
      y += cell + 10;
    }
    g.dispose();
    ImageIO.write(img, "png", file.toFile());
  }

  private static String shorten(String s) {
    return s.length() <= 22 ? s : s.substring(0, 21) + "...";
  }
}
