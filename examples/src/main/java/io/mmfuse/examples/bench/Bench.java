package io.mmfuse.examples.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import io.mmfuse.api.Specs;
import io.mmfuse.api.plugin.ModalityRegistry;
import io.mmfuse.api.proto.ModelSpec;
import io.mmfuse.api.proto.Precision;
import io.mmfuse.api.proto.Task;
import io.mmfuse.examples.bench.Workloads.Workload;
import io.mmfuse.fusion.data.Dataset;
import io.mmfuse.fusion.graph.FusionConfig;
import io.mmfuse.fusion.inference.BatchingPredictor;
import io.mmfuse.fusion.inference.Predictor;
import io.mmfuse.fusion.internal.Checksums;
import io.mmfuse.fusion.session.Call;
import io.mmfuse.fusion.session.InputFeed;
import io.mmfuse.fusion.train.AdamW;
import io.mmfuse.fusion.train.Trainer;
import io.mmfuse.fusion.train.TrainingConfig;
import io.mmfuse.fusion.train.TrainingModel;
import io.mmfuse.modality.image.ImageConfig;
import io.mmfuse.modality.image.ImageDecoder;
import io.mmfuse.modality.image.ImageProcessor;
import io.mmfuse.modality.image.Patches;
import io.mmfuse.modality.image.Simd;
import io.mmfuse.modality.text.HfTokenizer;
import io.mmfuse.runtime.RuntimeOptions;
import io.mmfuse.runtime.TensorFlowRuntime;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat32;

/**
 * {@code mmfuse bench}: TensorFlow's own float32 matmul rate on this machine (the practical peak), the fused encoder's
 * forward and training throughput and FLOP utilization at two sizes under each runtime variant (default, XLA,
 * bfloat16, both), single-example prediction latency through the {@link Predictor}, and the tokenizers' and the
 * image pipeline's throughput; all in one process, so that every ratio compares figures from the same run.
 */
public final class Bench {
  /** The runtime variants measured for each workload. */
  public record Variant(String name, boolean xla, Precision precision) {}

  public static final List<Variant> VARIANTS = List.of(
      new Variant("default", false, Precision.FLOAT32),
      new Variant("xla", true, Precision.FLOAT32),
      new Variant("bf16", false, Precision.MIXED_BFLOAT16),
      new Variant("xla+bf16", true, Precision.MIXED_BFLOAT16));

  static final String BF16_SKIPPED = "oneDNN is held below AVX-512 (ONEDNN_MAX_CPU_ISA) on an AVX-512 CPU: bfloat16"
      + " products would abort the process";

  /** Whether this process can run bfloat16 products at all (see CpuFeatures.bfloat16Runs). */
  public static boolean bfloat16Runs() {
    return io.mmfuse.runtime.CpuFeatures.detect().bfloat16Runs();
  }

  /** mm-small's batch. */
  public static final int SMALL_BATCH = Workloads.SMALL.batch();

  private final boolean quick;
  /** Seconds each measurement runs at least (the full run's; quick and smoke runs scale it down). */
  private final double seconds;
  /** mm-small's float32 forward rate at batch 16 in this run: what the batching predictor is measured against. */
  private double smallForward = Double.NaN;
  private final ModalityRegistry registry;
  private final PrintWriter log;
  private final Path work;

  /** Call before any TensorFlow session of the process ran: the XLA variants need it (see TensorFlowRuntime). */
  public Bench(boolean quick, ModalityRegistry registry, PrintWriter log, Path work) {
    this(quick, quick ? 1.0 : 3.0, registry, log, work);
  }

  /** A run whose measurements last at least {@code seconds} each (tests use a tiny value: figures, not speed). */
  Bench(boolean quick, double seconds, ModalityRegistry registry, PrintWriter log, Path work) {
    TensorFlowRuntime.enableXla();
    this.quick = quick;
    this.seconds = seconds;
    this.registry = registry;
    this.log = log;
    this.work = work;
  }

  /** Runs everything and returns the results. */
  public JsonObject run() throws IOException {
    JsonObject out = new JsonObject();
    out.add("machine", machine());
    double peak = matmulGflops(false);
    out.addProperty("matmul_gflops", round(peak));
    if (bfloat16Runs()) {
      double peakBf16 = matmulGflops(true);
      out.addProperty("matmul_bf16_gflops", round(peakBf16));
      line("matmul 1024^3: float32 %.1f GFLOP/s, bfloat16 %.1f GFLOP/s", peak, peakBf16);
    } else {
      line("matmul 1024^3: float32 %.1f GFLOP/s; bfloat16 not run (%s)", peak, BF16_SKIPPED);
    }
    JsonObject workloads = new JsonObject();
    for (Workload w : quick ? List.of(Workloads.SMALL) : List.of(Workloads.SMALL, Workloads.BASE)) {
      JsonObject variants = new JsonObject();
      for (Variant v : VARIANTS) {
        if (v.precision() == Precision.MIXED_BFLOAT16 && !bfloat16Runs()) {
          JsonObject skipped = new JsonObject();
          skipped.addProperty("skipped", BF16_SKIPPED);
          variants.add(v.name(), skipped);
          continue;
        }
        variants.add(v.name(), workload(w, v, peak));
      }
      workloads.add(w.name(), variants);
    }
    out.add("workloads", workloads);
    out.add("predict_latency_ms", latency(peak));
    out.add("preprocessing", preprocessing());
    JsonObject settings = new JsonObject();
    settings.addProperty("quick", quick);
    settings.addProperty("flops", "matrix products only, 2 per multiply-add; a training step counts 3x forward");
    settings.addProperty("tokens_per_example", Workloads.TOKENS);
    out.add("settings", settings);
    return out;
  }

  // ---------------------------------------------------------------------------------------------------------------

  private JsonObject machine() {
    io.mmfuse.runtime.CpuFeatures cpu = io.mmfuse.runtime.CpuFeatures.detect();
    JsonObject m = new JsonObject();
    m.addProperty("cores", cpu.cores());
    m.addProperty("cpu", cpu.model());
    m.addProperty("vendor", cpu.vendor());
    com.google.gson.JsonArray features = new com.google.gson.JsonArray();
    cpu.summary().forEach(features::add);
    m.add("cpu_features", features);
    m.addProperty("amx", cpu.amx());
    m.addProperty("avx512_bf16", cpu.avx512Bf16());
    if (!cpu.isaCap().isEmpty()) {
      // oneDNN held below the CPU: the figures are those of a lesser CPU with this one's cores and memory.
      m.addProperty("onednn_isa_cap", cpu.isaCap());
    }
    // TensorFlow's own Eigen kernels or oneDNN's: on an AVX2-only CPU it runs Eigen unless told otherwise.
    m.addProperty("tensorflow_kernels", cpu.kernels());
    m.addProperty("java", System.getProperty("java.version"));
    // What the policies choose here (the workloads below run every variant whatever the choice).
    io.mmfuse.runtime.PrecisionPolicy.Choice auto = io.mmfuse.runtime.PrecisionPolicy.choose(Precision.AUTO, false,
        false);
    JsonObject choices = new JsonObject();
    choices.addProperty("precision_auto", auto.used().name());
    choices.addProperty("precision_reason", auto.reason());
    choices.addProperty("xla", "off (the default; docs/performance.md says when to turn it on)");
    m.add("choices", choices);
    line("cpu: %s; TensorFlow's %s kernels; precision AUTO -> %s (%s)", cpu.describe(), cpu.kernels(), auto.used(),
        auto.reason());
    return m;
  }

  private ConfigProto session(boolean xla) {
    return TensorFlowRuntime.place(RuntimeOptions.of("cpu").withXla(xla), List::of).config();
  }

  /** TensorFlow's 1024x1024x1024 MatMul rate, operands fed from variables so that nothing is folded away. */
  double matmulGflops(boolean bf16) {
    int n = 1024;
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Operand<TFloat32> ua = tf.random.randomUniform(tf.constant(new int[] {n, n}), TFloat32.class);
      Operand<TFloat32> ub = tf.random.randomUniform(tf.constant(new int[] {n, n}), TFloat32.class);
      if (bf16) {
        Operand<TBfloat16> a16 = tf.variable(tf.dtypes.cast(ua, TBfloat16.class));
        Operand<TBfloat16> b16 = tf.variable(tf.dtypes.cast(ub, TBfloat16.class));
        // Reduce to one number so that fetching costs nothing next to the product.
        tf.withName("out").reduceSum(tf.linalg.matMul(a16, b16), tf.constant(new int[] {0, 1}));
      } else {
        tf.withName("out").reduceSum(tf.linalg.matMul(tf.variable(ua), tf.variable(ub)),
            tf.constant(new int[] {0, 1}));
      }
      try (Session s = new Session(g, session(false))) {
        double rate = rate(() -> s.runner().fetch("out").run().close(), seconds < 0.5 ? 2 : 20, seconds);
        return rate * 2.0 * n * n * n / 1e9;
      }
    }
  }

  private JsonObject workload(Workload w, Variant v, double firstPeak) {
    FusionConfig config = Workloads.config(w, v.precision());
    Map<String, InputFeed> feeds = Workloads.feeds(w.batch(), 7);
    float[] labels = new float[w.batch() * 2];
    for (int i = 0; i < w.batch(); i++) {
      labels[2 * i + i % 2] = 1f;
    }
    double seconds = this.seconds * (w == Workloads.BASE ? 2 : 1.3);
    int minSteps = this.seconds < 0.5 ? 1 : quick ? 3 : 5;
    JsonObject o = new JsonObject();
    // The row's shares are of the better of the run's first float32 peak and one measured right before it: on a
    // shared VM, one measurement from a slow minute put an encoder at 134% of "the peak".
    double peak = Math.max(firstPeak, matmulGflops(false));
    o.addProperty("matmul_peak_gflops", round(peak));
    try (TrainingModel model = TrainingModel.create(config, Task.CLASSIFICATION, 2, AdamW.of(0.01f, 1.0f),
        session(v.xla()))) {
      model.initializeRandom(1);
      // Float32 forward is timed on the graph a bundle serves (no optimizer, attention for the fused kernel);
      // bfloat16 forward on the training graph, since bundles serve in float32.
      double forward;
      boolean serving = v.precision() == Precision.FLOAT32;
      if (serving) {
        try (TrainingModel s = model.servingCopy().orElseThrow()) {
          forward = rate(() -> s.predict(feeds), minSteps, seconds) * w.batch();
        }
      } else {
        forward = rate(() -> model.predict(feeds), minSteps, seconds) * w.batch();
      }
      o.addProperty("forward_graph", serving ? "serving" : "training");
      if (w == Workloads.SMALL && v.name().equals("default")) {
        smallForward = forward;
      }
      int[] step = {0};
      double train = rate(() -> model.trainStep(feeds, labels, 1e-5f, step[0]++), minSteps, seconds) * w.batch();
      double flops = w.forwardFlops();
      double fg = forward * flops / 1e9;
      double tg = train * 3 * flops / 1e9;
      o.addProperty("forward_samples_per_s", round(forward));
      o.addProperty("forward_gflops", round(fg));
      o.addProperty("forward_of_matmul_peak", round(fg / peak));
      o.addProperty("train_samples_per_s", round(train));
      o.addProperty("train_gflops", round(tg));
      o.addProperty("train_of_matmul_peak", round(tg / peak));
      line("%-8s %-9s forward %7.1f samples/s %6.1f GFLOP/s (%3.0f%% of matmul)   train %6.1f samples/s %6.1f"
          + " GFLOP/s (%3.0f%%)", w.name(), v.name(), forward, fg, 100 * fg / peak, train, tg, 100 * tg / peak);
    }
    if (v.name().equals("default")) {
      // The same steps with lazy (row-sparse) updates of the 30,522-row text embedding table.
      try (TrainingModel model = TrainingModel.create(config, Task.CLASSIFICATION, 2,
          AdamW.of(0.01f, 1.0f).withLazyEmbeddings(true), session(v.xla()))) {
        model.initializeRandom(1);
        int[] step = {0};
        double lazy = rate(() -> model.trainStep(feeds, labels, 1e-5f, step[0]++), minSteps, seconds) * w.batch();
        o.addProperty("train_lazy_embeddings_samples_per_s", round(lazy));
        line("%-8s %-9s train with lazy embedding updates %6.1f samples/s (%.2fx dense)", w.name(), v.name(), lazy,
            lazy / o.get("train_samples_per_s").getAsDouble());
      }
    }
    return o;
  }

  /**
   * Where a forward pass (float32: on the serving graph, as {@link #run} times it) and a training step of mm-small
   * spend their time, by op type, from TensorFlow's own trace (summed op times; ops run side by side, so shares are
   * what matter).
   */
  public void profile(Variant v, int batch) {
    Workload w = Workloads.SMALL;
    Map<String, InputFeed> feeds = Workloads.feeds(batch, 7);
    float[] labels = new float[batch * 2];
    for (int i = 0; i < batch; i++) {
      labels[2 * i] = 1f;
    }
    try (TrainingModel model = TrainingModel.create(Workloads.config(w, v.precision()), Task.CLASSIFICATION, 2,
        AdamW.of(0.01f, 1.0f), session(v.xla()))) {
      model.initializeRandom(1);
      for (int i = 0; i < 3; i++) {
        model.predict(feeds);
        model.trainStep(feeds, labels, 1e-5f, i);
      }
      // Float32 forward on the graph a bundle serves, as the bench times it; bfloat16 forward on the training graph.
      if (v.precision() == Precision.FLOAT32) {
        try (TrainingModel serving = model.servingCopy().orElseThrow()) {
          for (int i = 0; i < 3; i++) {
            serving.predict(feeds);
          }
          opTable(String.format(Locale.ROOT, "%s forward (%s, batch %d, serving graph)", w.name(), v.name(), batch),
              serving.traceForward(feeds));
        }
      } else {
        opTable(String.format(Locale.ROOT, "%s forward (%s, batch %d, training graph)", w.name(), v.name(), batch),
            model.traceForward(feeds));
      }
      opTable(String.format(Locale.ROOT, "%s train (%s, batch %d)", w.name(), v.name(), batch),
          model.traceTrainStep(feeds, labels, 1e-5f, 3));
    }
  }

  /**
   * Calls {@code step} twice to warm up (once in a smoke run, under half a second a measurement), then until both
   * {@code minSteps} and {@code minSeconds}; steps per second.
   */
  static double rate(Runnable step, int minSteps, double minSeconds) {
    step.run();
    if (minSeconds >= 0.5) {
      step.run();
    }
    long start = System.nanoTime();
    int n = 0;
    while (n < minSteps || System.nanoTime() - start < minSeconds * 1e9) {
      step.run();
      n++;
    }
    return n / ((System.nanoTime() - start) / 1e9);
  }

  // ---------------------------------------------------------------------------------------------------------------

  /** A small text+image+table mm-small bundle trained for one epoch, and the examples it is timed on. */
  private record LatencyModel(Path bundle, List<Map<String, Object>> examples) {}

  private LatencyModel latencyModel() throws IOException {
    Path data = work.resolve("latency");
    Files.createDirectories(data);
    List<String> vocab = vocabulary();
    Files.write(data.resolve("vocab.txt"), vocab);
    Random r = new Random(11);
    List<String> rows = new ArrayList<>();
    StringBuilder header = new StringBuilder("text,image");
    for (int c = 0; c < Workloads.COLUMNS; c++) {
      header.append(",c").append(c);
    }
    rows.add(header.append(",label").toString());
    List<Map<String, Object>> examples = new ArrayList<>();
    for (int i = 0; i < 48; i++) {
      String text = sentence(vocab, r, Workloads.TEXT_TOKENS - 2);
      // A 224x224 JPEG, as a service would receive a photograph.
      byte[] jpeg = encode(picture(224, 224, r), "jpg");
      Files.write(data.resolve("img" + i + ".jpg"), jpeg);
      StringBuilder row = new StringBuilder(text).append(",img").append(i).append(".jpg");
      Map<String, String> cells = new LinkedHashMap<>();
      for (int c = 0; c < Workloads.COLUMNS; c++) {
        String v = String.format(Locale.ROOT, "%.3f", r.nextGaussian());
        cells.put("c" + c, v);
        row.append(',').append(v);
      }
      rows.add(row.append(',').append(i % 2 == 0 ? "yes" : "no").toString());
      examples.add(Map.of("text", text, "image", jpeg, "table", cells));
    }
    Files.write(data.resolve("data.csv"), rows);
    Workload w = Workloads.SMALL;
    // Bundles serve in float32 whatever they trained in, so only float32 is timed. Dropout 0.1, as `mmfuse train`
    // trains by default: the bundle's serving graph has none of its ops.
    String spec = """
        inputs { name: "text" modality: "text"
          settings { [mmfuse/mmfuse.text.TextSettings] { tokenizer_file: "vocab.txt" lowercase: true add_special_tokens: true max_length: 64 } } }
        inputs { name: "image" modality: "image" settings { [mmfuse/mmfuse.image.ImageSettings] { preset: "vit" } } }
        inputs { name: "table" modality: "table" settings { [mmfuse/mmfuse.table.TableSettings] {
          columns { name: "text" kind: IGNORED } columns { name: "image" kind: IGNORED } } } }
        backbone { width: %d layers: %d heads: %d ffn_width: %d norm: PRE activation: GELU fusion: "concat"
          final_layer_norm: true precision: FLOAT32 dropout: 0.1 }
        """.formatted(w.width(), w.layers(), w.heads(), w.ffn());
    Path specFile = data.resolve("spec");
    Files.writeString(specFile, spec);
    ModelSpec s = Specs.read(specFile);
    Path bundle = work.resolve("latency-model");
    new Trainer(TrainingConfig.builder().optEpochs(1).optBatchSize(16).build(), registry)
        .fit(s, Dataset.read(data.resolve("data.csv"), "label", s, registry), data, bundle);
    return new LatencyModel(bundle, examples);
  }

  /** Trains the latency model, then times single predictions. */
  private JsonObject latency(double peakGflops) throws IOException {
    LatencyModel model = latencyModel();
    List<Map<String, Object>> examples = model.examples();
    JsonObject out = new JsonObject();
    // One example's matrix products at the matmul peak: the floor no prediction can beat on this CPU. The peak is
    // measured again here, minutes after the run's first measurement, and the better of the two counts: on a shared
    // VM one short measurement can come from a slow minute and lower the floor's bar.
    double again = matmulGflops(false);
    double floorPeak = Math.max(peakGflops, again);
    double floorMs = Workloads.SMALL.forwardFlops() / (floorPeak * 1e9) * 1e3;
    out.addProperty("matmul_gflops_before_timing", round(again));
    out.addProperty("floor_matmul_gflops", round(floorPeak));
    out.addProperty("flop_floor_ms", round(floorMs));
    // mmfuse's default threads (one inter-op thread per part of the tokens, cores / parts inside each op), and
    // TensorFlow's (every op across all cores, as many ops at once). Per session only where
    // TF_OVERRIDE_GLOBAL_THREADPOOL=1 (./mmfuse sets it); otherwise the process's first session's threads hold.
    int cores = Runtime.getRuntime().availableProcessors();
    int parts = io.mmfuse.fusion.bundle.BundleReader.open(model.bundle()).sequenceParts();
    for (String threads : List.of("default_threads", "tensorflow_threads")) {
      RuntimeOptions options = threads.equals("default_threads") ? RuntimeOptions.of("cpu")
          : RuntimeOptions.of("cpu").withThreads(cores, cores);
      try (Predictor predictor = Predictor.load(model.bundle(), registry, options)) {
        JsonObject l = timePredictions(predictor, examples);
        // The threads the predictor's session got, as Predictor.load chooses them (0: TensorFlow's default).
        ConfigProto used =
            TensorFlowRuntime.forSequenceParts(TensorFlowRuntime.place(options, List::of), parts).config();
        l.addProperty("sequence_parts", parts);
        l.addProperty("intra_op_threads", used.getIntraOpParallelismThreads());
        l.addProperty("inter_op_threads", used.getInterOpParallelismThreads());
        String key = "float32_" + threads;
        if (key.equals("float32_default_threads")) {
          out.addProperty("p50", l.get("p50").getAsDouble());
          out.addProperty("p99", l.get("p99").getAsDouble());
          out.addProperty("p50_of_floor", round(l.get("p50").getAsDouble() / floorMs));
          out.addProperty("min_of_floor", round(l.get("min").getAsDouble() / floorMs));
          if (l.has("cpu_steal_share")) {
            out.add("cpu_steal_share", l.get("cpu_steal_share"));
          }
          out.add("batching", batching(predictor, examples));
        }
        out.add(key, l);
        line("predict latency (mm-small, text+image+table, one example, float32, %s): p50 %.2f ms, p99 %.2f ms,"
            + " fastest %.2f ms (floor %.2f ms at %.0f GFLOP/s)%s", threads.replace('_', ' '),
            l.get("p50").getAsDouble(), l.get("p99").getAsDouble(), l.get("min").getAsDouble(), floorMs, floorPeak,
            l.has("cpu_steal_share")
                ? String.format(Locale.ROOT, "; CPU steal %.1f%%", 100 * l.get("cpu_steal_share").getAsDouble())
                : "");
      }
    }
    Checksums.deleteTree(model.bundle());
    return out;
  }

  /**
   * Where one example's prediction through the {@link Predictor} spends its time: tokenizing (JPEG decoding among
   * it) against running the bundle's own serving graph, and that graph's op time by type from TensorFlow's trace (the
   * fastest of several traced runs, the one least disturbed by the rest of the machine).
   */
  public void profilePrediction() throws IOException {
    LatencyModel model = latencyModel();
    List<Map<String, Object>> examples = model.examples();
    try (Predictor predictor = Predictor.load(model.bundle(), registry, RuntimeOptions.of("cpu"))) {
      int n = seconds < 0.5 ? 5 : 100;
      for (int i = 0; i < Math.min(n, 30); i++) {
        predictor.predict(examples.get(i % examples.size()));
      }
      double[] tokenize = new double[n];
      double[] run = new double[n];
      for (int i = 0; i < n; i++) {
        long t0 = System.nanoTime();
        var tokens = predictor.tokenize(examples.get(i % examples.size()), "example " + (i + 1));
        long t1 = System.nanoTime();
        predictor.predictTokenized(List.of(tokens));
        tokenize[i] = (t1 - t0) / 1e6;
        run[i] = (System.nanoTime() - t1) / 1e6;
      }
      Arrays.sort(tokenize);
      Arrays.sort(run);
      line("profile one prediction (mm-small, text+image+table, float32): tokenize p50 %.2f ms, model p50 %.2f ms"
          + " (fastest %.2f ms)", tokenize[n / 2], run[n / 2], run[0]);
      var tokens = predictor.tokenize(examples.get(0), "example 1");
      org.tensorflow.proto.RunMetadata fastest =
          OpTimes.fastest(() -> predictor.traceTokenized(List.of(tokens)), Math.max(3, n / 5));
      long fastestWall = OpTimes.spanMicros(fastest);
      opTable("serving graph, batch 1, fastest traced run: " + String.format(Locale.ROOT, "%.1f ms from first op to"
          + " last", fastestWall / 1e3), fastest);
      Map<String, Long> alone = new HashMap<>();
      long[] o = OpTimes.overlap(fastest, alone);
      line("profile   ops running: at least one %.1f ms, two or more at once %.1f ms, of the %.1f ms span; the"
          + " longest stretches with one op alone:", o[1] / 1e3, o[2] / 1e3, o[0] / 1e3);
      alone.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(8)
          .forEach(e -> line("  %-60s %6.2f ms", e.getKey(), e.getValue() / 1e3));
    }
    Checksums.deleteTree(model.bundle());
  }

  /** Op time by type from a traced run, the largest first. */
  private void opTable(String title, org.tensorflow.proto.RunMetadata md) {
    Map<String, long[]> byType = OpTimes.byType(md);
    long all = byType.values().stream().mapToLong(t -> t[0]).sum();
    line("profile %s; %.1f ms of op time", title, all / 1e3);
    byType.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0])).limit(14)
        .forEach(e -> line("  %-28s %7.1f ms %5.1f%% %4d ops", e.getKey(), e.getValue()[0] / 1e3,
            100.0 * e.getValue()[0] / all, e.getValue()[1]));
  }

  /**
   * Callers that each make one blocking prediction after another through one {@link BatchingPredictor} (batches of
   * up to 16, 2 ms wait): examples/s against mm-small's batch-16 forward rate, and each caller's p50 / p99.
   */
  private JsonObject batching(Predictor predictor, List<Map<String, Object>> examples) {
    JsonObject out = new JsonObject();
    out.addProperty("batch16_forward_samples_per_s", round(smallForward));
    for (int callers : List.of(1, 8, 32)) {
      double span = Math.max(this.seconds * 3, 0.05);
      java.util.concurrent.ConcurrentLinkedQueue<Double> ms = new java.util.concurrent.ConcurrentLinkedQueue<>();
      BatchingPredictor.Stats stats;
      long t0;
      long t1;
      try (BatchingPredictor b = BatchingPredictor.over(predictor, BatchingPredictor.Options.defaults())) {
        for (int i = 0; i < 2 * callers; i++) {
          b.predict(examples.get(i % examples.size()));
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(callers);
        long stop = System.nanoTime() + (long) (span * 1e9);
        t0 = System.nanoTime();
        List<java.util.concurrent.Future<?>> running = new ArrayList<>();
        BatchingPredictor.Stats before = b.stats();
        for (int c = 0; c < callers; c++) {
          int seed = c;
          running.add(pool.submit(() -> {
            int i = seed;
            while (System.nanoTime() < stop) {
              long s = System.nanoTime();
              b.predict(examples.get(i++ % examples.size()));
              ms.add((System.nanoTime() - s) / 1e6);
            }
          }));
        }
        for (java.util.concurrent.Future<?> f : running) {
          try {
            f.get();
          } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("batching caller failed: " + e, e);
          }
        }
        t1 = System.nanoTime();
        pool.shutdown();
        BatchingPredictor.Stats after = b.stats();
        stats = new BatchingPredictor.Stats(after.requests() - before.requests(), 0, 0, 0,
            after.batches() - before.batches(), after.examples() - before.examples(), 0);
      }
      double[] sorted = ms.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      double rate = sorted.length / ((t1 - t0) / 1e9);
      JsonObject o = new JsonObject();
      o.addProperty("samples_per_s", round(rate));
      o.addProperty("of_batch16_forward", round(rate / smallForward));
      o.addProperty("p50_ms", round(sorted[sorted.length / 2]));
      o.addProperty("p99_ms", round(sorted[Math.max(0, (int) Math.ceil(sorted.length * 0.99) - 1)]));
      o.addProperty("mean_batch", round(stats.batches() == 0 ? 0 : (double) stats.examples() / stats.batches()));
      out.add(callers + "_callers", o);
      line("batching predictor, %2d callers: %6.1f examples/s (%3.0f%% of batch-16 forward), p50 %.1f ms, p99 %.1f"
          + " ms, mean batch %.1f", callers, rate, 100 * rate / smallForward, o.get("p50_ms").getAsDouble(),
          o.get("p99_ms").getAsDouble(), o.get("mean_batch").getAsDouble());
    }
    return out;
  }

  private JsonObject timePredictions(Predictor predictor, List<Map<String, Object>> examples) {
    // 200 calls before timing, so that the figures are a warm service's: on a 2-core EPYC (Zen 4), the p99 of the
    // first hundred calls after loading was 35 ms and of the second hundred 31 ms, against 26-28 ms in each of the six
    // hundreds after (p50 14-17 ms throughout).
    int warm = seconds < 0.5 ? 3 : 200;
    // At least 300 timed calls: the p99 of 100 is the second slowest call, which one stalled thread decides.
    int n = seconds < 0.5 ? 10 : quick ? 300 : 400;
    for (int i = 0; i < warm; i++) {
      predictor.predict(examples.get(i % examples.size()));
    }
    double[] ms = new double[n];
    CpuTime.Sample before = CpuTime.sample();
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      predictor.predict(examples.get(i % examples.size()));
      ms[i] = (System.nanoTime() - t0) / 1e6;
    }
    double steal = CpuTime.stealShare(before, CpuTime.sample());
    Arrays.sort(ms);
    JsonObject l = new JsonObject();
    l.addProperty("p50", round(ms[n / 2]));
    l.addProperty("p99", round(ms[(int) Math.ceil(n * 0.99) - 1]));
    l.addProperty("min", round(ms[0]));
    l.addProperty("predictions", n);
    if (!Double.isNaN(steal)) {
      // The share of this machine's CPU time that its hypervisor gave to others while the predictions ran.
      l.addProperty("cpu_steal_share", round(steal));
    }
    return l;
  }

  private static List<String> vocabulary() {
    List<String> vocab = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
    String letters = "abcdefghijklmnopqrstuvwxyz";
    Random r = new Random(3);
    while (vocab.size() < 2000) {
      StringBuilder w = new StringBuilder();
      int len = 2 + r.nextInt(7);
      for (int i = 0; i < len; i++) {
        w.append(letters.charAt(r.nextInt(26)));
      }
      if (!vocab.contains(w.toString())) {
        vocab.add(w.toString());
      }
    }
    return vocab;
  }

  private static String sentence(List<String> vocab, Random r, int words) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < words; i++) {
      s.append(i == 0 ? "" : " ").append(vocab.get(5 + r.nextInt(vocab.size() - 5)));
    }
    return s.toString();
  }

  /** A picture with gradients, shapes and noise, so that compression and decoding work as on a photograph. */
  private static BufferedImage picture(int w, int h, Random r) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int red = (x * 255 / w + r.nextInt(24)) & 0xff;
        int green = (y * 255 / h + r.nextInt(24)) & 0xff;
        int blue = ((x + y) * 127 / (w + h) + r.nextInt(24)) & 0xff;
        img.setRGB(x, y, red << 16 | green << 8 | blue);
      }
    }
    Graphics2D g = img.createGraphics();
    for (int i = 0; i < 12; i++) {
      g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
      g.fillOval(r.nextInt(w), r.nextInt(h), 10 + r.nextInt(w / 3), 10 + r.nextInt(h / 3));
    }
    g.dispose();
    return img;
  }

  private static byte[] encode(BufferedImage img, String format) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ImageIO.write(img, format, bytes);
    return bytes.toByteArray();
  }

  // ---------------------------------------------------------------------------------------------------------------

  /** WordPiece tokens per second and ViT image preprocessing (decode, resize, normalize, patches) per second. */
  private JsonObject preprocessing() throws IOException {
    JsonObject out = new JsonObject();
    List<String> vocab = vocabulary();
    Path vocabFile = work.resolve("vocab.txt");
    Files.write(vocabFile, vocab);
    HfTokenizer tokenizer = HfTokenizer.fromBertVocab(vocabFile, true);
    Random r = new Random(5);
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      // Known words, unknown words split into pieces, punctuation and case.
      lines.add(sentence(vocab, r, 10 + r.nextInt(20)) + ", Qzxv-" + r.nextInt(1000) + " DONE.");
    }
    long[] tokens = {0};
    int[] next = {0};
    double perSecond = rate(() -> {
      String line = lines.get(next[0]++ % lines.size());
      tokens[0] += tokenizer.encodeIds(line, true).length;
    }, seconds < 0.5 ? 100 : 20000, seconds);
    // rate counts calls; scale by the mean tokens per call.
    double meanTokens = (double) tokens[0] / next[0];
    out.addProperty("wordpiece_tokens_per_s", Math.round(perSecond * meanTokens));
    byte[] jpeg = encode(picture(640, 427, new Random(9)), "jpg");
    ImageDecoder decoder = new ImageDecoder();
    ImageConfig vit = ImageConfig.preset("vit");
    ImageProcessor processor = new ImageProcessor(vit);
    // Steady state: the SIMD kernels, where available, once the JIT has compiled them (see Simd).
    awaitSimdWarmUp();
    double images = rate(() -> processor.patches(decoder.decode(jpeg, "bench.jpg")),
        seconds < 0.5 ? 2 : 20, seconds);
    out.addProperty("vit_images_per_s", round(images));
    out.addProperty("image_simd", Simd.active());
    line("preprocessing: WordPiece %.2f M tokens/s; ViT image pipeline (640x427 JPEG) %.0f images/s"
        + " (SIMD kernels %s)", perSecond * meanTokens / 1e6, images, Simd.active() ? "on" : Simd.available() ? "warming up" : "off");
    return out;
  }

  private static void awaitSimdWarmUp() {
    try {
      Simd.awaitWarmUp(60_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void line(String format, Object... args) {
    log.println(String.format(Locale.ROOT, format, args));
    log.flush();
  }

  static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }

  /** The results as pretty JSON. */
  public static String json(JsonObject o) {
    return new GsonBuilder().setPrettyPrinting().create().toJson(o);
  }
}
