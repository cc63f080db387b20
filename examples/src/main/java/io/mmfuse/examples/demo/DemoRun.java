package io.mmfuse.examples.demo;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import io.mmfuse.api.Specs;
import io.mmfuse.api.plugin.ModalityRegistry;
import io.mmfuse.api.proto.ModelSpec;
import io.mmfuse.fusion.data.Dataset;
import io.mmfuse.fusion.inference.Predictor;
import io.mmfuse.fusion.train.ProgressLog;
import io.mmfuse.fusion.train.Trainer;
import io.mmfuse.fusion.train.TrainingConfig;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * The demo: generates the shapes task, trains the fused model (question + picture + table) and one model per
 * modality on 75% of it, measures all four on the held-out 25%, and writes the summary, the fused model's bundle,
 * the training curves and the attention picture.
 */
public final class DemoRun {
  /** The outcome. */
  public record Summary(double fused, Map<String, Double> unimodal, double seconds, String table) {}

  private final Path out;
  private final int examples;
  private final long seed;
  private final int epochs;
  private final ModalityRegistry registry;
  private final PrintWriter log;

  public DemoRun(Path out, int examples, long seed, int epochs, ModalityRegistry registry, PrintWriter log) {
    this.out = out;
    this.examples = examples;
    this.seed = seed;
    this.epochs = epochs;
    this.registry = registry;
    this.log = log;
  }

  static final String BACKBONE = """
      backbone { width: 64 layers: 2 heads: 4 ffn_width: 128 norm: PRE activation: GELU dropout: 0.0
        fusion: "concat" final_layer_norm: true }
      """;
  static final String QUESTION = """
      inputs { name: "question" modality: "text"
        settings { [mmfuse/mmfuse.text.TextSettings] { tokenizer_file: "vocab.txt" lowercase: true add_special_tokens: true max_length: 24 } } }
      """;
  static final String IMAGE = """
      inputs { name: "image" modality: "image"
        settings { [mmfuse/mmfuse.image.ImageSettings] { preset: "vit" resize_height: 32 resize_width: 32 patch_size: 8 } } }
      """;
  static final String TABLE = """
      inputs { name: "table" modality: "table" settings { [mmfuse/mmfuse.table.TableSettings] {
        columns { name: "image" kind: IGNORED } columns { name: "question" kind: IGNORED } } } }
      """;

  public Summary run() throws IOException {
    long start = System.nanoTime();
    Files.createDirectories(out);
    Path data = out.resolve("data");
    log.printf(Locale.ROOT, "generating %d examples (seed %d) in %s%n", examples, seed, data);
    log.flush();
    List<ShapesDataset.Example> all = ShapesDataset.generate(data, examples, seed);
    ShapesDataset.writeVocabulary(data.resolve("vocab.txt"));
    // Held-out split: 25% of the rows, chosen by the seed.
    List<String> rows = Files.readAllLines(data.resolve("data.csv"), StandardCharsets.UTF_8);
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      order.add(i);
    }
    Collections.shuffle(order, new Random(seed));
    int cut = all.size() * 3 / 4;
    List<Integer> trainIdx = order.subList(0, cut);
    List<Integer> testIdx = order.subList(cut, all.size());
    Files.write(data.resolve("train.csv"), pick(rows, trainIdx));
    Files.write(data.resolve("test.csv"), pick(rows, testIdx));

    Map<String, String> specs = new LinkedHashMap<>();
    specs.put("fused", QUESTION + IMAGE + TABLE + BACKBONE);
    specs.put("text", QUESTION + BACKBONE);
    specs.put("image", IMAGE + BACKBONE);
    specs.put("table", TABLE + BACKBONE);
    Map<String, Double> accuracy = new LinkedHashMap<>();
    Map<String, List<Double>> losses = new LinkedHashMap<>();
    Map<String, List<Double>> curves = new LinkedHashMap<>();
    Map<String, Double> seconds = new LinkedHashMap<>();
    PrintStream progress = new PrintStream(new java.io.OutputStream() {
      @Override
      public void write(int b) {
        log.write(b);
      }

      @Override
      public void flush() {
        log.flush();
      }
    }, true, StandardCharsets.UTF_8);
    for (Map.Entry<String, String> e : specs.entrySet()) {
      String name = e.getKey();
      Path specFile = data.resolve(name + ".spec");
      Files.writeString(specFile, e.getValue());
      ModelSpec spec = Specs.read(specFile);
      Path bundle = name.equals("fused") ? out.resolve("model") : out.resolve("unimodal-" + name);
      log.printf(Locale.ROOT, "%ntraining the %s model%n", name);
      log.flush();
      int maxEpochs = name.equals("fused") ? epochs : Math.min(epochs, 12);
      // The fused model stops once it has got every validation example right for five epochs (the bundle takes the
      // most confident of those), or after ten epochs without progress; the one-modality models, which stay at
      // chance, after four epochs without progress.
      TrainingConfig config = TrainingConfig.builder().optEpochs(maxEpochs).optLearningRate(2e-3f).optSeed(seed)
          .optValidationFraction(0.2).optPatience(name.equals("fused") ? 10 : 4)
          .optTargetScore(name.equals("fused") ? 1.0 : Double.NaN).optTargetEpochs(5).build();
      Trainer.Result r = new Trainer(config, registry).addListener(new ProgressLog(progress))
          .fit(spec, Dataset.read(data.resolve("train.csv"), "answer", spec, registry), data, bundle);
      losses.put(name, r.trainLoss());
      curves.put(name, r.validationScore());
      seconds.put(name, r.seconds());
      accuracy.put(name, heldOut(bundle, data.resolve("test.csv")));
      log.printf(Locale.ROOT, "%s: held-out accuracy %.3f (%.1f s)%n", name, accuracy.get(name), r.seconds());
      log.flush();
    }
    Charts.curves(out.resolve("training-curves.png"), losses, curves);
    attention(data, testIdx, all);
    double total = (System.nanoTime() - start) / 1e9;
    Map<String, Double> unimodal = new LinkedHashMap<>(accuracy);
    unimodal.remove("fused");
    String table = table(accuracy, seconds);
    JsonObject summary = new JsonObject();
    summary.addProperty("fused_accuracy", accuracy.get("fused"));
    JsonObject uni = new JsonObject();
    unimodal.forEach(uni::addProperty);
    summary.add("unimodal_accuracy", uni);
    summary.addProperty("train_seconds", seconds.values().stream().mapToDouble(Double::doubleValue).sum());
    JsonObject settings = new JsonObject();
    settings.addProperty("examples", examples);
    settings.addProperty("seed", seed);
    settings.addProperty("held_out_fraction", 0.25);
    settings.addProperty("max_epochs_fused", epochs);
    settings.addProperty("backbone", BACKBONE.trim().replaceAll("\\s+", " "));
    summary.add("settings", settings);
    Files.writeString(out.resolve("summary.json"), new GsonBuilder().setPrettyPrinting().create().toJson(summary));
    return new Summary(accuracy.get("fused"), unimodal, total, table);
  }

  private static List<String> pick(List<String> rows, List<Integer> idx) {
    List<String> out = new ArrayList<>(List.of(rows.get(0)));
    for (int i : idx) {
      out.add(rows.get(i + 1));
    }
    return out;
  }

  private double heldOut(Path bundle, Path test) {
    try (Predictor p = Predictor.load(bundle, registry)) {
      Dataset d = Dataset.read(test, "answer", p.spec(), registry);
      List<float[]> preds = p.predictAll(d.examples());
      int correct = 0;
      for (int i = 0; i < preds.size(); i++) {
        float[] v = preds.get(i);
        int best = v[1] > v[0] ? 1 : 0;
        correct += p.classes().get(best).equals(d.labels().get(i)) ? 1 : 0;
      }
      return (double) correct / preds.size();
    }
  }

  static String table(Map<String, Double> accuracy, Map<String, Double> seconds) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%-24s %10s %10s%n", "model", "held-out", "train s"));
    for (String k : accuracy.keySet()) {
      String label = k.equals("fused") ? "fused (all three)" : k + " only";
      sb.append(String.format(Locale.ROOT, "%-24s %10.3f %10.1f%n", label, accuracy.get(k), seconds.get(k)));
    }
    return sb.toString().stripTrailing();
  }

  private void attention(Path data, List<Integer> testIdx, List<ShapesDataset.Example> all) throws IOException {
    List<String> vocab = Files.readAllLines(data.resolve("vocab.txt"));
    List<Charts.Case> cases = new ArrayList<>();
    try (Predictor p = Predictor.load(out.resolve("model"), registry)) {
      Dataset d = Dataset.read(data.resolve("test.csv"), "answer", p.spec(), registry);
      var question = registry.tokenizer(new io.mmfuse.api.TokenizerContext(p.spec().getInputs(0),
          out.resolve("model")));
      for (int i = 0; i < Math.min(4, d.examples().size()); i++) {
        Map<String, Object> ex = d.examples().get(i);
        ShapesDataset.Example src = all.get(testIdx.get(i));
        Predictor.Attention a = p.attention(ex);
        float[] probs = p.predict(ex);
        float[] img = a.perInput().get("image");
        float[] words = a.perInput().get("question");
        float[] cols = a.perInput().get("table");
        int[] ids = question.tokenizeObject(ex.get("question")).ids();
        List<String> labels = new ArrayList<>();
        for (int id : ids) {
          labels.add(id < vocab.size() ? vocab.get(id) : "?");
        }
        BufferedImage picture = ImageIO.read(data.resolve(src.image()).toFile());
        String caption = String.format(Locale.ROOT, "\"%s\"  check=%s  answer=%s  predicted=%s (%.2f)",
            src.question(), src.check(), src.answer(), p.classes().get(probs[1] > probs[0] ? 1 : 0),
            Math.max(probs[0], probs[1]));
        cases.add(new Charts.Case(picture, img, ShapesDataset.SIZE / 8, labels,
            java.util.Arrays.copyOf(words, labels.size()), List.of("check", "noise"),
            java.util.Arrays.copyOf(cols, 2), caption));
      }
    }
    Charts.attention(out.resolve("attention.png"), cases);
  }
}
