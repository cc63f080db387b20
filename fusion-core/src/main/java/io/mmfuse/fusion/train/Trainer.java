package io.mmfuse.fusion.train;

import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.ModalityTokenizer;
import io.mmfuse.api.TokenSequence;
import io.mmfuse.api.TokenizerContext;
import io.mmfuse.api.TokenizerFactory;
import io.mmfuse.api.plugin.ModalityRegistry;
import io.mmfuse.api.proto.HeadSpec;
import io.mmfuse.api.proto.InputSpec;
import io.mmfuse.api.proto.ModelSpec;
import io.mmfuse.api.proto.Task;
import io.mmfuse.fusion.FusionConfig;
import io.mmfuse.fusion.InputFeed;
import io.mmfuse.fusion.TaskModel;
import io.mmfuse.fusion.Weight;
import io.mmfuse.runtime.RuntimeOptions;
import io.mmfuse.runtime.TensorFlowRuntime;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

/**
 * Trains a fused model on a {@link Dataset}: fits the tokenizers on the training split only, tokenizes once, then
 * epochs of shuffled batches (padded to the longest sequence in the batch) with AdamW, a warmup then linear or
 * cosine learning-rate schedule, dropout, optional modality dropout, and early stopping on the validation metric.
 * The best epoch's weights are written as a {@link ModelBundle}. Deterministic under a seed on one thread.
 */
public final class Trainer {

  /** Training settings. */
  public record Options(int epochs, int batchSize, float learningRate, float warmupFraction, boolean cosine,
      float weightDecay, float clipNorm, long seed, double validationFraction, int patience, float modalityDropout,
      boolean resume, int pauseAfterEpoch) {
    public Options(int epochs, int batchSize, float learningRate, float warmupFraction, boolean cosine,
        float weightDecay, float clipNorm, long seed, double validationFraction, int patience, float modalityDropout) {
      this(epochs, batchSize, learningRate, warmupFraction, cosine, weightDecay, clipNorm, seed, validationFraction,
          patience, modalityDropout, false, 0);
    }

    public static Options defaults() {
      return new Options(30, 32, 1e-3f, 0.1f, false, 0.01f, 1.0f, 42, 0.25, 6, 0f);
    }

    /** Continue from the last epoch checkpoint beside the output, if there is one. */
    public Options withResume(boolean r) {
      return new Options(epochs, batchSize, learningRate, warmupFraction, cosine, weightDecay, clipNorm, seed,
          validationFraction, patience, modalityDropout, r, pauseAfterEpoch);
    }

    /**
     * Stop after this epoch as if interrupted, keeping the checkpoint and writing no bundle (0: run to the end);
     * a later run with {@code resume} continues exactly where this one stopped.
     */
    public Options withPauseAfterEpoch(int e) {
      return new Options(epochs, batchSize, learningRate, warmupFraction, cosine, weightDecay, clipNorm, seed,
          validationFraction, patience, modalityDropout, resume, e);
    }

    public Options withEpochs(int e) {
      return new Options(e, batchSize, learningRate, warmupFraction, cosine, weightDecay, clipNorm, seed,
          validationFraction, patience, modalityDropout, resume, pauseAfterEpoch);
    }

    public Options withLearningRate(float lr) {
      return new Options(epochs, batchSize, lr, warmupFraction, cosine, weightDecay, clipNorm, seed,
          validationFraction, patience, modalityDropout, resume, pauseAfterEpoch);
    }

    public Options withModalityDropout(float p) {
      return new Options(epochs, batchSize, learningRate, warmupFraction, cosine, weightDecay, clipNorm, seed,
          validationFraction, patience, p, resume, pauseAfterEpoch);
    }

    public Options withBatchSize(int b) {
      return new Options(epochs, b, learningRate, warmupFraction, cosine, weightDecay, clipNorm, seed,
          validationFraction, patience, modalityDropout, resume, pauseAfterEpoch);
    }
  }

  /** What training produced. */
  public record Result(ModelSpec spec, Map<String, Double> validation, int bestEpoch, int epochsRun, double seconds,
      List<Double> trainLoss, List<Double> validationScore, List<Integer> validationExamples,
      float[] validationPredictions) {}

  private Trainer() {}

  /**
   * Trains and writes the bundle to {@code out}. {@code specDir} resolves relative file names in the spec.
   */
  public static Result train(ModelSpec specIn, Dataset data, Options opt, Path specDir, Path out,
      ModalityRegistry registry, PrintStream log) {
    return train(specIn, data, null, opt, specDir, out, registry, log);
  }

  /** Trains, recording {@code labelColumn} in the bundle's spec. */
  public static Result train(ModelSpec specIn, Dataset data, String labelColumn, Options opt, Path specDir, Path out,
      ModalityRegistry registry, PrintStream log) {
    long start = System.nanoTime();
    ModelSpec spec = ModelSpecs.withDefaults(specIn);
    // Inputs: the spec's when it names them, else those the data set inferred.
    if (spec.getInputsCount() == 0) {
      spec = spec.toBuilder().addAllInputs(data.inputs()).build();
    }
    // Split.
    int n = data.examples().size();
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      order.add(i);
    }
    Collections.shuffle(order, new Random(opt.seed()));
    int valCount = (int) Math.round(n * opt.validationFraction());
    List<Integer> val = order.subList(0, valCount);
    List<Integer> train = new ArrayList<>(order.subList(valCount, n));
    if (train.isEmpty()) {
      throw new InvalidInputException("data " + data.source() + ": no training examples left after the split");
    }
    // Head.
    List<String> classes = new ArrayList<>(spec.getHead().getClassesList());
    Task task = spec.getHead().getTask() == Task.TASK_UNSPECIFIED ? Task.CLASSIFICATION : spec.getHead().getTask();
    if (task != Task.REGRESSION && classes.isEmpty()) {
      TreeSet<String> seen = new TreeSet<>();
      for (int i : train) {
        seen.addAll(labelsOf(data.labels().get(i), task));
      }
      classes.addAll(seen);
    }
    if (task != Task.REGRESSION && classes.size() < 2) {
      throw new InvalidInputException("data " + data.source() + ": labels have " + classes.size()
          + " class(es); classification needs at least 2");
    }
    spec = spec.toBuilder().setHead(HeadSpec.newBuilder().setTask(task).addAllClasses(task == Task.REGRESSION
        ? List.of() : classes).setOutputs(spec.getHead().getOutputs())
        .setLabelColumn(labelColumn == null ? spec.getHead().getLabelColumn() : labelColumn)).build();

    Path staging = ModelBundle.staging(out);
    boolean committed = false;
    try {
      // Fit tokenizers on the training split only; copy tokenizer files into the bundle.
      Map<String, ModalityTokenizer<?>> tokenizers = new LinkedHashMap<>();
      ModelSpec.Builder saved = spec.toBuilder().clearInputs();
      for (InputSpec in : spec.getInputsList()) {
        TokenizerFactory factory = registry.factory(in.getModality());
        InputSpec local = copyFiles(in, specDir, staging);
        List<Object> trainingInputs = new ArrayList<>();
        for (int i : train) {
          trainingInputs.add(data.examples().get(i).get(in.getName()));
        }
        TokenizerFactory.Fitted fitted =
            factory.fit(new TokenizerContext(local, staging), trainingInputs, staging);
        tokenizers.put(in.getName(), fitted.tokenizer());
        saved.addInputs(fitted.spec());
      }
      spec = saved.build();
      Tokenizers toks = new Tokenizers(tokenizers);
      List<Map<String, TokenSequence>> sequences = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        sequences.add(toks.tokenize(data.examples().get(i), "data " + data.source() + ", example " + (i + 1)));
      }
      FusionConfig config = ModelSpecs.fusionConfig(spec, toks.spaces());
      int outputs = task == Task.REGRESSION ? Math.max(1, spec.getHead().getOutputs()) : classes.size();
      float[] targets = targets(data.labels(), task, classes, outputs, data.source());
      TaskModel.Optimizer optimizer =
          new TaskModel.Optimizer(0.9f, 0.999f, 1e-8f, opt.weightDecay(), opt.clipNorm());
      List<Double> losses = new ArrayList<>();
      List<Double> scores = new ArrayList<>();
      Map<String, Double> bestMetrics = Map.of();
      int bestEpoch = -1;
      double bestScore = Double.NEGATIVE_INFINITY;
      int epochsRun = 0;
      float[] valPredictions;
      RuntimeOptions runtime = RuntimeOptions.fromSpec(spec.getRuntime());
      TensorFlowRuntime.Placement placement = TensorFlowRuntime.place(runtime);
      if (log != null) {
        placement.warning().ifPresent(log::println);
      }
      try (TaskModel model =
          TaskModel.create(config, ModelSpecs.task(spec), outputs, optimizer, placement.config())) {
        model.initializeRandom(opt.seed());
        if (!spec.getBackbone().getInitCheckpoint().isEmpty()) {
          Path ckptDir = specDir.resolve(spec.getBackbone().getInitCheckpoint());
          int loaded = initFrom(model, ckptDir, spec);
          if (log != null) {
            log.println("initialized " + loaded + " tensors from " + ckptDir);
          }
        }
        Map<String, Weight> best = model.weights();
        int stepsPerEpoch = (train.size() + opt.batchSize() - 1) / opt.batchSize();
        int totalSteps = stepsPerEpoch * opt.epochs();
        int warmup = Math.max(1, Math.round(totalSteps * opt.warmupFraction()));
        int step = 0;
        Progress progress = new Progress(log, totalSteps);
        int sinceBest = 0;
        int firstEpoch = 1;
        Path ckpt = checkpointDir(out);
        if (opt.resume() && Files.isRegularFile(ckpt.resolve("state.properties"))) {
          java.util.Properties state = new java.util.Properties();
          try (var in = Files.newInputStream(ckpt.resolve("state.properties"))) {
            state.load(in);
          } catch (IOException e) {
            throw new io.mmfuse.api.CheckpointException("checkpoint " + ckpt + ": cannot be read: " + e, e);
          }
          model.restoreCheckpoint(ckpt.resolve("best"));
          best = model.weights();
          model.restoreCheckpoint(ckpt.resolve("last"));
          firstEpoch = Integer.parseInt(state.getProperty("epoch")) + 1;
          step = Integer.parseInt(state.getProperty("step"));
          bestEpoch = Integer.parseInt(state.getProperty("bestEpoch"));
          bestScore = Double.parseDouble(state.getProperty("bestScore"));
          sinceBest = Integer.parseInt(state.getProperty("sinceBest"));
          progress.note("resuming after epoch " + (firstEpoch - 1) + " from " + ckpt);
        }
        for (int epoch = firstEpoch; epoch <= opt.epochs(); epoch++) {
          // One generator per epoch, so that a resumed run shuffles exactly as an uninterrupted one.
          Random random = new Random(opt.seed() * 1_000_003L + epoch);
          train.sort(null);
          Collections.shuffle(train, random);
          double lossSum = 0;
          for (int b = 0; b < train.size(); b += opt.batchSize()) {
            List<Integer> idx = train.subList(b, Math.min(train.size(), b + opt.batchSize()));
            List<Map<String, TokenSequence>> batch = new ArrayList<>();
            for (int i : idx) {
              batch.add(modalityDropout(sequences.get(i), opt.modalityDropout(), random));
            }
            float lr = schedule(step, warmup, totalSteps, opt);
            float l = model.trainStep(Tokenizers.feeds(config, batch), slice(targets, idx, outputs), lr,
                (int) (opt.seed() * 31 + step));
            step++;
            lossSum += l * idx.size();
            progress.step(l, idx.size(), epoch);
          }
          double trainLoss = lossSum / train.size();
          losses.add(trainLoss);
          epochsRun = epoch;
          Map<String, Double> metrics =
              val.isEmpty() ? Map.of() : evaluate(model, config, sequences, val, targets, task, outputs, classes);
          double score = val.isEmpty() ? -trainLoss
              : task == Task.REGRESSION ? -metrics.get("rmse") : metrics.get("accuracy");
          scores.add(score);
          progress.epoch(epoch, opt.epochs(), trainLoss, metrics);
          boolean improved = score > bestScore + 1e-9;
          if (improved) {
            bestScore = score;
            bestEpoch = epoch;
            bestMetrics = metrics;
            best = model.weights();
            sinceBest = 0;
          } else {
            sinceBest++;
          }
          checkpoint(model, ckpt, improved, epoch, step, bestEpoch, bestScore, sinceBest);
          if (sinceBest >= opt.patience()) {
            progress.note("early stopping: no better validation score for " + opt.patience() + " epochs");
            break;
          }
          if (epoch == opt.pauseAfterEpoch()) {
            progress.note("paused after epoch " + epoch + "; resume to continue");
            return new Result(spec, Map.of(), bestEpoch, epoch, (System.nanoTime() - start) / 1e9, losses, scores,
                List.copyOf(val), new float[0]);
          }
        }
        model.load(best, "best epoch");
        valPredictions = predict(model, config, sequences, val, outputs);
        if (!val.isEmpty()) {
          bestMetrics = evaluate(model, config, sequences, val, targets, task, outputs, classes);
        }
        model.exportSavedModel(staging.resolve(ModelBundle.SAVED_MODEL));
      }
      ModelBundle.commit(staging, spec, out);
      committed = true;
      return new Result(spec, bestMetrics, bestEpoch, epochsRun, (System.nanoTime() - start) / 1e9, losses, scores,
          List.copyOf(val), valPredictions);
    } finally {
      if (!committed) {
        ModelBundle.deleteTree(staging);
      }
    }
  }

  /**
   * Loads a Hugging Face checkpoint's encoder (and pooler) and its text or image embeddings into the spec's input of
   * that modality; returns how many tensors were loaded. Modality-type embeddings are taken only when their shape
   * fits. Fails when nothing fits or a shape differs, naming the tensor.
   */
  static int initFrom(TaskModel model, Path dir, ModelSpec spec) {
    io.mmfuse.fusion.HfCheckpoints.Imported imported = io.mmfuse.fusion.HfCheckpoints.read(dir);
    Map<String, String> inputFor = new LinkedHashMap<>();
    for (InputSpec in : spec.getInputsList()) {
      inputFor.putIfAbsent(in.getModality(), in.getName());
    }
    Map<String, Weight> mapped = new LinkedHashMap<>();
    for (Map.Entry<String, Weight> e : imported.weights().entrySet()) {
      String name = e.getKey();
      for (String modality : List.of("text", "image")) {
        String prefix = "embed/" + modality + "/";
        if (name.startsWith(prefix)) {
          String target = inputFor.get(modality);
          name = target == null ? null : "embed/" + target + "/" + name.substring(prefix.length());
        }
      }
      if (name == null) {
        continue;
      }
      var p = model.graph().parameters().get(name);
      if (name.equals("embed/modality_types") && (p == null || !java.util.Arrays.equals(p.shape(),
          e.getValue().shape()))) {
        continue;
      }
      if (p != null) {
        mapped.put(name, e.getValue());
      }
    }
    if (mapped.isEmpty()) {
      throw new io.mmfuse.api.CheckpointException("checkpoint " + dir + ": none of its tensors fits the model");
    }
    model.loadPartial(mapped, "checkpoint " + dir);
    return mapped.size();
  }

  /** Where epoch checkpoints of a training run writing {@code out} are kept until the bundle is written. */
  public static Path checkpointDir(Path out) {
    return out.toAbsolutePath().resolveSibling(out.getFileName() + ".training");
  }

  private static void checkpoint(TaskModel model, Path dir, boolean improved, int epoch, int step, int bestEpoch,
      double bestScore, int sinceBest) {
    try {
      Files.createDirectories(dir);
      model.saveCheckpoint(dir.resolve("last"));
      if (improved) {
        model.saveCheckpoint(dir.resolve("best"));
      }
      java.util.Properties state = new java.util.Properties();
      state.setProperty("epoch", Integer.toString(epoch));
      state.setProperty("step", Integer.toString(step));
      state.setProperty("bestEpoch", Integer.toString(bestEpoch));
      state.setProperty("bestScore", Double.toString(bestScore));
      state.setProperty("sinceBest", Integer.toString(sinceBest));
      Path tmp = dir.resolve("state.properties.tmp");
      try (var o = Files.newOutputStream(tmp)) {
        state.store(o, "mmfuse training state");
      }
      Files.move(tmp, dir.resolve("state.properties"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new io.mmfuse.api.CheckpointException("checkpoint " + dir + ": cannot be written: " + e, e);
    }
  }

  /** Warmup to the peak rate, then linear or cosine decay to zero. */
  static float schedule(int step, int warmup, int total, Options opt) {
    if (step < warmup) {
      return opt.learningRate() * (step + 1) / warmup;
    }
    double progress = Math.min(1.0, (double) (step - warmup) / Math.max(1, total - warmup));
    double factor = opt.cosine() ? 0.5 * (1 + Math.cos(Math.PI * progress)) : 1 - progress;
    return (float) (opt.learningRate() * Math.max(factor, 0.0));
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

  static List<String> labelsOf(String label, Task task) {
    if (task == Task.MULTI_LABEL) {
      List<String> out = new ArrayList<>();
      for (String s : label.split("[|;]")) {
        if (!s.isBlank()) {
          out.add(s.trim());
        }
      }
      return out;
    }
    return label.isEmpty() ? List.of() : List.of(label);
  }

  static float[] targets(List<String> labels, Task task, List<String> classes, int outputs, String source) {
    float[] t = new float[labels.size() * outputs];
    for (int i = 0; i < labels.size(); i++) {
      String label = labels.get(i);
      if (task == Task.REGRESSION) {
        String[] parts = label.split("[|;]");
        if (parts.length != outputs) {
          throw new InvalidInputException("data " + source + ", example " + (i + 1) + ": expected " + outputs
              + " numeric label value(s), found '" + label + "'");
        }
        for (int k = 0; k < outputs; k++) {
          try {
            t[i * outputs + k] = Float.parseFloat(parts[k].trim());
          } catch (NumberFormatException e) {
            throw new InvalidInputException("data " + source + ", example " + (i + 1)
                + ": regression label '" + label + "' is not a number");
          }
        }
        continue;
      }
      for (String l : labelsOf(label, task)) {
        int c = classes.indexOf(l);
        if (c >= 0) {
          t[i * outputs + c] = 1f;
        }
      }
    }
    return t;
  }

  private static float[] slice(float[] targets, List<Integer> idx, int outputs) {
    float[] out = new float[idx.size() * outputs];
    for (int i = 0; i < idx.size(); i++) {
      System.arraycopy(targets, idx.get(i) * outputs, out, i * outputs, outputs);
    }
    return out;
  }

  /** Predictions on the given examples, in batches. */
  static float[] predict(TaskModel model, FusionConfig config, List<Map<String, TokenSequence>> seqs,
      List<Integer> idx, int outputs) {
    float[] out = new float[idx.size() * outputs];
    for (int b = 0; b < idx.size(); b += 64) {
      List<Map<String, TokenSequence>> batch = new ArrayList<>();
      for (int i = b; i < Math.min(idx.size(), b + 64); i++) {
        batch.add(seqs.get(idx.get(i)));
      }
      float[] p = model.predict(Tokenizers.feeds(config, batch));
      System.arraycopy(p, 0, out, b * outputs, p.length);
    }
    return out;
  }

  static Map<String, Double> evaluate(TaskModel model, FusionConfig config, List<Map<String, TokenSequence>> seqs,
      List<Integer> idx, float[] targets, Task task, int outputs, List<String> classes) {
    float[] pred = predict(model, config, seqs, idx, outputs);
    float[] truth = slice(targets, idx, outputs);
    if (task == Task.REGRESSION) {
      return Metrics.regression(pred, truth);
    }
    int[] cls = new int[idx.size()];
    for (int i = 0; i < cls.length; i++) {
      int best = 0;
      for (int c = 1; c < outputs; c++) {
        if (truth[i * outputs + c] > truth[i * outputs + best]) {
          best = c;
        }
      }
      cls[i] = best;
    }
    return Metrics.classification(pred, cls, outputs);
  }

  /** Copies the files a spec input names (text tokenizer files) into the bundle and points the spec at the copies. */
  static InputSpec copyFiles(InputSpec in, Path specDir, Path bundle) {
    if (!in.hasText() || in.getText().getTokenizerFile().isEmpty()) {
      if (in.getModality().equals("text")) {
        throw new InvalidConfigurationException("text input '" + in.getName()
            + "' needs text.tokenizer_file (a Hugging Face tokenizer.json or a BERT vocab.txt) in the spec");
      }
      return in;
    }
    Path src = specDir.resolve(in.getText().getTokenizerFile());
    String name = in.getName() + "-" + src.getFileName();
    try {
      Files.copy(src, bundle.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new InvalidConfigurationException("input '" + in.getName() + "': tokenizer file " + src
          + " cannot be copied: " + e, e);
    }
    return in.toBuilder().setText(in.getText().toBuilder().setTokenizerFile(name)).build();
  }

  /** A progress bar on a terminal, one log line per epoch everywhere. */
  static final class Progress {
    private final PrintStream out;
    private final int total;
    private final boolean terminal = System.console() != null;
    private final long start = System.nanoTime();
    private int done;
    private long examples;

    Progress(PrintStream out, int total) {
      this.out = out;
      this.total = total;
    }

    void step(float loss, int batch, int epoch) {
      done++;
      examples += batch;
      if (out != null && terminal && (done % 5 == 0 || done == total)) {
        double secs = (System.nanoTime() - start) / 1e9;
        int width = 30;
        int filled = (int) ((long) width * done / total);
        out.printf(Locale.ROOT, "\r[%s%s] step %d/%d loss %.4f %.0f ex/s ETA %.0fs  ",
            "=".repeat(filled), " ".repeat(width - filled), done, total, loss, examples / secs,
            secs / done * (total - done));
        out.flush();
      }
    }

    void epoch(int epoch, int epochs, double loss, Map<String, Double> metrics) {
      if (out == null) {
        return;
      }
      StringBuilder sb = new StringBuilder(terminal ? "\r" : "");
      sb.append(String.format(Locale.ROOT, "epoch %d/%d train_loss %.4f", epoch, epochs, loss));
      metrics.forEach((k, v) -> sb.append(String.format(Locale.ROOT, " val_%s %.4f", k, v)));
      sb.append(String.format(Locale.ROOT, " %.1fs", (System.nanoTime() - start) / 1e9));
      out.println(sb + (terminal ? " ".repeat(10) : ""));
    }

    void note(String s) {
      if (out != null) {
        out.println(s);
      }
    }
  }
}
