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

  /** Trains and writes the bundle to {@code out}; {@code specDir} resolves relative file names in the spec. */
  public Result fit(ModelSpec specIn, Dataset data, Path specDir, Path out) {
    long start = System.nanoTime();
    ModelSpec spec = ModelSpecs.withDefaults(specIn.getInputsCount() == 0
        ? specIn.toBuilder().addAllInputs(data.inputs()).build() : specIn);
    Split split = Split.of(data.examples().size(), config.validationFraction(), config.seed(), data.source());
    LabelEncoder labels = LabelEncoder.fit(spec.getHead(), split.pick(data.labels(), split.train()), data.source());
    String labelColumn = data.labelColumn().isEmpty() ? spec.getHead().getLabelColumn() : data.labelColumn();
    spec = spec.toBuilder().setHead(labels.head(labelColumn)).build();
    try (BundleWriter bundle = BundleWriter.create(out)) {
      Fitted fitted = fitTokenizers(spec, data, split.train(), specDir, bundle.directory());
      spec = fitted.spec();
      List<Map<String, TokenSequence>> sequences = new ArrayList<>(data.examples().size());
      for (int i = 0; i < data.examples().size(); i++) {
        sequences.add(fitted.tokenizers().tokenize(data.examples().get(i), "data " + data.source() + ", example "
            + (i + 1)));
      }
      FusionConfig fusion = ModelSpecs.fusionConfig(spec, fitted.tokenizers().spaces(),
          FusionStrategies.of(registry));
      float[] targets = labels.encodeAll(data.labels(), false, data.source());
      Run run = new Run(fusion, sequences, targets, labels, split);
      TensorFlowRuntime.Placement placement = TensorFlowRuntime.place(RuntimeOptions.fromSpec(spec.getRuntime()));
      placement.warning().ifPresent(w -> tell(l -> l.onNote(w)));
      try (TrainingModel model = TrainingModel.create(fusion, labels.task(), labels.outputs(),
          AdamW.of(config.weightDecay(), config.clipNorm()), placement.config())) {
        initialize(model, spec, specDir);
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
        bundle.commit(spec, provenance(data));
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

  private Provenance provenance(Dataset data) {
    String sha;
    try {
      sha = data.file() == null ? "" : Checksums.sha256(data.file());
    } catch (IOException e) {
      throw new InvalidInputException("data " + data.source() + ": cannot be read to hash it: " + e, e);
    }
    return Provenance.of(config.toJson(), config.seed(), data.source(), sha);
  }

  private void initialize(TrainingModel model, ModelSpec spec, Path specDir) {
    model.initializeRandom(config.seed());
    if (!spec.getBackbone().getInitCheckpoint().isEmpty()) {
      Path dir = specDir.resolve(spec.getBackbone().getInitCheckpoint());
      int loaded = PretrainedEncoder.load(model, dir);
      tell(l -> l.onNote("initialized " + loaded + " tensors from " + dir));
    }
  }

  private record Fitted(ModelSpec spec, Tokenizers tokenizers) {}

  /** Each input's factory fits on the training rows and puts its files and state into the bundle. */
  private Fitted fitTokenizers(ModelSpec spec, Dataset data, List<Integer> train, Path specDir, Path bundle) {
    Map<String, io.mmfuse.api.ModalityTokenizer<?>> tokenizers = new LinkedHashMap<>();
    ModelSpec.Builder saved = spec.toBuilder().clearInputs();
    for (InputSpec in : spec.getInputsList()) {
      TokenizerFactory factory = registry.factory(in.getModality());
      List<Object> rows = new ArrayList<>(train.size());
      for (int i : train) {
        rows.add(data.examples().get(i).get(in.getName()));
      }
      TokenizerFactory.Fitted f = factory.fit(new TokenizerContext(in, specDir), rows, bundle);
      tokenizers.put(in.getName(), f.tokenizer());
      saved.addInputs(f.spec());
    }
    return new Fitted(saved.build(), new Tokenizers(tokenizers));
  }

  /** Training and validation rows, by index: a seeded shuffle, the first {@code fraction} held out. */
  record Split(List<Integer> train, List<Integer> validation) {
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
      return new Split(new ArrayList<>(order.subList(v, n)), List.copyOf(order.subList(0, v)));
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

    Run(FusionConfig fusion, List<Map<String, TokenSequence>> sequences, float[] targets, LabelEncoder labels,
        Split split) {
      this.fusion = fusion;
      this.sequences = sequences;
      this.targets = targets;
      this.labels = labels;
      this.split = split;
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
          List<Map<String, TokenSequence>> batch = new ArrayList<>();
          for (int i : idx) {
            batch.add(modalityDropout(sequences.get(i), config.modalityDropout(), random));
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
