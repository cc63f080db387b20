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
import io.mmfuse.fusion.data.Dataset;
import io.mmfuse.fusion.data.Tokenizers;
import io.mmfuse.fusion.graph.FusionConfig;
import io.mmfuse.fusion.graph.FusionGraph;
import io.mmfuse.fusion.graph.FusionStrategies;
import io.mmfuse.fusion.graph.ModelSpecs;
import io.mmfuse.fusion.graph.Weight;
import io.mmfuse.fusion.internal.Checksums;
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
 * Trains a fused model on a {@link Dataset} and writes the best epoch as a model bundle: splits the rows, fits the
 * tokenizers on the training split only, tokenizes once, then epochs of shuffled batches (padded to the longest
 * sequence of each batch) with AdamW, warmup and a linear or cosine schedule, dropout and optional modality dropout.
 * Progress, epoch checkpoints and early stopping are {@link TrainingListener}s. Deterministic under a seed.
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
  public Result fit(ModelSpec specIn, Dataset data, Path specDir, Path out) {
    return fit(specIn, data, null, specDir, out);
  }

  /**
   * Trains on {@code data} and validates on {@code validation}, a data set of its own (read with {@code data}'s
   * inputs, {@link Dataset#inputSpec()}); a null {@code validation} splits {@code data} as {@link #fit(ModelSpec,
   * Dataset, Path, Path)} does.
   */
  public Result fit(ModelSpec specIn, Dataset trainingData, Dataset validation, Path specDir, Path out) {
    long start = System.nanoTime();
    ModelSpec spec = ModelSpecs.withDefaults(specIn.getInputsCount() == 0
        ? specIn.toBuilder().addAllInputs(trainingData.inputs()).build() : specIn);
    Dataset data = validation == null ? trainingData : joined(trainingData, validation);
    Split split = validation == null
        ? trainingData.groups().isEmpty()
            ? Split.of(data.examples().size(), config.validationFraction(), config.seed(), data.source())
            : Split.grouped(trainingData.groups(), config.validationFraction(), config.seed(), data.source())
        : Split.file(trainingData.examples().size(), validation.examples().size());
    com.google.gson.JsonObject splitRecord = splitRecord(split, trainingData, validation);
    tell(l -> l.onNote(describe(split, splitRecord)));
    data.sharedAcrossSplit(split.train(), split.validation()).forEach((column, share) -> tell(l -> l.onNote(
        String.format(java.util.Locale.ROOT, "warning: %.0f%% of the validation rows share their '%s' with a"
            + " training row: the same thing on both sides of the split makes validation look better than it"
            + " is; split by it with --group %s (or give --validation FILE)", 100 * share, column, column))));
    LabelEncoder labels = LabelEncoder.fit(spec.getHead(), split.pick(data.labels(), split.train()), data.source());
    String labelColumn = data.labelColumn().isEmpty() ? spec.getHead().getLabelColumn() : data.labelColumn();
    spec = spec.toBuilder().setHead(labels.head(labelColumn)).build();
    try (BundleWriter bundle = BundleWriter.create(out)) {
      Fitted fitted = fitTokenizers(spec, data, split.train(), specDir, bundle.directory());
      spec = fitted.spec();
      fitted.summaries().forEach((input, summary) -> tell(l -> l.onNote("input '" + input + "': " + summary)));
      List<Map<String, TokenSequence>> sequences = new ArrayList<>(data.examples().size());
      for (int i = 0; i < data.examples().size(); i++) {
        sequences.add(fitted.tokenizers().tokenize(data.examples().get(i), "data " + data.source() + ", example "
            + (i + 1)));
      }
      FusionConfig fusion = ModelSpecs.fusionConfig(spec, fitted.tokenizers().spaces(),
          FusionStrategies.of(registry));
      float[] targets = labels.encodeAll(data.labels(), false, data.source());
      Run run = new Run(fusion, sequences, targets, labels, split, data, fitted.tokenizers());
      TensorFlowRuntime.Placement placement = TensorFlowRuntime.place(RuntimeOptions.fromSpec(spec.getRuntime()));
      placement.warning().ifPresent(w -> tell(l -> l.onNote(w)));
      try (TrainingModel model = TrainingModel.create(fusion, labels.task(), labels.outputs(),
          AdamW.of(config.weightDecay(), config.clipNorm()), placement.config())) {
        initialize(model, spec, specDir);
        // Counted from the graph's shapes: reading the weights out of the session would copy every one.
        long count = model.graph().parameters().values().stream().mapToLong(FusionGraph.Parameter::size).sum();
        io.mmfuse.api.proto.BackboneSpec b = spec.getBackbone();
        tell(l -> l.onNote(String.format(java.util.Locale.ROOT, "model: %,d parameters; backbone width %d, %d"
            + " layers, %d heads, feed-forward %d, fusion %s, dropout %.2f; %s, %d classes/outputs; batch %d, lr %.0e,"
            + " at most %d epochs, patience %d", count, b.getWidth(), b.getLayers(), b.getHeads(), b.getFfnWidth(),
            b.getFusion().isEmpty() ? "concat" : b.getFusion(), b.getDropout(), labels.task(), labels.outputs(),
            config.batchSize(), config.learningRate(), config.epochs(), config.patience())));
        EpochCheckpoints checkpoints = new EpochCheckpoints(out);
        Outcome o = run.epochs(model, checkpoints);
        if (o.paused()) {
          return new Result(spec, Map.of(), o.bestEpoch(), o.epochsRun(), seconds(start), o.losses(), o.scores(),
              split.validation(), new float[0], false);
        }
        model.load(o.best(), "best epoch");
        float[] predictions = run.predict(model, split.validation());
        Map<String, Double> metrics = split.validation().isEmpty() ? Map.of() : Evaluator.metrics(labels.task(),
            predictions, split.pick(targets, split.validation(), labels.outputs()), labels.outputs());
        model.exportTo(bundle);
        bundle.commit(spec, provenance(trainingData, splitRecord));
        checkpoints.delete();
        return new Result(spec, metrics, o.bestEpoch(), o.epochsRun(), seconds(start), o.losses(), o.scores(),
            split.validation(), predictions, true);
      }
    }
  }

  private static double seconds(long start) {
    return (System.nanoTime() - start) / 1e9;
  }

  private void tell(java.util.function.Consumer<TrainingListener> event) {
    listeners.forEach(event);
  }

  private Provenance provenance(Dataset data, com.google.gson.JsonObject split) {
    return Provenance.of(config.toJson(), config.seed(), data.source(), sha(data), split);
  }

  private static String sha(Dataset data) {
    try {
      return data.file() == null ? "" : Checksums.sha256(data.file());
    } catch (IOException e) {
      throw new InvalidInputException("data " + data.source() + ": cannot be read to hash it: " + e, e);
    }
  }

  /** The training rows followed by the validation rows, as one data set. */
  private static Dataset joined(Dataset train, Dataset validation) {
    List<Map<String, Object>> examples = new ArrayList<>(train.examples());
    examples.addAll(validation.examples());
    List<String> labels = new ArrayList<>(train.labels());
    labels.addAll(validation.labels());
    return new Dataset(train.source() + " + " + validation.source(), train.file(), train.labelColumn(),
        train.inputs(), examples, labels, List.of(), train.columns());
  }

  /** How the rows were split, as the bundle's manifest records it. */
  private com.google.gson.JsonObject splitRecord(Split split, Dataset train, Dataset validation) {
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

  /** Each input's factory fits on the training rows and puts its files and state into the bundle. */
  private Fitted fitTokenizers(ModelSpec spec, Dataset data, List<Integer> train, Path specDir, Path bundle) {
    Map<String, io.mmfuse.api.ModalityTokenizer<?>> tokenizers = new LinkedHashMap<>();
    Map<String, String> summaries = new LinkedHashMap<>();
    ModelSpec.Builder saved = spec.toBuilder().clearInputs();
    for (InputSpec in : spec.getInputsList()) {
      TokenizerFactory factory = registry.factory(in.getModality());
      List<Object> rows = new ArrayList<>(train.size());
      for (int i : train) {
        rows.add(data.examples().get(i).get(in.getName()));
      }
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

  /** The epochs of one run over tokenized rows. */
  private final class Run {
    private final FusionConfig fusion;
    private final List<Map<String, TokenSequence>> sequences;
    private final float[] targets;
    private final LabelEncoder labels;
    private final Split split;
    private final Dataset data;
    private final Tokenizers tokenizers;

    Run(FusionConfig fusion, List<Map<String, TokenSequence>> sequences, float[] targets, LabelEncoder labels,
        Split split, Dataset data, Tokenizers tokenizers) {
      this.fusion = fusion;
      this.sequences = sequences;
      this.targets = targets;
      this.labels = labels;
      this.split = split;
      this.data = data;
      this.tokenizers = tokenizers;
    }

    /**
     * A training example's sequences for this epoch: the cached ones, with the augmenting inputs tokenized anew from
     * a generator seeded by the run's seed, the epoch and the row (so a resumed run sees what it would have).
     */
    Map<String, TokenSequence> augmented(int row, int epoch) {
      if (!tokenizers.augments()) {
        return sequences.get(row);
      }
      Random random = new Random((config.seed() * 1_000_003L + epoch) * 1_000_033L + row);
      return tokenizers.tokenizeForTraining(data.examples().get(row), sequences.get(row), random,
          "data " + data.source() + ", example " + (row + 1));
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
        for (int b = 0; b < train.size(); b += config.batchSize()) {
          List<Integer> idx = train.subList(b, Math.min(train.size(), b + config.batchSize()));
          List<Map<String, TokenSequence>> batch = augmentedBatch(idx, epoch);
          for (int j = 0; j < batch.size(); j++) {
            batch.set(j, modalityDropout(batch.get(j), config.modalityDropout(), random));
          }
          float loss = model.trainStep(Tokenizers.feeds(fusion, batch), split.pick(targets, idx, labels.outputs()),
              config.learningRate(step, total), (int) (config.seed() * 31 + step));
          step++;
          lossSum += loss * idx.size();
          int e = epoch;
          int s = step;
          all.forEach(l -> l.onStep(e, s, loss, idx.size()));
        }
        double trainLoss = lossSum / train.size();
        Map<String, Double> metrics = split.validation().isEmpty() ? Map.of() : Evaluator.metrics(labels.task(),
            predict(model, split.validation()), split.pick(targets, split.validation(), labels.outputs()),
            labels.outputs());
        double score = split.validation().isEmpty() ? -trainLoss : Evaluator.score(labels.task(), metrics);
        losses.add(trainLoss);
        scores.add(score);
        double tieBreak = split.validation().isEmpty() ? Double.NaN : Evaluator.tieBreak(labels.task(), metrics);
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

    /** A batch's sequences, augmented on the common pool's threads (each row's draws are its own). */
    List<Map<String, TokenSequence>> augmentedBatch(List<Integer> idx, int epoch) {
      List<Map<String, TokenSequence>> batch = new ArrayList<>(idx.size());
      if (!tokenizers.augments()) {
        idx.forEach(i -> batch.add(sequences.get(i)));
        return batch;
      }
      @SuppressWarnings("unchecked")
      Map<String, TokenSequence>[] out = new Map[idx.size()];
      java.util.stream.IntStream.range(0, idx.size()).parallel().forEach(j -> out[j] = augmented(idx.get(j), epoch));
      batch.addAll(java.util.Arrays.asList(out));
      return batch;
    }

    /** Predictions on the given rows, in batches of 64. */
    float[] predict(TrainingModel model, List<Integer> idx) {
      float[] out = new float[idx.size() * labels.outputs()];
      for (int b = 0; b < idx.size(); b += 64) {
        List<Map<String, TokenSequence>> batch = new ArrayList<>();
        for (int i = b; i < Math.min(idx.size(), b + 64); i++) {
          batch.add(sequences.get(idx.get(i)));
        }
        float[] p = model.predict(Tokenizers.feeds(fusion, batch));
        System.arraycopy(p, 0, out, b * labels.outputs(), p.length);
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
