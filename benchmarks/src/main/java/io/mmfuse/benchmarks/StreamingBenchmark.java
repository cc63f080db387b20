package io.mmfuse.benchmarks;

import io.mmfuse.api.ModalityTokenizer;
import io.mmfuse.api.Settings;
import io.mmfuse.api.TokenSequence;
import io.mmfuse.api.TokenizerContext;
import io.mmfuse.api.plugin.ModalityRegistry;
import io.mmfuse.api.plugin.Plugins;
import io.mmfuse.api.proto.BackboneSpec;
import io.mmfuse.api.proto.InputSpec;
import io.mmfuse.api.proto.ModelSpec;
import io.mmfuse.fusion.bundle.BundleReader;
import io.mmfuse.fusion.data.BadRows;
import io.mmfuse.fusion.data.DataFile;
import io.mmfuse.fusion.data.Dataset;
import io.mmfuse.fusion.data.InputPipeline;
import io.mmfuse.fusion.data.Tokenizers;
import io.mmfuse.fusion.graph.FusionConfig;
import io.mmfuse.fusion.graph.FusionStrategies;
import io.mmfuse.fusion.graph.ModelSpecs;
import io.mmfuse.fusion.inference.Predictor;
import io.mmfuse.fusion.train.AdamW;
import io.mmfuse.fusion.train.LabelEncoder;
import io.mmfuse.fusion.train.Trainer;
import io.mmfuse.fusion.train.TrainingConfig;
import io.mmfuse.fusion.train.TrainingListener;
import io.mmfuse.fusion.train.TrainingModel;
import io.mmfuse.modality.image.proto.ImageSettings;
import io.mmfuse.modality.text.proto.TextSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The streaming input pipeline against the model step, on a data set of {@link StreamingData}: examples per second
 * of the input alone, of the model step alone, of training with and without input workers; the token cache's epoch
 * times; the padding and speed of length buckets. One JVM, figures compared as ratios within the run.
 *
 * <p>Usage: {@code StreamingBenchmark throughput|cache|buckets DATA.csv WORK_DIR [INPUT_THREADS [TF_THREADS]]}.
 */
public final class StreamingBenchmark {
  private StreamingBenchmark() {}

  /** Image 64x64 in patches of 16 (16 tokens), text at most 64 tokens, the table; a small late-fusion backbone. */
  static int tfThreads;

  static ModelSpec spec() {
    InputSpec image = Settings.with(InputSpec.newBuilder().setName("image").setModality("image").build(),
        ImageSettings.newBuilder().setResizeHeight(64).setResizeWidth(64).setPatchSize(16).build());
    InputSpec title = Settings.with(InputSpec.newBuilder().setName("title").setModality("text").build(),
        TextSettings.newBuilder().setMaxLength(64).build());
    InputSpec table = InputSpec.newBuilder().setName("table").setModality("table").build();
    return ModelSpec.newBuilder().addInputs(image).addInputs(title).addInputs(table)
        .setBackbone(BackboneSpec.newBuilder().setWidth(32).setLayers(1).setHeads(2).setFfnWidth(64)
            .setFusion("late"))
        .setRuntime(io.mmfuse.api.proto.RuntimeSpec.newBuilder().setIntraOpThreads(tfThreads)
            .setInterOpThreads(tfThreads > 0 ? 1 : 0)).build();
  }

  /** Times the training steps and epochs of a run. */
  static final class Clock implements TrainingListener {
    long start;
    long last;
    long examples;
    double padding;
    final List<Double> epochSeconds = new ArrayList<>();
    final List<Double> stepSeconds = new ArrayList<>();
    final List<Long> epochExamples = new ArrayList<>();

    @Override
    public void onStart(Plan plan) {
      start = System.nanoTime();
      last = start;
    }

    @Override
    public void onInput(InputStatus status) {
      padding = status.padding();
    }

    @Override
    public void onStep(int epoch, int step, float loss, int n) {
      examples += n;
      last = System.nanoTime();
    }

    @Override
    public Decision onEpoch(Epoch e, TrainingModel model) {
      long now = System.nanoTime();
      stepSeconds.add((last - start) / 1e9);
      epochSeconds.add((now - start) / 1e9);
      epochExamples.add(examples);
      examples = 0;
      start = now;
      return Decision.CONTINUE;
    }
  }

  static Clock train(Path csv, Path out, TrainingConfig config, ModalityRegistry registry) {
    Clock clock = new Clock();
    try (DataFile d = DataFile.open(csv, "label", spec(), registry, Dataset.ReadOptions.NONE, BadRows.FAIL)) {
      new Trainer(config, registry).addListener(clock).fit(spec(), d, null, csv.getParent(), out);
    }
    return clock;
  }

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    Path csv = Path.of(args[1]);
    Path work = Path.of(args[2]);
    int threads = args.length > 3 ? Integer.parseInt(args[3]) : InputPipeline.defaultThreads();
    tfThreads = args.length > 4 ? Integer.parseInt(args[4]) : 0;
    Files.createDirectories(work);
    ModalityRegistry registry = Plugins.load(StreamingBenchmark.class.getClassLoader());
    TrainingConfig base = TrainingConfig.builder().optEpochs(1).optValidationFraction(0.05).optPatience(5)
        .build();
    System.out.printf(Locale.ROOT, "cpu: %s, %d cores; data %s; TensorFlow threads %s%n", cpu(),
        Runtime.getRuntime().availableProcessors(), csv, tfThreads == 0 ? "one per core" : tfThreads);
    switch (mode) {
      case "throughput" -> throughput(csv, work, threads, registry, base);
      case "cache" -> {
        // A first run warms the JIT up, so that neither measured run pays for it.
        train(csv, work.resolve("warm-model"), base.toBuilder().optInputThreads(threads).build(), registry);
        Clock none = train(csv, work.resolve("nocache-model"), base.toBuilder().optEpochs(3)
            .optInputThreads(threads).build(), registry);
        Path cache = work.resolve("token-cache");
        Clock c = train(csv, work.resolve("cache-model"), base.toBuilder().optEpochs(3).optTokenCache(cache)
            .optInputThreads(threads).build(), registry);
        System.out.printf(Locale.ROOT, "token cache, %d input threads: epoch 1 (decode, write the cache) %.1f s,"
            + " epoch 2 (read the cache) %.1f s, epoch 3 %.1f s; without the cache: epochs 1, 2, 3 %.1f, %.1f,"
            + " %.1f s%n", threads, c.epochSeconds.get(0), c.epochSeconds.get(1), c.epochSeconds.get(2),
            none.epochSeconds.get(0), none.epochSeconds.get(1), none.epochSeconds.get(2));
      }
      case "buckets" -> {
        for (boolean buckets : new boolean[] {false, true}) {
          Clock c = train(csv, work.resolve("buckets-" + buckets), base.toBuilder().optEpochs(2)
              .optLengthBuckets(buckets).optInputThreads(threads).build(), registry);
          // The second epoch: the first pays for warm-up.
          System.out.printf(Locale.ROOT, "length buckets %s: padding %.1f%% of token slots, %.1f steps/s, %.0f"
              + " examples/s (epoch 2, %d input threads)%n", buckets ? "on " : "off", 100 * c.padding,
              Math.ceil(c.epochExamples.get(1) / 32.0) / c.stepSeconds.get(1),
              c.epochExamples.get(1) / c.stepSeconds.get(1), threads);
        }
      }
      default -> throw new IllegalArgumentException("mode: throughput, cache or buckets");
    }
  }

  private static void throughput(Path csv, Path work, int threads, ModalityRegistry registry, TrainingConfig base)
      throws Exception {
    Path bundle = work.resolve("throughput-model");
    Clock warm = train(csv, bundle, base.toBuilder().optInputThreads(threads).build(), registry);
    System.out.printf(Locale.ROOT, "(warm-up training run: %.0f examples/s)%n",
        warm.epochExamples.get(0) / warm.stepSeconds.get(0));
    // The input alone: read, decode and tokenize every row, nothing else.
    try (Predictor p = Predictor.load(bundle, registry);
        DataFile d = DataFile.open(csv, "label", p.spec(), registry, Dataset.ReadOptions.NONE, BadRows.FAIL)) {
      List<Integer> rows = IntStream.range(0, d.size()).boxed().toList();
      // Each measured twice, the second one reported: the first warms the JIT up.
      for (int t : new int[] {1, threads}) {
        double s = 0;
        for (int k = 0; k < 2; k++) {
          try (InputPipeline pipe = new InputPipeline(t, 2 * t)) {
            long t0 = System.nanoTime();
            long[] tokens = {0};
            pipe.map(rows, 32, r -> p.tokenize(d.example(r).inputs(), d.where(r))).forEachRemaining(m ->
                tokens[0] += m.size());
            s = (System.nanoTime() - t0) / 1e9;
          }
        }
        System.out.printf(Locale.ROOT, "input alone, %d thread(s): %.0f examples/s%n", t, rows.size() / s);
      }
      // The model step alone: batches tokenized beforehand, in memory.
      ModelSpec spec = BundleReader.open(bundle).spec();
      Map<String, ModalityTokenizer<?>> toks = new LinkedHashMap<>();
      for (InputSpec in : spec.getInputsList()) {
        toks.put(in.getName(), registry.tokenizer(new TokenizerContext(in, bundle)));
      }
      Tokenizers tokenizers = new Tokenizers(toks);
      FusionConfig fusion = ModelSpecs.fusionConfig(spec, tokenizers.spaces(), FusionStrategies.of(registry));
      LabelEncoder labels = LabelEncoder.of(spec.getHead());
      int batches = Math.min(40, d.size() / 32);
      List<Map<String, io.mmfuse.fusion.session.InputFeed>> feeds = new ArrayList<>();
      List<float[]> targets = new ArrayList<>();
      for (int b = 0; b < batches; b++) {
        List<Map<String, TokenSequence>> batch = new ArrayList<>();
        float[] y = new float[32 * labels.outputs()];
        for (int i = 0; i < 32; i++) {
          int r = b * 32 + i;
          batch.add(p.tokenize(d.example(r).inputs(), d.where(r)));
          labels.encode(d.example(r).label(), y, i * labels.outputs(), false, d.where(r));
        }
        feeds.add(Tokenizers.feeds(fusion, batch));
        targets.add(y);
      }
      try (TrainingModel model = TrainingModel.create(fusion, labels.task(), labels.outputs(),
          AdamW.of(0.01f, 1f), io.mmfuse.runtime.TensorFlowRuntime.place(io.mmfuse.runtime.RuntimeOptions.fromSpec(
              spec.getRuntime())).config())) {
        model.initializeRandom(1);
        for (int b = 0; b < Math.min(5, batches); b++) {
          model.trainStep(feeds.get(b), targets.get(b), 1e-4f);
        }
        long t0 = System.nanoTime();
        int passes = 3;
        for (int k = 0; k < passes; k++) {
          for (int b = 0; b < batches; b++) {
            model.trainStep(feeds.get(b), targets.get(b), 1e-4f);
          }
        }
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "model step alone: %.0f examples/s%n", passes * batches * 32 / s);
      }
    }
    for (int t : new int[] {0, threads}) {
      train(csv, work.resolve("warm-" + t), base.toBuilder().optInputThreads(t).build(), registry);
      Clock c = train(csv, work.resolve("train-" + t), base.toBuilder().optInputThreads(t).build(), registry);
      System.out.printf(Locale.ROOT, "training, %s: %.0f examples/s%n", t == 0 ? "no input workers (the training"
          + " thread reads)" : t + " input worker thread(s)", c.epochExamples.get(0) / c.stepSeconds.get(0));
    }
  }

  static String cpu() {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (l.startsWith("model name")) {
          return l.substring(l.indexOf(':') + 1).trim();
        }
      }
    } catch (java.io.IOException e) {
      // Not Linux: the JVM's architecture below.
    }
    return System.getProperty("os.arch");
  }
}
