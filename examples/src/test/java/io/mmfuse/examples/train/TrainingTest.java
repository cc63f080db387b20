package io.mmfuse.examples.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.mmfuse.api.Specs;
import io.mmfuse.api.plugin.ModalityRegistry;
import io.mmfuse.api.plugin.Plugins;
import io.mmfuse.api.proto.ModelSpec;
import io.mmfuse.examples.cli.Main;
import io.mmfuse.fusion.data.Dataset;
import io.mmfuse.fusion.inference.Predictor;
import io.mmfuse.fusion.train.Trainer;
import io.mmfuse.fusion.train.TrainingConfig;
import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.GZIPInputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training, evaluation and prediction end to end, on real data. */
class TrainingTest {
  static final ModalityRegistry REGISTRY = Plugins.load(TrainingTest.class.getClassLoader());

  @TempDir static Path dir;
  static Path cancerTrain;
  static Path cancerTest;
  static Path cancerModel;
  static Trainer.Result cancerResult;

  static Path fixture(String name) throws Exception {
    return Path.of(TrainingTest.class.getResource("/fixtures/table/" + name).toURI());
  }

  /** Writes rows (header first) as CSV, split 75/25 by a seeded shuffle into train and test files. */
  static Path[] split(List<String> rows, String name, long seed) throws Exception {
    List<String> body = new ArrayList<>(rows.subList(1, rows.size()));
    Collections.shuffle(body, new Random(seed));
    int cut = body.size() * 3 / 4;
    Path train = dir.resolve(name + "-train.csv");
    Path test = dir.resolve(name + "-test.csv");
    List<String> a = new ArrayList<>(List.of(rows.get(0)));
    a.addAll(body.subList(0, cut));
    List<String> b = new ArrayList<>(List.of(rows.get(0)));
    b.addAll(body.subList(cut, body.size()));
    Files.write(train, a);
    Files.write(test, b);
    return new Path[] {train, test};
  }

  static String[] cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
    return new String[] {out.toString(), err.toString(), Integer.toString(code)};
  }

  static double heldOutAccuracy(Path model, Path test, String label) {
    try (Predictor p = Predictor.load(model, REGISTRY)) {
      Dataset d = Dataset.read(test, label, p.spec());
      List<float[]> preds = p.predictAll(d.examples());
      int correct = 0;
      for (int i = 0; i < preds.size(); i++) {
        float[] v = preds.get(i);
        int best = 0;
        for (int c = 1; c < v.length; c++) {
          best = v[c] > v[best] ? c : best;
        }
        correct += p.classes().get(best).equals(d.labels().get(i)) ? 1 : 0;
      }
      return (double) correct / preds.size();
    }
  }

  @BeforeAll
  static void trainOnBreastCancer() throws Exception {
    List<String> lines = Files.readAllLines(fixture("breast_cancer.csv"));
    StringBuilder header = new StringBuilder();
    for (int i = 0; i < 30; i++) {
      header.append("feature_").append(i).append(',');
    }
    List<String> rows = new ArrayList<>(List.of(header + "diagnosis"));
    for (String l : lines.subList(1, lines.size())) {
      int cut = l.lastIndexOf(',');
      rows.add(l.substring(0, cut) + (l.endsWith(",0") ? ",malignant" : ",benign"));
    }
    Path[] files = split(rows, "cancer", 7);
    cancerTrain = files[0];
    cancerTest = files[1];
    cancerModel = dir.resolve("cancer-model");
    cancerResult = new Trainer(TrainingConfig.builder().optEpochs(20).build(), REGISTRY)
        .fit(ModelSpec.getDefaultInstance(), Dataset.read(cancerTrain, "diagnosis", null), dir, cancerModel);
    System.out.printf("breast cancer: %.1f s, validation %s%n", cancerResult.seconds(), cancerResult.validation());
  }

  @Test
  void predictStreamsTheRowsInOrderAndABadRowFailsOrIsSkipped() throws Exception {
    List<float[]> expected;
    List<String> classes;
    try (Predictor p = Predictor.load(cancerModel, REGISTRY)) {
      expected = p.predictAll(Dataset.read(cancerTest, null, p.spec()).examples());
      classes = p.classes();
    }
    Path out = dir.resolve("predictions.jsonl");
    String[] r = cli("predict", "--model", cancerModel.toString(), "--input", cancerTest.toString(), "--output",
        out.toString(), "--input-threads", "3");
    assertEquals("0", r[2], r[1]);
    List<String> lines = Files.readAllLines(out);
    assertEquals(expected.size(), lines.size());
    for (int i = 0; i < lines.size(); i++) {
      JsonObject probs = JsonParser.parseString(lines.get(i)).getAsJsonObject().getAsJsonObject("probabilities");
      for (int c = 0; c < classes.size(); c++) {
        assertEquals(expected.get(i)[c], probs.get(classes.get(c)).getAsFloat(), 1e-6f, "row " + i + " in order");
      }
    }

    List<String> rows = new ArrayList<>(Files.readAllLines(cancerTest));
    rows.set(3, "1.0,2.0");
    Path bad = dir.resolve("cancer-bad.csv");
    Files.write(bad, rows);
    Path failed = dir.resolve("failed.jsonl");
    r = cli("predict", "--model", cancerModel.toString(), "--input", bad.toString(), "--output", failed.toString());
    assertEquals("2", r[2]);
    assertTrue(r[1].contains(bad + ", line 4: 2 cells"), r[1]);
    assertTrue(!Files.exists(failed), "no partial output");

    Path skipped = dir.resolve("skipped.jsonl");
    r = cli("predict", "--model", cancerModel.toString(), "--input", bad.toString(), "--output", skipped.toString(),
        "--on-bad-row", "skip", "--max-bad-rows", "0.05");
    assertEquals("0", r[2], r[1]);
    assertTrue(r[1].contains("skipped 1 bad row; each is listed in " + dir.resolve("skipped.jsonl.bad-rows.jsonl")),
        r[1]);
    List<String> got = Files.readAllLines(skipped);
    assertEquals(expected.size(), got.size(), "a skipped row keeps its place");
    assertEquals(4, JsonParser.parseString(got.get(2)).getAsJsonObject().get("skipped_line").getAsInt(), got.get(2));
    JsonObject after = JsonParser.parseString(got.get(3)).getAsJsonObject().getAsJsonObject("probabilities");
    assertEquals(expected.get(3)[0], after.get(classes.get(0)).getAsFloat(), 1e-5f, "the rows after it as before");
    assertTrue(Files.readString(dir.resolve("skipped.jsonl.bad-rows.jsonl")).contains("\"line\":4"));

    String[] eval = cli("eval", "--model", cancerModel.toString(), "--data", bad.toString(), "--on-bad-row", "skip",
        "--bad-rows", dir.resolve("eval-bad.jsonl").toString());
    assertEquals("0", eval[2], eval[1]);
    assertTrue(eval[1].contains("skipped 1 bad row"), eval[1]);
    assertTrue(eval[0].contains("accuracy"), eval[0]);
  }

  @Test
  void everyCommandThatRunsAModelTakesTheDeviceAndGpuNeverFallsBackSilently() {
    Path refused = dir.resolve("gpu-model");
    String[] train = cli("train", "--data", cancerTrain.toString(), "--label", "diagnosis", "--out",
        refused.toString(), "--epochs", "1", "--device", "gpu");
    assertEquals("2", train[2]);
    assertTrue(train[1].contains("--device gpu: TensorFlow sees no GPU") && train[1].contains("-Pgpu"), train[1]);
    assertTrue(!Files.exists(refused), "nothing is written when the device is refused");
    for (String command : List.of("eval", "predict")) {
      String[] r = cli(command, "--model", cancerModel.toString(), command.equals("eval") ? "--data" : "--input",
          cancerTest.toString(), "--device", "gpu:0");
      assertEquals("2", r[2], command);
      assertTrue(r[1].contains("--device gpu:0: TensorFlow sees no GPU"), r[1]);
      r = cli(command, "--model", cancerModel.toString(), command.equals("eval") ? "--data" : "--input",
          cancerTest.toString(), "--device", "auto");
      assertEquals("0", r[2], r[1]);
      assertEquals(1, r[1].lines().filter(l -> l.contains("warning")).count(), r[1]);
      assertTrue(r[1].contains("running on the CPU"), r[1]);
    }
    String[] bad = cli("predict", "--model", cancerModel.toString(), "--input", cancerTest.toString(), "--device",
        "tpu");
    assertEquals("2", bad[2]);
    assertTrue(bad[1].contains("device 'tpu': expected cpu, gpu, gpu:N or auto"), bad[1]);
  }

  @Test
  void mixedPrecisionTrainingStillConverges() throws Exception {
    // Forced, so that bfloat16 trains on any CPU (without AMX the policy would train in float32).
    ModelSpec mixed = ModelSpec.newBuilder().setBackbone(io.mmfuse.fusion.graph.ModelSpecs.defaultBackbone()
        .toBuilder().setPrecision(io.mmfuse.api.proto.Precision.MIXED_BFLOAT16).setForcePrecision(true)).build();
    Path model = dir.resolve("cancer-bf16");
    Trainer.Result r = new Trainer(TrainingConfig.builder().optEpochs(20).build(), REGISTRY)
        .fit(mixed, Dataset.read(cancerTrain, "diagnosis", null), dir, model);
    assertEquals(io.mmfuse.api.proto.Precision.MIXED_BFLOAT16, r.spec().getBackbone().getPrecision());
    JsonObject machine = JsonParser.parseString(Files.readString(model.resolve("manifest.json"))).getAsJsonObject()
        .getAsJsonObject("provenance").getAsJsonObject("machine");
    assertEquals("MIXED_BFLOAT16", machine.getAsJsonObject("precision").get("used").getAsString(), machine.toString());
    assertEquals(io.mmfuse.runtime.CpuFeatures.detect().describe(), machine.get("cpu").getAsString());
    assertEquals(0, bfloat16Nodes(model), "the serving graph is float32 whatever the model trained in");
    // The trainer reports what the bundle predicts, not what the bfloat16 training graph did.
    Dataset train = Dataset.read(cancerTrain, "diagnosis", null);
    try (Predictor p = Predictor.load(model, REGISTRY)) {
      for (int i = 0; i < r.validationExamples().size(); i++) {
        float[] got = p.predict(train.examples().get(r.validationExamples().get(i)));
        for (int c = 0; c < got.length; c++) {
          assertEquals(r.validationPredictions()[i * got.length + c], got[c], 1e-5, "validation row " + i);
        }
      }
    }
    double accuracy = heldOutAccuracy(model, cancerTest, "diagnosis");
    System.out.printf("breast cancer, bfloat16 mixed precision: %.1f s, held-out accuracy %.3f%n", r.seconds(),
        accuracy);
    assertTrue(accuracy >= 0.93, "held-out accuracy with bfloat16 " + accuracy);
  }

  @Test
  void lazyEmbeddingUpdatesStillLearn() throws Exception {
    Path model = dir.resolve("cancer-lazy");
    new Trainer(TrainingConfig.builder().optEpochs(20).optLazyEmbeddings(true).build(), REGISTRY)
        .fit(ModelSpec.getDefaultInstance(), Dataset.read(cancerTrain, "diagnosis", null), dir, model);
    double accuracy = heldOutAccuracy(model, cancerTest, "diagnosis");
    assertTrue(accuracy >= 0.93, "held-out accuracy with lazy embedding updates " + accuracy);
    String manifest = Files.readString(model.resolve("manifest.json"));
    assertTrue(manifest.contains("\"lazy_embeddings\": true"), "recorded with the run");
  }

  /** Nodes of a bundle's SavedModel graph that compute in bfloat16 (an attribute of that type). */
  static long bfloat16Nodes(Path bundle) throws Exception {
    org.tensorflow.proto.SavedModel saved = org.tensorflow.proto.SavedModel.parseFrom(
        Files.readAllBytes(bundle.resolve("saved_model/saved_model.pb")));
    return saved.getMetaGraphs(0).getGraphDef().getNodeList().stream()
        .filter(n -> n.getAttrMap().values().stream().anyMatch(v -> v.getType() == org.tensorflow.proto.DataType.DT_BFLOAT16))
        .count();
  }

  @Test
  void breastCancerReachesAtLeast95PercentOnHeldOutRows() {
    double accuracy = heldOutAccuracy(cancerModel, cancerTest, "diagnosis");
    System.out.println("breast cancer held-out accuracy " + accuracy);
    assertTrue(accuracy >= 0.95, "held-out accuracy " + accuracy);
    String[] eval = cli("eval", "--model", cancerModel.toString(), "--data", cancerTest.toString());
    assertEquals("0", eval[2], eval[1]);
    List<String> out = eval[0].lines().toList();
    JsonObject metrics = JsonParser.parseString(out.get(out.size() - 1)).getAsJsonObject();
    assertEquals(accuracy, metrics.get("accuracy").getAsDouble(), 1e-9);
    assertTrue(metrics.has("macro_f1") && metrics.has("roc_auc"));
  }

  @Test
  void theEmbeddingExamplePredictsFromABundle() throws Exception {
    java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
    java.io.PrintStream old = System.out;
    System.setOut(new java.io.PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      io.mmfuse.examples.embedding.EmbeddingExample.main(new String[] {cancerModel.toString(), "table.feature_0=17.99",
          "table.feature_1=10.38", "table.feature_2=122.8"});
    } finally {
      System.setOut(old);
    }
    List<String> lines = buf.toString(StandardCharsets.UTF_8).lines().toList();
    assertEquals(2, lines.size(), lines.toString());
    double sum = 0;
    for (String l : lines) {
      sum += Double.parseDouble(l.split("\t")[1]);
    }
    assertEquals(1.0, sum, 1e-3);
  }

  @Test
  void aBundleInAFreshJvmPredictsWhatTheModelInMemoryDid() throws Exception {
    // The trainer's in-memory predictions on its validation examples, against the bundle loaded here...
    Dataset train = Dataset.read(cancerTrain, "diagnosis", null);
    List<Map<String, Object>> val = new ArrayList<>();
    for (int i : cancerResult.validationExamples()) {
      val.add(train.examples().get(i));
    }
    int k = 2;
    try (Predictor p = Predictor.load(cancerModel, REGISTRY)) {
      List<float[]> preds = p.predictAll(val);
      for (int i = 0; i < preds.size(); i++) {
        for (int c = 0; c < k; c++) {
          assertEquals(cancerResult.validationPredictions()[i * k + c], preds.get(i)[c], 1e-5);
        }
      }
    }
    // ... and in a new JVM through the command line.
    Path valCsv = dir.resolve("cancer-val.csv");
    List<String> lines = Files.readAllLines(cancerTrain);
    List<String> rows = new ArrayList<>(List.of(lines.get(0)));
    for (int i : cancerResult.validationExamples()) {
      rows.add(lines.get(i + 1));
    }
    Files.write(valCsv, rows);
    Process proc = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), Main.class.getName(), "predict", "--model", cancerModel.toString(),
        "--input", valCsv.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    List<String> out;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8))) {
      out = r.lines().toList();
    }
    assertEquals(0, proc.waitFor());
    assertEquals(val.size(), out.size());
    ModelSpec spec = Specs.read(cancerModel.resolve("model.spec"));
    for (int i = 0; i < out.size(); i++) {
      JsonObject probs = JsonParser.parseString(out.get(i)).getAsJsonObject().getAsJsonObject("probabilities");
      for (int c = 0; c < k; c++) {
        assertEquals(cancerResult.validationPredictions()[i * k + c],
            probs.get(spec.getHead().getClasses(c)).getAsFloat(), 1e-5);
      }
    }
  }

  @Test
  void eightThreadsPredictingAtOnceGiveWhatOneThreadGives() throws Exception {
    try (Predictor p = Predictor.load(cancerModel, REGISTRY)) {
      Dataset d = Dataset.read(cancerTest, "diagnosis", p.spec());
      List<float[]> single = new ArrayList<>();
      for (Map<String, Object> ex : d.examples()) {
        single.add(p.predict(ex));
      }
      ExecutorService pool = Executors.newFixedThreadPool(8);
      try {
        List<Future<List<float[]>>> futures = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
          final int shift = t;
          futures.add(pool.submit(() -> {
            List<float[]> out = new ArrayList<>(Collections.nCopies(d.examples().size(), (float[]) null));
            for (int j = 0; j < d.examples().size(); j++) {
              int i = (j + shift * 17) % d.examples().size();
              out.set(i, p.predict(d.examples().get(i)));
            }
            return out;
          }));
        }
        for (Future<List<float[]>> f : futures) {
          List<float[]> got = f.get();
          for (int i = 0; i < got.size(); i++) {
            for (int c = 0; c < 2; c++) {
              assertEquals(single.get(i)[c], got.get(i)[c], 1e-6);
            }
          }
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void aTableWithCategoricalColumnsAndMissingValuesReachesAtLeast95Percent() throws Exception {
    Random r = new Random(11);
    String[] colors = {"red", "green", "blue", "yellow"};
    String[] shapes = {"circle", "square", "triangle"};
    String[] materials = {"wood", "metal", "glass"};
    List<String> rows = new ArrayList<>(List.of("color,shape,size,material,weight,label"));
    for (int i = 0; i < 900; i++) {
      String color = colors[r.nextInt(4)];
      String shape = shapes[r.nextInt(3)];
      boolean warm = color.equals("red") || color.equals("yellow");
      String label = warm == shape.equals("circle") ? "keep" : "drop";
      String size = r.nextDouble() < 0.2 ? "NA" : String.format(java.util.Locale.ROOT, "%.2f", r.nextGaussian() * 3 + 10);
      String material = r.nextDouble() < 0.15 ? "?" : materials[r.nextInt(3)];
      String weight = r.nextDouble() < 0.1 ? "" : Integer.toString(r.nextInt(100));
      rows.add(String.join(",", color, shape, size, material, weight, label));
    }
    Path[] files = split(rows, "objects", 3);
    Path model = dir.resolve("objects-model");
    String[] train = cli("train", "--data", files[0].toString(), "--label", "label", "--out", model.toString(),
        "--epochs", "25");
    assertEquals("0", train[2], train[1]);
    double accuracy = heldOutAccuracy(model, files[1], "label");
    System.out.println("categorical table held-out accuracy " + accuracy);
    assertTrue(accuracy >= 0.95, "held-out accuracy " + accuracy);
  }

  @Test
  void digitsAsImagesReachAtLeast95PercentOnHeldOutImages() throws Exception {
    List<String> lines;
    try (var in = new GZIPInputStream(Files.newInputStream(fixture("digits.csv.gz")))) {
      lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    }
    Path images = Files.createDirectories(dir.resolve("digits"));
    List<String> rows = new ArrayList<>(List.of("image,digit"));
    for (int n = 0; n < lines.size(); n++) {
      String[] v = lines.get(n).split(",");
      BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
      for (int p = 0; p < 64; p++) {
        int grey = Math.round(Float.parseFloat(v[p]) * 255 / 16);
        img.getRaster().setSample(p % 8, p / 8, 0, grey);
      }
      String name = "d" + n + ".png";
      ImageIO.write(img, "png", images.resolve(name).toFile());
      rows.add("digits/" + name + "," + v[64].trim());
    }
    Path[] files = split(rows, "digits", 5);
    Files.writeString(dir.resolve("digits.spec"), """
        inputs { name: "image" modality: "image"
          settings { [mmfuse/mmfuse.image.ImageSettings] { preset: "vit" resize_height: 8 resize_width: 8 patch_size: 2 } } }
        backbone { width: 64 layers: 2 heads: 4 ffn_width: 128 norm: PRE activation: GELU dropout: 0.0
          fusion: "concat" final_layer_norm: true }
        """);
    Path model = dir.resolve("digits-model");
    long t0 = System.nanoTime();
    String[] train = cli("train", "--data", files[0].toString(), "--label", "digit", "--spec",
        dir.resolve("digits.spec").toString(), "--out", model.toString(), "--epochs", "60", "--lr", "0.002", "--batch-size", "16", "--cosine",
        "--patience", "20");
    assertEquals("0", train[2], train[1]);
    double accuracy = heldOutAccuracy(model, files[1], "digit");
    System.out.printf("digits held-out accuracy %.4f, trained in %.1f s%n", accuracy, (System.nanoTime() - t0) / 1e9);
    assertTrue(accuracy >= 0.95, "held-out accuracy " + accuracy);
  }

  @Test
  void theBundleRecordsWhereItCameFrom() throws Exception {
    var reader = io.mmfuse.fusion.bundle.BundleReader.open(cancerModel);
    var p = reader.provenance().orElseThrow();
    java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
    String sha = java.util.HexFormat.of().formatHex(md.digest(Files.readAllBytes(cancerTrain)));
    assertEquals(sha, p.dataSha256());
    assertEquals(cancerTrain.toString(), p.dataFile());
    assertEquals(TrainingConfig.DEFAULT_SEED, p.seed());
    assertEquals(20, p.training().get("epochs").getAsInt());
    assertEquals(org.tensorflow.TensorFlow.version(), p.tensorflowVersion());
    assertTrue(p.mmfuseVersion().matches("\\d+\\.\\d+\\.\\d+.*"), p.mmfuseVersion());
    // The fitted state and the label encoding are in the spec beside it.
    assertEquals(List.of("benign", "malignant"), reader.spec().getHead().getClassesList());
    assertEquals("diagnosis", reader.spec().getHead().getLabelColumn());
  }

  @Test
  void aCsvWithATextColumnTrainsWithoutASpecOnTheShippedVocabulary() throws Exception {
    List<String> rows = new ArrayList<>(List.of("review,stars,label"));
    Random r = new Random(11);
    String[] good = {"a truly wonderful place to stay", "lovely staff and a great view", "great food and kind people"};
    String[] bad = {"a dirty room and rude staff", "the worst night we ever had", "noisy cold and far too expensive"};
    for (int i = 0; i < 120; i++) {
      boolean pos = r.nextBoolean();
      String[] pool = pos ? good : bad;
      rows.add("\"" + pool[r.nextInt(pool.length)] + "\"," + (r.nextInt(5) + 1) + "," + (pos ? "good" : "bad"));
    }
    Path csv = dir.resolve("reviews.csv");
    Files.write(csv, rows);
    Path model = dir.resolve("reviews-model");
    String[] train = cli("train", "--data", csv.toString(), "--label", "label", "--out", model.toString(), "--epochs",
        "8");
    assertEquals("0", train[2], train[1]);
    assertTrue(Files.isRegularFile(model.resolve("review-bert-base-uncased-vocab.txt")));
    var spec = io.mmfuse.fusion.bundle.BundleReader.open(model).spec();
    assertEquals(List.of("review:text", "table:table"),
        spec.getInputsList().stream().map(in -> in.getName() + ":" + in.getModality()).toList());
    double accuracy = JsonParser.parseString(train[0].strip()).getAsJsonObject().get("accuracy").getAsDouble();
    assertTrue(accuracy >= 0.9, "validation accuracy " + accuracy);
  }
}
