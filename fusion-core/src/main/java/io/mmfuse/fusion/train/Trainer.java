package io.mmfuse.fusion.train;

import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.TokenSequence;
import io.mmfuse.api.TokenizerContext;
import io.mmfuse.api.TokenizerFactory;
import io.mmfuse.api.plugin.ModalityRegistry;
import io.mmfuse.api.proto.InputSpec;
import io.mmfuse.api.proto.ModelSpec;
import io.mmfuse.fusion.bundle.BundleWriter;
import io.mmfuse.fusion.bundle.Provenance;
import io.mmfuse.fusion.data.BadRows;
import io.mmfuse.fusion.data.Dataset;
import io.mmfuse.fusion.data.ExampleSource;
import io.mmfuse.fusion.data.InputPipeline;
import io.mmfuse.fusion.data.TokenCache;
import io.mmfuse.fusion.data.Tokenizers;
import io.mmfuse.fusion.graph.FusionConfig;
import io.mmfuse.fusion.graph.FusionGraph;
import io.mmfuse.fusion.graph.FusionStrategies;
import io.mmfuse.fusion.graph.ModelSpecs;
import io.mmfuse.fusion.graph.Weight;
import io.mmfuse.fusion.internal.Checksums;
import io.mmfuse.runtime.PrecisionPolicy;
import io.mmfuse.runtime.RuntimeOptions;
import io.mmfuse.runtime.TensorFlowRuntime;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * Trains a fused model on an {@link ExampleSource} (a {@link Dataset} in memory or a {@link
 * io.mmfuse.fusion.data.DataFile} read as it goes) and writes the best epoch as a model bundle: splits the rows,
 * fits the tokenizers on the training split only, then epochs of shuffled batches (padded to the longest sequence of
 * each batch, optionally grouped by length) with AdamW, warmup and a linear or cosine schedule, dropout and optional
 * modality dropout. Rows are read and tokenized by worker threads ahead of the step, through a bounded queue, and
 * optionally kept in a {@link TokenCache} after the first epoch. Progress, epoch checkpoints and early stopping are
 * {@link TrainingListener}s. Deterministic under a seed, whatever the number of input threads.
 *
 * <pre>{@code
 * Trainer.Result r = new Trainer(TrainingConfig.builder().optEpochs(20).build(), Plugins.load())
 *     .addListener(new ProgressLog(System.err))
 *     .fit(spec, Dataset.read(csv, "label", spec), specDir, Path.of("model"));
 * }</pre>
 */
public final class Trainer {
  private final TrainingConfig config;
  private final ModalityRegistry registry;
  private final List<TrainingListener> listeners = new ArrayList<>();

  public Trainer(TrainingConfig config, ModalityRegistry registry) {
    this.config = config;
    this.registry = registry;
  }

  /** Adds a listener, called after the built-in ones (checkpoints, early stopping) in the order added. */
  public Trainer addListener(TrainingListener listener) {
    listeners.add(listener);
    return this;
  }

  /**
   * What training produced.
   *
   * @param spec the bundle's spec, with the fitted tokenizers' settings
   * @param validation the best epoch's validation metrics (empty for a paused run)
   * @param bestEpoch the epoch written to the bundle
   * @param epochsRun epochs run, counting those of a resumed run's earlier part
   * @param seconds wall time
   * @param trainLoss per epoch run here
   * @param validationScore per epoch run here
   * @param validationExamples the held-out rows, by index
   * @param validationPredictions the bundle's predictions on them, row-major
   * @param bundleWritten false when a listener paused the run
   */
  public record Result(ModelSpec spec, Map<String, Double> validation, int bestEpoch, int epochsRun, double seconds,
      List<Double> trainLoss, List<Double> validationScore, List<Integer> validationExamples,
      float[] validationPredictions, boolean bundleWritten) {}

  /**
   * Trains and writes the bundle to {@code out}, validating on a split of {@code data}: by group where the data set
   * has groups (no group on both sides), else random; {@code specDir} resolves relative file names in the spec.
   */
  public Result fit(ModelSpec specIn, ExampleSource data, Path specDir, Path out) {
    return fit(specIn, data, null, specDir, out);
  }

  /**
   * Trains on {@code data} and validates on {@code validation}, a data set of its own (read with {@code data}'s
   * inputs, {@link ExampleSource#inputSpec()}); a null {@code validation} splits {@code data} as {@link
   * #fit(ModelSpec, ExampleSource, Path, Path)} does. Rows are read and tokenized as they are needed, on {@link
   * TrainingConfig#inputThreads()} worker threads, so a {@link io.mmfuse.fusion.data.DataFile} of any size trains in
   * bounded memory.
   */
  public Result fit(ModelSpec specIn, ExampleSource trainingData, ExampleSource validation, Path specDir, Path out) {
    long start = System.nanoTime();
    if (config.resume() && !EpochCheckpoints.exists(out)) {
      if (java.nio.file.Files.isRegularFile(out.resolve(io.mmfuse.fusion.bundle.BundleReader.MANIFEST_FILE))) {
        throw new InvalidInputException("nothing to resume at " + out + ": the run that wrote it finished (its"
            + " bundle is there and no checkpoint is left in " + EpochCheckpoints.directory(out) + "); train without"
            + " --resume to train it again");
      }
      tell(l -> l.onNote("no checkpoint in " + EpochCheckpoints.directory(out) + "; starting at epoch 1"));
    }
    ModelSpec spec = ModelSpecs.withDefaults(specIn.getInputsCount() == 0
        ? specIn.toBuilder().addAllInputs(trainingData.inputs()).build() : specIn);
    ExampleSource data = validation == null ? trainingData : new Joined(trainingData, validation);
    Split split = validation == null
        ? trainingData.groups().isEmpty()
            ? Split.of(data.size(), config.validationFraction(), config.seed(), data.source())
            : Split.grouped(trainingData.groups(), config.validationFraction(), config.seed(), data.source())
        : Split.file(trainingData.size(), validation.size());
    com.google.gson.JsonObject splitRecord = splitRecord(split, trainingData, validation);
    tell(l -> l.onNote(describe(split, splitRecord)));
    data.sharedAcrossSplit(split.train(), split.validation()).forEach((column, share) -> tell(l -> l.onNote(
        String.format(java.util.Locale.ROOT, "warning: %.0f%% of the validation rows share their '%s' with a"
            + " training row: the same thing on both sides of the split makes validation look better than it"
            + " is; split by it with --group %s (or give --validation FILE)", 100 * share, column, column))));
    boolean contrastive = spec.getHead().getTask() == io.mmfuse.api.proto.Task.CONTRASTIVE;
    if (contrastive) {
      ModelSpecs.sides(spec);
    }
    LabelEncoder labels = LabelEncoder.fit(spec.getHead(), contrastive ? List.of() : labelsOf(data, split.train()),
        data.source());
    String labelColumn = data.labelColumn().isEmpty() ? spec.getHead().getLabelColumn() : data.labelColumn();
    spec = spec.toBuilder().setHead(labels.head(labelColumn)).build();
    try (BundleWriter bundle = BundleWriter.create(out);
        InputPipeline pipeline = new InputPipeline(config.inputThreads(), config.queueDepth())) {
      List<Integer> fitOn = fitSample(split.train());
      if (fitOn.size() < split.train().size()) {
        tell(l -> l.onNote("tokenizers fitted on an even sample of " + fitOn.size() + " of the "
            + split.train().size() + " training rows"));
      }
      Fitted fitted = fitTokenizers(spec, data, fitOn, specDir, bundle.directory());
      spec = fitted.spec();
      fitted.summaries().forEach((input, summary) -> tell(l -> l.onNote("input '" + input + "': " + summary)));
      TensorFlowRuntime.Placement placement = TensorFlowRuntime.place(RuntimeOptions.fromSpec(spec.getRuntime()));
      placement.warning().ifPresent(w -> tell(l -> l.onNote(w)));
      PrecisionPolicy.Choice precision = PrecisionPolicy.choose(spec.getBackbone().getPrecision(),
          spec.getBackbone().getForcePrecision(), placement.gpu());
      precision.warning().ifPresent(w -> tell(l -> l.onNote(w)));
      FusionConfig fusion = ModelSpecs.fusionConfig(spec, fitted.tokenizers().spaces(),
          FusionStrategies.of(registry)).withPrecision(precision.used());
      TokenCache cache = config.tokenCache() == null ? null : openCache(spec, trainingData, validation, data,
          fitted.tokenizers(), bundle.directory());
      Run run = new Run(fusion, labels, split, data, fitted.tokenizers(), pipeline, cache);
      try (TrainingModel model = TrainingModel.create(fusion, labels.task(), labels.outputs(),
          spec.getHead().getProjectionWidth(), config.optimizer(), placement.config());
          TokenCache closing = cache) {
        initialize(model, spec, specDir);
        // Counted from the graph's shapes: reading the weights out of the session would copy every one.
        long count = model.graph().parameters().values().stream().mapToLong(FusionGraph.Parameter::size).sum();
        io.mmfuse.api.proto.BackboneSpec b = spec.getBackbone();
        tell(l -> l.onNote(String.format(java.util.Locale.ROOT, "model: %,d parameters; backbone width %d, %d"
            + " layers, %d heads, feed-forward %d, fusion %s, dropout %.2f; %s, %d classes/outputs; batch %d, lr %.0e,"
            + " at most %d epochs, patience %d; %s (%s)", count, b.getWidth(), b.getLayers(), b.getHeads(), b.getFfnWidth(),
            contrastive ? "by side (contrastive)" : b.getFusion().isEmpty() ? "concat" : b.getFusion(),
            b.getDropout(), labels.task(), contrastive ? 0 : labels.outputs(),
            config.batchSize(), config.learningRate(), config.epochs(), config.patience(),
            precision.used() == io.mmfuse.api.proto.Precision.FLOAT32 ? "float32" : "mixed bfloat16",
            precision.asked() + ": " + precision.reason())));
        tell(l -> l.onNote("input: " + (pipeline.threads() == 0 ? "read on the training thread"
            : pipeline.threads() + " worker thread" + (pipeline.threads() == 1 ? "" : "s")) + ", up to "
            + pipeline.depth() + " batches read ahead" + (config.lengthBuckets() ? ", length buckets" : "")));
        EpochCheckpoints checkpoints = new EpochCheckpoints(out);
        Outcome o = run.epochs(model, checkpoints);
        if (o.paused()) {
          return new Result(spec, Map.of(), o.bestEpoch(), o.epochsRun(), seconds(start), o.losses(), o.scores(),
              split.validation(), new float[0], false);
        }
        model.load(o.best(), "best epoch");
        // The reported predictions and metrics are the bundle's own: its serving graph (float32, no dropout).
        Run.Predicted predicted;
        Map<String, Double> metrics;
        java.util.Optional<TrainingModel> servingCopy = model.servingCopy();
        try {
          TrainingModel serving = servingCopy.orElse(model);
          predicted = run.predict(serving, split.validation(), o.epochsRun() + 1);
          metrics = run.metrics(predicted);
          serving.exportTo(bundle);
        } finally {
          servingCopy.ifPresent(TrainingModel::close);
        }
        bundle.commit(spec, provenance(trainingData, splitRecord).withMachine(machine(precision, placement)));
        checkpoints.delete();
        if (run.incomplete > 0) {
          tell(l -> l.onNote("skipped " + run.incomplete + " pair(s) with a side missing (" + run.incompleteWhere
              + (run.incomplete > 1 ? ", ..." : "") + ")"));
        }
        String skipped = data.badRows().summary();
        if (validation != null && validation.badRows() != data.badRows()) {
          skipped = (skipped + " " + validation.badRows().summary()).trim();
        }
        if (!skipped.isEmpty()) {
          String note = skipped;
          tell(l -> l.onNote(note));
        }
        return new Result(spec, metrics, o.bestEpoch(), o.epochsRun(), seconds(start), o.losses(), o.scores(),
            predicted.rows(), predicted.predictions(), true);
      }
    }
  }

  /** The training rows' labels, read as they are iterated (rows that cannot be read are rejected and left out). */
  private static Iterable<String> labelsOf(ExampleSource data, List<Integer> rows) {
    return () -> new java.util.Iterator<>() {
      private int k;
      private String next = advance();

      private String advance() {
        while (k < rows.size()) {
          int row = rows.get(k++);
          try {
            return data.label(row);
          } catch (InvalidInputException e) {
            data.reject(row, e);
          }
        }
        return null;
      }

      @Override
      public boolean hasNext() {
        return next != null;
      }

      @Override
      public String next() {
        String v = next;
        next = advance();
        return v;
      }
    };
  }

  /** The training rows the tokenizers fit on: all, or an even sample of {@link TrainingConfig#fitRows()}. */
  private List<Integer> fitSample(List<Integer> train) {
    List<Integer> sorted = new ArrayList<>(train);
    sorted.sort(null);
    int n = config.fitRows();
    if (n == 0 || n >= sorted.size()) {
      return sorted;
    }
    List<Integer> out = new ArrayList<>(n);
    for (int k = 0; k < n; k++) {
      out.add(sorted.get((int) ((long) k * sorted.size() / n)));
    }
    return out;
  }

  /**
   * The token cache entry for these data files and these fitted tokenizers: keyed by the files' contents, each
   * input's fitted spec and the tokenizer files written into the bundle.
   */
  private TokenCache openCache(ModelSpec spec, ExampleSource train, ExampleSource validation, ExampleSource data,
      Tokenizers tokenizers, Path bundleDir) {
    List<String> parts = new ArrayList<>();
    parts.add(sha(train));
    parts.add(validation == null ? "" : sha(validation));
    parts.add(Integer.toString(data.size()));
    for (InputSpec in : spec.getInputsList()) {
      parts.add(com.google.protobuf.TextFormat.printer().printToString(in));
    }
    try {
      for (Path f : Checksums.files(bundleDir)) {
        parts.add(bundleDir.relativize(f) + "=" + Checksums.sha256(f));
      }
    } catch (IOException e) {
      throw new InvalidInputException("bundle " + bundleDir + ": cannot hash the tokenizer files: " + e, e);
    }
    String key = TokenCache.key(parts);
    TokenCache cache = TokenCache.open(config.tokenCache(), key, data.source(),
        new ArrayList<>(tokenizers.spaces().keySet()), data.size());
    tell(l -> l.onNote(cache.complete()
        ? "token cache: reading the tokens of " + cache.cachedRows() + " rows from " + cache.dir()
        : "token cache: writing the tokens to " + cache.dir() + " in the first epoch"));
    return cache;
  }

  private static double seconds(long start) {
    return (System.nanoTime() - start) / 1e9;
  }

  private void tell(java.util.function.Consumer<TrainingListener> event) {
    listeners.forEach(event);
  }

  private Provenance provenance(ExampleSource data, com.google.gson.JsonObject split) {
    return Provenance.of(config.toJson(), config.seed(), data.source(), sha(data), split);
  }

  /** The machine the run trained on and the choices made for it (the manifest's provenance.machine). */
  private static com.google.gson.JsonObject machine(PrecisionPolicy.Choice precision,
      TensorFlowRuntime.Placement placement) {
    io.mmfuse.runtime.CpuFeatures cpu = io.mmfuse.runtime.CpuFeatures.detect();
    com.google.gson.JsonObject m = new com.google.gson.JsonObject();
    m.addProperty("cpu", cpu.describe());
    com.google.gson.JsonArray features = new com.google.gson.JsonArray();
    cpu.summary().forEach(features::add);
    m.add("cpu_features", features);
    m.addProperty("device", placement.deviceType() + ":" + placement.deviceIndex());
    com.google.gson.JsonObject p = new com.google.gson.JsonObject();
    p.addProperty("asked", precision.asked().name());
    p.addProperty("used", precision.used().name());
    p.addProperty("reason", precision.reason());
    m.add("precision", p);
    return m;
  }

  private static String sha(ExampleSource data) {
    try {
      return data.file() == null ? "" : Checksums.sha256(data.file());
    } catch (IOException e) {
      throw new InvalidInputException("data " + data.source() + ": cannot be read to hash it: " + e, e);
    }
  }

  /** The training rows followed by the validation rows, as one source. */
  private record Joined(ExampleSource train, ExampleSource validation) implements ExampleSource {
    private ExampleSource of(int row) {
      return row < train.size() ? train : validation;
    }

    private int local(int row) {
      return row < train.size() ? row : row - train.size();
    }

    @Override
    public String source() {
      return train.source() + " + " + validation.source();
    }

    @Override
    public Path file() {
      return train.file();
    }

    @Override
    public String labelColumn() {
      return train.labelColumn();
    }

    @Override
    public List<InputSpec> inputs() {
      return train.inputs();
    }

    @Override
    public List<Dataset.ColumnProfile> columns() {
      return train.columns();
    }

    @Override
    public int size() {
      return train.size() + validation.size();
    }

    @Override
    public Example example(int row) {
      return of(row).example(local(row));
    }

    @Override
    public String label(int row) {
      return of(row).label(local(row));
    }

    @Override
    public List<String> groups() {
      return List.of();
    }

    @Override
    public String where(int row) {
      return of(row).where(local(row));
    }

    @Override
    public void reject(int row, InvalidInputException error) {
      of(row).reject(local(row), error);
    }

    @Override
    public BadRows badRows() {
      return train.badRows();
    }

    @Override
    public ExampleSource withInputs(List<InputSpec> specs) {
      return new Joined(train.withInputs(specs), validation.withInputs(specs));
    }
  }

  /** How the rows were split, as the bundle's manifest records it. */
  private com.google.gson.JsonObject splitRecord(Split split, ExampleSource train, ExampleSource validation) {
    com.google.gson.JsonObject o = new com.google.gson.JsonObject();
    o.addProperty("kind", split.kind());
    o.addProperty("training_rows", split.train().size());
    o.addProperty("validation_rows", split.validation().size());
    if (validation != null) {
      o.addProperty("validation_file", validation.source());
      o.addProperty("validation_sha256", sha(validation));
    } else {
      o.addProperty("fraction", config.validationFraction());
      o.addProperty("seed", config.seed());
      if (split.kind().equals("group")) {
        o.addProperty("group_column", train.columns().stream().filter(c -> c.role().equals("group"))
            .map(Dataset.ColumnProfile::name).findFirst().orElse(""));
        o.addProperty("validation_groups", split.validationGroups());
      }
    }
    return o;
  }

  private static String describe(Split split, com.google.gson.JsonObject r) {
    int t = split.train().size();
    int v = split.validation().size();
    return switch (split.kind()) {
      case "file" -> "validation: the " + v + " rows of " + r.get("validation_file").getAsString() + "; training: "
          + t + " rows";
      case "group" -> "validation: " + v + " rows (" + split.validationGroups() + " whole groups of '"
          + r.get("group_column").getAsString() + "'); training: " + t + " rows";
      default -> "validation: " + v + " random rows (" + Math.round(100 * r.get("fraction").getAsDouble())
          + "%, seed " + r.get("seed").getAsLong() + "); training: " + t + " rows";
    };
  }

  private void initialize(TrainingModel model, ModelSpec spec, Path specDir) {
    model.initializeRandom(config.seed());
    if (!spec.getBackbone().getInitCheckpoint().isEmpty()) {
      Path dir = specDir.resolve(spec.getBackbone().getInitCheckpoint());
      int loaded = PretrainedEncoder.load(model, dir);
      tell(l -> l.onNote("initialized " + loaded + " tensors from " + dir));
    }
  }

  private record Fitted(ModelSpec spec, Tokenizers tokenizers, Map<String, String> summaries) {}

  /**
   * Each input's factory fits on the training rows and puts its files and state into the bundle. The rows are read
   * as the factory iterates over them: one streaming pass per pass the factory makes, whatever the data's size.
   */
  private Fitted fitTokenizers(ModelSpec spec, ExampleSource data, List<Integer> train, Path specDir, Path bundle) {
    Map<String, io.mmfuse.api.ModalityTokenizer<?>> tokenizers = new LinkedHashMap<>();
    Map<String, String> summaries = new LinkedHashMap<>();
    ModelSpec.Builder saved = spec.toBuilder().clearInputs();
    for (InputSpec in : spec.getInputsList()) {
      TokenizerFactory factory = registry.factory(in.getModality());
      List<Object> rows = new java.util.AbstractList<>() {
        @Override
        public Object get(int k) {
          int row = train.get(k);
          try {
            return data.example(row).inputs().get(in.getName());
          } catch (InvalidInputException e) {
            data.reject(row, e);
            return null;
          }
        }

        @Override
        public int size() {
          return train.size();
        }
      };
      TokenizerFactory.Fitted f = factory.fit(new TokenizerContext(in, specDir), rows, bundle);
      tokenizers.put(in.getName(), f.tokenizer());
      summaries.put(in.getName(), in.getModality() + (f.summary().isEmpty() ? "" : ", " + f.summary()));
      saved.addInputs(f.spec());
    }
    return new Fitted(saved.build(), new Tokenizers(tokenizers), summaries);
  }

  /**
   * Training and validation rows, by index: a seeded shuffle with the first {@code fraction} held out ("random"),
   * whole groups held out ("group"), or a validation file's rows after the training rows ("file").
   */
  record Split(String kind, List<Integer> train, List<Integer> validation, int validationGroups) {
    static Split of(int n, double fraction, long seed, String source) {
      List<Integer> order = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        order.add(i);
      }
      Collections.shuffle(order, new Random(seed));
      int v = (int) Math.round(n * fraction);
      if (v >= n) {
        throw new InvalidInputException("data " + source + ": no training examples left after the split");
      }
      return new Split("random", new ArrayList<>(order.subList(v, n)), List.copyOf(order.subList(0, v)), 0);
    }

    /** Groups in a seeded order, held out until they hold {@code fraction} of the rows; no group on both sides. */
    static Split grouped(List<String> groups, double fraction, long seed, String source) {
      Map<String, List<Integer>> byGroup = new LinkedHashMap<>();
      for (int i = 0; i < groups.size(); i++) {
        byGroup.computeIfAbsent(groups.get(i), k -> new ArrayList<>()).add(i);
      }
      List<String> names = new ArrayList<>(byGroup.keySet());
      Collections.sort(names);
      Collections.shuffle(names, new Random(seed));
      long want = Math.round(groups.size() * fraction);
      List<Integer> validation = new ArrayList<>();
      List<Integer> train = new ArrayList<>();
      int held = 0;
      for (String g : names) {
        if (validation.size() < want) {
          validation.addAll(byGroup.get(g));
          held++;
        } else {
          train.addAll(byGroup.get(g));
        }
      }
      if (train.isEmpty()) {
        throw new InvalidInputException("data " + source + ": no training examples left after the split by group ("
            + names.size() + " groups)");
      }
      Collections.sort(train);
      Collections.sort(validation);
      return new Split("group", train, List.copyOf(validation), held);
    }

    /** The first {@code train} rows train, the next {@code validation} validate. */
    static Split file(int train, int validation) {
      List<Integer> t = new ArrayList<>();
      List<Integer> v = new ArrayList<>();
      for (int i = 0; i < train; i++) {
        t.add(i);
      }
      for (int i = 0; i < validation; i++) {
        v.add(train + i);
      }
      return new Split("file", t, List.copyOf(v), 0);
    }

    <T> List<T> pick(List<T> all, List<Integer> idx) {
      List<T> out = new ArrayList<>(idx.size());
      idx.forEach(i -> out.add(all.get(i)));
      return out;
    }

    float[] pick(float[] all, List<Integer> idx, int width) {
      float[] out = new float[idx.size() * width];
      for (int i = 0; i < idx.size(); i++) {
        System.arraycopy(all, idx.get(i) * width, out, i * width, width);
      }
      return out;
    }
  }

  private record Outcome(Map<String, Weight> best, int bestEpoch, int epochsRun, List<Double> losses,
      List<Double> scores, boolean paused) {}

  /** A row as the input pipeline hands it over: its tokens, its target, or why it could not be read. */
  private record Item(int row, byte[] fresh, Map<String, TokenSequence> tokens, float[] target,
      InvalidInputException error, long keyA, long keyB, String missingSide) {
    Item(int row, byte[] fresh, Map<String, TokenSequence> tokens, float[] target, InvalidInputException error) {
      this(row, fresh, tokens, target, error, 0, 0, null);
    }

    int length() {
      int n = 0;
      for (TokenSequence t : tokens.values()) {
        n += t == null ? 0 : t.length();
      }
      return n;
    }
  }

  /** Batches of rows to train on at most in one window that length buckets sort. */
  private static final int BUCKET_WINDOW = 32;

  /** The epochs of one run, over rows read and tokenized as they are needed. */
  private final class Run {
    private final FusionConfig fusion;
    private final LabelEncoder labels;
    private final Split split;
    private final ExampleSource data;
    private final Tokenizers tokenizers;
    private final InputPipeline pipeline;
    private final TokenCache cache;
    private long realTokens;
    private long slots;
    private final boolean contrastive;
    private final List<String> sideA = new ArrayList<>();
    private final List<String> sideB = new ArrayList<>();
    /** Pairs left out for a missing side, counted once each (training and validation rows alike). */
    int incomplete;
    String incompleteWhere;
    private final java.util.Set<Integer> incompleteRows = new java.util.HashSet<>();

    Run(FusionConfig fusion, LabelEncoder labels, Split split, ExampleSource data, Tokenizers tokenizers,
        InputPipeline pipeline, TokenCache cache) {
      this.fusion = fusion;
      this.labels = labels;
      this.split = split;
      this.data = data;
      this.tokenizers = tokenizers;
      this.pipeline = pipeline;
      this.cache = cache;
      this.contrastive = labels.task() == io.mmfuse.api.proto.Task.CONTRASTIVE;
      if (contrastive) {
        io.mmfuse.api.proto.HeadSpec h = labels.head("");
        sideA.addAll(h.getSideAList());
        sideB.addAll(h.getSideBList());
      }
    }

    /** A 64-bit key of a side's raw values, to tell duplicates apart; 0 when every input of the side is missing. */
    private long key(Map<String, Object> inputs, List<String> side) {
      long h = 0xcbf29ce484222325L;
      boolean any = false;
      for (String in : side) {
        Object v = inputs.get(in);
        any |= v != null;
        String text = in + "=" + v;
        for (int i = 0; i < text.length(); i++) {
          h = (h ^ text.charAt(i)) * 0x100000001b3L;
        }
      }
      return any ? (h == 0 ? 1 : h) : 0;
    }

    /** The metrics of a validation pass: retrieval recall (contrastive) or the task's metrics. */
    Map<String, Double> metrics(Predicted p) {
      if (p.rows().isEmpty()) {
        return Map.of();
      }
      if (contrastive) {
        return Metrics.retrieval(p.embeddingsA(), p.embeddingsB(), p.keyA(), p.keyB(),
            p.embeddingsA().length / p.rows().size());
      }
      return Evaluator.metrics(labels.task(), p.predictions(), p.targets(), labels.outputs());
    }

    /**
     * One row for this epoch, on a worker thread: its tokens from the cache or tokenized from the file; for training,
     * the augmenting inputs tokenized anew from a generator seeded by the run's seed, the epoch and the row (so a
     * resumed run, or one with other thread counts, sees what it would have).
     */
    Item load(int row, int epoch, boolean training) {
      try {
        Map<String, TokenSequence> base = cache != null && cache.complete() ? cache.get(row) : null;
        ExampleSource.Example ex = null;
        byte[] fresh = null;
        if (base == null) {
          ex = data.example(row);
          base = tokenizers.tokenize(ex.inputs(), data.where(row));
          // Encoded here, on the worker: the training thread only appends the bytes.
          fresh = cache != null && !cache.complete() ? cache.encode(base) : null;
        }
        Map<String, TokenSequence> tokens = base;
        if (training && tokenizers.augments()) {
          if (ex == null) {
            ex = data.example(row);
          }
          Random random = new Random((config.seed() * 1_000_003L + epoch) * 1_000_033L + row);
          tokens = tokenizers.tokenizeForTraining(ex.inputs(), base, random, data.where(row));
        }
        float[] target = new float[labels.outputs()];
        if (contrastive) {
          if (ex == null) {
            ex = data.example(row);
          }
          long a = key(ex.inputs(), sideA);
          long b = key(ex.inputs(), sideB);
          String missing = a == 0 ? "side A " + sideA : b == 0 ? "side B " + sideB : null;
          return new Item(row, fresh, tokens, target, null, a, b, missing);
        }
        labels.encode(ex != null ? ex.label() : data.label(row), target, 0, false, data.where(row));
        return new Item(row, fresh, tokens, target, null);
      } catch (InvalidInputException e) {
        return new Item(row, null, null, null, e);
      }
    }

    /** The next good row of the stream (bad ones are rejected: the run fails, or they are skipped); null at the end. */
    Item next(InputPipeline.Stream<Item> stream) {
      while (stream.hasNext()) {
        Item it = stream.next();
        if (it.error() != null) {
          data.reject(it.row(), it.error());
          continue;
        }
        if (it.fresh() != null && !cache.complete()) {
          cache.put(it.row(), it.fresh());
        }
        if (it.missingSide() != null) {
          if (incompleteRows.add(it.row())) {
            incomplete++;
            if (incompleteWhere == null) {
              incompleteWhere = data.where(it.row()) + ": " + it.missingSide() + " missing";
            }
          }
          continue;
        }
        return it;
      }
      return null;
    }

    Outcome epochs(TrainingModel model, EpochCheckpoints checkpoints) {
      List<Integer> train = split.train();
      int stepsPerEpoch = (train.size() + config.batchSize() - 1) / config.batchSize();
      int total = stepsPerEpoch * config.epochs();
      EarlyStopping stopping = new EarlyStopping(config.patience(), config.targetScore(), config.targetEpochs());
      List<TrainingListener> all = new ArrayList<>(List.of(checkpoints, stopping));
      all.addAll(listeners);
      Map<String, Weight> best = model.weights();
      int bestEpoch = -1;
      double bestScore = Double.NEGATIVE_INFINITY;
      double bestTieBreak = Double.NaN;
      int step = 0;
      int first = 1;
      Optional<EpochCheckpoints.Restored> restored = config.resume() ? checkpoints.restore(model) : Optional.empty();
      if (restored.isPresent()) {
        EpochCheckpoints.State s = restored.get().state();
        best = restored.get().best();
        first = s.epoch() + 1;
        step = s.step();
        bestEpoch = s.bestEpoch();
        bestScore = s.bestScore();
        bestTieBreak = s.bestTieBreak();
        tell(l -> l.onNote("resuming after epoch " + s.epoch() + " from " + checkpoints.dir()));
      }
      TrainingListener.Plan plan = new TrainingListener.Plan(first, config.epochs(), stepsPerEpoch, train.size(),
          split.validation().size());
      all.forEach(l -> l.onStart(plan));
      List<Double> losses = new ArrayList<>();
      List<Double> scores = new ArrayList<>();
      int epoch = first;
      for (; epoch <= config.epochs(); epoch++) {
        // One generator per epoch, so that a resumed run shuffles exactly as an uninterrupted one.
        Random random = new Random(config.seed() * 1_000_003L + epoch);
        train.sort(null);
        Collections.shuffle(train, random);
        double lossSum = 0;
        int trained = 0;
        realTokens = 0;
        slots = 0;
        int e = epoch;
        int window = config.batchSize() * (config.lengthBuckets() ? BUCKET_WINDOW : 1);
        try (InputPipeline.Stream<Item> stream = pipeline.map(train, config.batchSize(), r -> load(r, e, true))) {
          List<Item> pending = new ArrayList<>(window);
          boolean more = true;
          while (more) {
            Item it = next(stream);
            if (it != null) {
              pending.add(it);
            }
            more = it != null;
            if (pending.size() < window && more || pending.isEmpty()) {
              continue;
            }
            for (List<Item> batch : batches(pending, random)) {
              List<Map<String, TokenSequence>> seqs = new ArrayList<>(batch.size());
              float[] targets = new float[batch.size() * labels.outputs()];
              for (int j = 0; j < batch.size(); j++) {
                seqs.add(contrastive ? batch.get(j).tokens()
                    : modalityDropout(batch.get(j).tokens(), config.modalityDropout(), random));
                System.arraycopy(batch.get(j).target(), 0, targets, j * labels.outputs(), labels.outputs());
              }
              if (contrastive) {
                pairIds(batch, targets);
              }
              Map<String, io.mmfuse.fusion.session.InputFeed> feeds = Tokenizers.feeds(fusion, seqs);
              count(feeds);
              TrainingListener.InputStatus status = new TrainingListener.InputStatus(stream.ready(),
                  pipeline.depth(), pipeline.threads(), stream.waitSeconds(), padding());
              all.forEach(l -> l.onInput(status));
              float loss = model.trainStep(feeds, targets, config.learningRate(step, total),
                  (int) (config.seed() * 31 + step));
              step++;
              lossSum += loss * batch.size();
              trained += batch.size();
              int s = step;
              int n = batch.size();
              all.forEach(l -> l.onStep(e, s, loss, n));
            }
            pending.clear();
          }
        }
        if (trained == 0) {
          throw new InvalidInputException("data " + data.source() + ": every training row is bad; nothing to train"
              + " on");
        }
        double trainLoss = lossSum / trained;
        Predicted validated = predict(model, split.validation(), epoch);
        if (cache != null && !cache.complete()) {
          cache.seal();
          tell(l -> l.onNote("token cache: wrote the tokens of " + cache.cachedRows() + " rows to " + cache.dir()));
        }
        Map<String, Double> metrics = metrics(validated);
        double score = validated.rows().isEmpty() ? -trainLoss : Evaluator.score(labels.task(), metrics);
        losses.add(trainLoss);
        scores.add(score);
        double tieBreak = validated.rows().isEmpty() ? Double.NaN : Evaluator.tieBreak(labels.task(), metrics);
        boolean tieWon = Math.abs(score - bestScore) <= 1e-9 && tieBreak < bestTieBreak;
        if (score > bestScore + 1e-9 || tieWon) {
          bestScore = score;
          bestTieBreak = tieBreak;
          bestEpoch = epoch;
          best = model.weights();
        }
        TrainingListener.Epoch report = new TrainingListener.Epoch(epoch, step, trainLoss, metrics, score, bestEpoch,
            bestScore, bestTieBreak);
        TrainingListener.Decision decision = TrainingListener.Decision.CONTINUE;
        for (TrainingListener l : all) {
          TrainingListener.Decision d = l.onEpoch(report, model);
          if (d.compareTo(decision) > 0) {
            decision = d;
          }
        }
        if (decision == TrainingListener.Decision.PAUSE) {
          tell(l -> l.onNote("paused after epoch " + report.epoch() + "; resume to continue"));
          return new Outcome(best, bestEpoch, epoch, losses, scores, true);
        }
        if (decision == TrainingListener.Decision.STOP) {
          stopping.reason().ifPresent(r -> tell(l -> l.onNote(r)));
          break;
        }
      }
      return new Outcome(best, bestEpoch, Math.min(epoch, config.epochs()), losses, scores, false);
    }

    /**
     * The batches of a window of rows: in order without length buckets; with them, the rows sorted by length (ties
     * in stream order), cut into batches, and the batches shuffled.
     */
    List<List<Item>> batches(List<Item> window, Random random) {
      List<Item> rows = new ArrayList<>(window);
      if (config.lengthBuckets()) {
        rows.sort(java.util.Comparator.comparingInt(Item::length));
      }
      List<List<Item>> out = new ArrayList<>();
      for (int b = 0; b < rows.size(); b += config.batchSize()) {
        out.add(rows.subList(b, Math.min(rows.size(), b + config.batchSize())));
      }
      if (config.lengthBuckets()) {
        Collections.shuffle(out, random);
      }
      return out;
    }

    /** Per row of a contrastive batch: the first row with the same side A, and with the same side B. */
    private void pairIds(List<Item> batch, float[] targets) {
      for (int j = 0; j < batch.size(); j++) {
        int a = j;
        int b = j;
        for (int k = 0; k < j; k++) {
          if (a == j && batch.get(k).keyA() == batch.get(j).keyA()) {
            a = k;
          }
          if (b == j && batch.get(k).keyB() == batch.get(j).keyB()) {
            b = k;
          }
        }
        targets[2 * j] = a;
        targets[2 * j + 1] = b;
      }
    }

    private void count(Map<String, io.mmfuse.fusion.session.InputFeed> feeds) {
      for (io.mmfuse.fusion.session.InputFeed f : feeds.values()) {
        float[] mask = f.mask();
        slots += mask.length;
        for (float m : mask) {
          realTokens += m > 0 ? 1 : 0;
        }
      }
    }

    private double padding() {
      return slots == 0 ? 0 : 1 - (double) realTokens / slots;
    }

    /** Predictions on the good rows among {@code rows}, with their targets. */
    record Predicted(List<Integer> rows, float[] predictions, float[] targets, float[] embeddingsA,
        float[] embeddingsB, long[] keyA, long[] keyB) {}

    /** Predictions on the given rows, in order, in batches of 64 (bad rows rejected, or skipped). */
    Predicted predict(TrainingModel model, List<Integer> rows, int epoch) {
      List<Integer> good = new ArrayList<>(rows.size());
      int w = contrastive ? 1 : labels.outputs();
      int t = labels.outputs();
      float[] predictions = new float[rows.size() * w];
      float[] targets = new float[rows.size() * t];
      List<float[]> za = new ArrayList<>();
      List<float[]> zb = new ArrayList<>();
      long[] keyA = new long[rows.size()];
      long[] keyB = new long[rows.size()];
      try (InputPipeline.Stream<Item> stream = pipeline.map(rows, 64, r -> load(r, epoch, false))) {
        List<Item> batch = new ArrayList<>(64);
        boolean more = true;
        while (more) {
          Item it = next(stream);
          if (it != null) {
            batch.add(it);
          }
          more = it != null;
          if (batch.size() < 64 && more || batch.isEmpty()) {
            continue;
          }
          List<Map<String, TokenSequence>> seqs = new ArrayList<>(batch.size());
          batch.forEach(b -> seqs.add(b.tokens()));
          Map<String, io.mmfuse.fusion.session.InputFeed> feeds = Tokenizers.feeds(fusion, seqs);
          float[] p;
          if (contrastive) {
            List<float[]> out = model.outputs(feeds, io.mmfuse.fusion.graph.Names.PREDICTIONS,
                io.mmfuse.fusion.graph.Names.EMBEDDINGS, io.mmfuse.fusion.graph.Names.EMBEDDINGS_B);
            p = out.get(0);
            za.add(out.get(1));
            zb.add(out.get(2));
          } else {
            p = model.predict(feeds);
          }
          System.arraycopy(p, 0, predictions, good.size() * w, p.length);
          for (Item b : batch) {
            System.arraycopy(b.target(), 0, targets, good.size() * t, t);
            keyA[good.size()] = b.keyA();
            keyB[good.size()] = b.keyB();
            good.add(b.row());
          }
          batch.clear();
        }
      }
      return new Predicted(good, java.util.Arrays.copyOf(predictions, good.size() * w),
          java.util.Arrays.copyOf(targets, good.size() * t), concat(za), concat(zb),
          java.util.Arrays.copyOf(keyA, good.size()), java.util.Arrays.copyOf(keyB, good.size()));
    }

    private static float[] concat(List<float[]> parts) {
      int n = 0;
      for (float[] p : parts) {
        n += p.length;
      }
      float[] out = new float[n];
      int at = 0;
      for (float[] p : parts) {
        System.arraycopy(p, 0, out, at, p.length);
        at += p.length;
      }
      return out;
    }
  }

  private static Map<String, TokenSequence> modalityDropout(Map<String, TokenSequence> ex, float p, Random r) {
    if (p <= 0 || ex.size() < 2) {
      return ex;
    }
    Map<String, TokenSequence> out = new LinkedHashMap<>(ex);
    for (String k : ex.keySet()) {
      if (r.nextFloat() < p && out.values().stream().filter(v -> v != null).count() > 1) {
        out.put(k, null);
      }
    }
    return out;
  }
}
