package io.mmfuse.examples.cli;

import io.mmfuse.api.Specs;
import io.mmfuse.api.proto.ModelSpec;
import io.mmfuse.fusion.data.BadRows;
import io.mmfuse.fusion.data.DataFile;
import io.mmfuse.fusion.data.Dataset;
import io.mmfuse.fusion.data.ExampleSource;
import io.mmfuse.fusion.train.ProgressLog;
import io.mmfuse.fusion.train.Trainer;
import io.mmfuse.fusion.train.TrainingConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mmfuse train}: trains a fused model on a CSV or JSONL file and writes a model bundle. */
@Command(name = "train", description = "Train a fused model on a CSV or JSONL file; write a model bundle.",
    footer = {"", "Without --spec, every column but the label is an input: image file names become an image input,"
        + " free text and short phrases with many distinct values text inputs, the other columns one table input"
        + " (numeric, categorical or boolean per column). train prints what it inferred and flags ids, constants and"
        + " columns that give the label away.",
        "Defaults: backbone width 64, 2 layers, 4 heads, feed-forward 128, dropout 0.1, late fusion for two inputs or"
        + " more (each encoded alone, pooled, then combined; concat puts every token in one sequence); validation on"
        + " a random 25% of the rows (by group with --group, a file of its own with --validation); early stopping"
        + " after " + TrainingConfig.DEFAULT_PATIENCE + " epochs without progress; images at their own median size"
        + " (at most 224 px) with the smallest patch of 4, 8, 16 or 32 px giving at most 196 patches."})
final class TrainCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--data", required = true, paramLabel = "FILE", description = "CSV (with a header) or JSONL.")
  Path data;

  @Option(names = "--label", paramLabel = "COLUMN", description = "The label column (not for --task contrastive).")
  String label;

  enum TaskName {
    classification,
    multi_label,
    regression,
    contrastive
  }

  @Option(names = "--task", paramLabel = "TASK", description = "classification (the default), multi_label,"
      + " regression, or contrastive (pairs of inputs, --pair).")
  TaskName task;

  @Option(names = "--pair", paramLabel = "A,B", description = "With --task contrastive: the inputs of the two sides"
      + " of a pair, e.g. image,name; a side of several inputs joins them with + (image+table,name). Only these"
      + " inputs are read, unless the spec names more.")
  String pair;

  @Option(names = "--towers", paramLabel = "N", description = "With --task contrastive: 1 (the default), one shared"
      + " encoder for both sides; 2, one encoder per side, of the backbone's shape.")
  Integer towers;

  @Option(names = "--spec", paramLabel = "FILE", description = "A model spec in protobuf text format.")
  Path specFile;

  @Option(names = "--validation", paramLabel = "FILE",
      description = "Validate on this file (same columns) instead of a split of --data.")
  Path validation;

  @Option(names = "--group", paramLabel = "COLUMN", description = "Split so that rows with one value of COLUMN"
      + " (one thing measured several times) are all on one side; the column is not an input.")
  String group;

  @Option(names = "--validation-fraction", paramLabel = "F",
      description = "Share of the rows (or groups) held out for validation (default 0.25).")
  Double validationFraction;

  @Option(names = "--ignore", split = ",", paramLabel = "COL", description = "Columns that are not inputs.")
  List<String> ignore = new ArrayList<>();

  @Option(names = "--text", split = ",", paramLabel = "COL", description = "Columns that are text inputs.")
  List<String> text = new ArrayList<>();

  @Option(names = "--image", split = ",", paramLabel = "COL",
      description = "Columns of image file names (relative to the data file).")
  List<String> image = new ArrayList<>();

  @Option(names = "--modality", split = ",", paramLabel = "COL=NAME",
      description = "Columns of another modality, a plugin's for one.")
  Map<String, String> modality = new LinkedHashMap<>();

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where the bundle goes.")
  Path out;

  @Option(names = "--epochs", paramLabel = "N",
      description = "Epochs at most (default " + TrainingConfig.DEFAULT_EPOCHS + "; early stopping).")
  Integer epochs;

  @Option(names = "--batch-size", paramLabel = "N",
      description = "Examples per step (default " + TrainingConfig.DEFAULT_BATCH_SIZE + ").")
  Integer batchSize;

  @Option(names = "--lr", paramLabel = "RATE", description = "Peak learning rate (default 1e-3).")
  Float lr;

  @Option(names = "--seed", paramLabel = "N",
      description = "Random seed (default " + TrainingConfig.DEFAULT_SEED + ").")
  Long seed;

  @Option(names = "--cosine", description = "Cosine learning-rate decay after warmup (default: linear).")
  boolean cosine;

  @Option(names = "--lazy-embeddings", description = "Update only the rows of the token embedding tables that a"
      + " batch uses (lazy AdamW: unused rows keep their weights and moments; faster with large vocabularies).")
  boolean lazyEmbeddings;

  @Option(names = "--modality-dropout", paramLabel = "P",
      description = "Drop each input of a training example with this probability (default 0).")
  Float modalityDropout;

  @Option(names = "--patience", paramLabel = "N", description = "Early stopping after N epochs without progress"
      + " (default " + TrainingConfig.DEFAULT_PATIENCE + ").")
  Integer patience;

  @Option(names = "--fusion", paramLabel = "NAME",
      description = "How inputs are fused: late (the default for two inputs or more), concat, add, or a plugin's"
          + " strategy.")
  String fusion;

  @Option(names = "--augment", description = "Augment every image input in training (random crop, rotation, shift,"
      + " colour jitter; no mirroring), unless its spec settings say otherwise.")
  boolean augment;

  @Option(names = "--resume", description = "Continue from the last epoch checkpoint of an earlier run to --out.")
  boolean resume;

  @Option(names = "--plugins", paramLabel = "DIR", description = "Also load the modality plugin jars in DIR.")
  Path plugins;

  @Option(names = "--length-buckets", description = "Batch rows of similar length together (less padding; the"
      + " rows of a window of 32 batches are sorted by length, the batches shuffled).")
  boolean lengthBuckets;

  @Option(names = "--token-cache", paramLabel = "DIR", description = "Keep every row's tokens in DIR after the first"
      + " epoch and read them from there in later epochs (and later runs on the same data and settings).")
  Path tokenCache;

  @Option(names = "--fit-rows", paramLabel = "N", description = "Fit the tokenizers (table statistics, vocabularies,"
      + " image size) on an even sample of at most N training rows (default " + TrainingConfig.DEFAULT_FIT_ROWS
      + "; 0: all of them).")
  Integer fitRows;

  @picocli.CommandLine.Mixin InputMixin input = new InputMixin();

  @picocli.CommandLine.Mixin RuntimeMixin runtime = new RuntimeMixin();

  @Override
  public Integer call() throws java.io.IOException {
    try (LoadedPlugins loaded = new LoadedPlugins(plugins)) {
      return train(loaded.registry());
    }
  }

  private int train(io.mmfuse.api.plugin.ModalityRegistry registry) {
    // The plugins are wired first: the spec may carry their settings messages.
    ModelSpec s = specFile == null ? ModelSpec.getDefaultInstance() : Specs.validateLenient(Specs.read(specFile));
    s = s.toBuilder().setRuntime(runtime.over(s.getRuntime()).toSpec()).build();
    if (fusion != null) {
      s = io.mmfuse.fusion.graph.ModelSpecs.withDefaults(s);
      s = s.toBuilder().setBackbone(s.getBackbone().toBuilder().setFusion(fusion)).build();
    }
    Path specDir = specFile == null ? data.toAbsolutePath().getParent() : specFile.toAbsolutePath().getParent();
    Map<String, String> forced = new LinkedHashMap<>(modality);
    text.forEach(c -> forced.put(c, "text"));
    image.forEach(c -> forced.put(c, "image"));
    Dataset.ReadOptions options = new Dataset.ReadOptions(Set.copyOf(ignore), forced, group);
    PrintWriter log = spec.commandLine().getErr();
    s = withTask(s);
    boolean contrastive = s.getHead().getTask() == io.mmfuse.api.proto.Task.CONTRASTIVE;
    if (!contrastive && label == null) {
      throw new io.mmfuse.api.InvalidConfigurationException("train needs --label COLUMN (or --task contrastive"
          + " --pair A,B)");
    }
    String labelColumn = contrastive ? null : label;
    try (BadRows bad = input.badRows(InputMixin.besides(out));
        DataFile opened = DataFile.open(data, labelColumn, s, registry, options, bad);
        DataFile d = contrastive && s.getInputsCount() == 0 ? paired(opened, s) : opened;
        DataFile v = validation == null ? null : DataFile.open(validation, labelColumn,
            s.getInputsCount() > 0 ? s : d.inputSpec(), registry, new Dataset.ReadOptions(Set.copyOf(ignore),
                Map.of(), null), bad)) {
      ExampleSource train = d;
      ExampleSource valid = v;
      if (augment) {
        train = d.withInputs(augmented(d.inputs()));
        valid = v == null ? null : v.withInputs(augmented(v.inputs()));
        if (s.getInputsCount() > 0) {
          s = s.toBuilder().clearInputs().addAllInputs(augmented(s.getInputsList())).build();
        }
      }
      printColumns(log, d);
      Trainer.Result r = new Trainer(config(), registry).addListener(new ProgressLog(log))
          .fit(s, train, valid, specDir, out);
      log.printf(Locale.ROOT, "trained in %.1fs, best epoch %d of %d; bundle in %s%n", r.seconds(),
          r.bestEpoch(), r.epochsRun(), out);
      log.flush();
      spec.commandLine().getOut().println(Json.metrics(r.validation()));
      spec.commandLine().getOut().flush();
    }
    return 0;
  }

  /** The spec with --task and --pair laid over its head. */
  private ModelSpec withTask(ModelSpec s) {
    io.mmfuse.api.proto.HeadSpec.Builder h = s.getHead().toBuilder();
    if (task != null) {
      h.setTask(switch (task) {
        case classification -> io.mmfuse.api.proto.Task.CLASSIFICATION;
        case multi_label -> io.mmfuse.api.proto.Task.MULTI_LABEL;
        case regression -> io.mmfuse.api.proto.Task.REGRESSION;
        case contrastive -> io.mmfuse.api.proto.Task.CONTRASTIVE;
      });
    }
    if (pair != null) {
      if (h.getTask() != io.mmfuse.api.proto.Task.CONTRASTIVE) {
        throw new io.mmfuse.api.InvalidConfigurationException("--pair is for --task contrastive");
      }
      String[] sides = pair.split(",");
      if (sides.length != 2 || sides[0].isBlank() || sides[1].isBlank()) {
        throw new io.mmfuse.api.InvalidConfigurationException("--pair takes two sides, A,B (a side of several"
            + " inputs: x+y), not '" + pair + "'");
      }
      h.clearSideA().clearSideB();
      for (String a : sides[0].split("\\+")) {
        h.addSideA(a.trim());
      }
      for (String b : sides[1].split("\\+")) {
        h.addSideB(b.trim());
      }
    }
    if (h.getTask() == io.mmfuse.api.proto.Task.CONTRASTIVE && (h.getSideACount() == 0 || h.getSideBCount() == 0)) {
      throw new io.mmfuse.api.InvalidConfigurationException("--task contrastive needs --pair A,B (or head { side_a:"
          + " ... side_b: ... } in the spec)");
    }
    ModelSpec out = s.toBuilder().setHead(h).build();
    if (towers != null) {
      if (h.getTask() != io.mmfuse.api.proto.Task.CONTRASTIVE) {
        throw new io.mmfuse.api.InvalidConfigurationException("--towers is for --task contrastive");
      }
      out = io.mmfuse.fusion.graph.ModelSpecs.withDefaults(out);
      out = out.toBuilder().setBackbone(out.getBackbone().toBuilder().setTowers(towers)).build();
    }
    return out;
  }

  /** The data file with only the inputs its pair names; fails naming the inputs there are. */
  private static DataFile paired(DataFile d, ModelSpec s) {
    List<io.mmfuse.api.proto.InputSpec> kept = new ArrayList<>();
    java.util.Set<String> wanted = new java.util.LinkedHashSet<>(s.getHead().getSideAList());
    wanted.addAll(s.getHead().getSideBList());
    List<String> names = d.inputs().stream().map(io.mmfuse.api.proto.InputSpec::getName).toList();
    for (String w : wanted) {
      if (!names.contains(w)) {
        throw new io.mmfuse.api.InvalidInputException("--pair names input '" + w + "', but " + d.source()
            + " has the inputs " + names + " (a table's columns are the one input 'table')");
      }
    }
    for (io.mmfuse.api.proto.InputSpec in : d.inputs()) {
      if (wanted.contains(in.getName())) {
        kept.add(in);
      }
    }
    return d.withInputs(kept);
  }

  private TrainingConfig config() {
    TrainingConfig.Builder config = TrainingConfig.builder().optCosine(cosine).optResume(resume).optLazyEmbeddings(lazyEmbeddings)
        .optInputThreads(input.threads()).optLengthBuckets(lengthBuckets).optTokenCache(tokenCache);
    if (fitRows != null) {
      config.optFitRows(fitRows);
    }
    if (validationFraction != null) {
      config.optValidationFraction(validationFraction);
    }
    if (epochs != null) {
      config.optEpochs(epochs);
    }
    if (batchSize != null) {
      config.optBatchSize(batchSize);
    }
    if (lr != null) {
      config.optLearningRate(lr);
    }
    if (seed != null) {
      config.optSeed(seed);
    }
    if (modalityDropout != null) {
      config.optModalityDropout(modalityDropout);
    }
    if (patience != null) {
      config.optPatience(patience);
    }
    return config.build();
  }

  /** The inputs, with the default augmentation on every image input whose settings do not configure one. */
  private static List<io.mmfuse.api.proto.InputSpec> augmented(List<io.mmfuse.api.proto.InputSpec> inputs) {
    List<io.mmfuse.api.proto.InputSpec> out = new ArrayList<>();
    for (io.mmfuse.api.proto.InputSpec in : inputs) {
      out.add(in.getModality().equals(io.mmfuse.modality.image.ImageTokenizerFactory.MODALITY)
          ? io.mmfuse.modality.image.ImageTokenizerFactory.withDefaultAugmentation(in) : in);
    }
    return out;
  }

  /** What was inferred of each column, and what looks wrong. */
  static void printColumns(PrintWriter log, DataFile d) {
    log.printf(Locale.ROOT, "data %s: %d rows, %d columns%s%n", d.source(), d.size(), d.columns().size(),
        d.profiledRows() < d.size() ? " (columns profiled on a sample of " + d.profiledRows() + " rows)" : "");
    List<String> flagged = new ArrayList<>();
    for (Dataset.ColumnProfile c : d.columns()) {
      String role = c.modality().isEmpty() ? c.role()
          : c.role().equals(c.name()) ? c.modality() + " input" : c.modality() + " input '" + c.role() + "'";
      log.printf(Locale.ROOT, "  %-20s %-24s %d present, %d missing, %d distinct%n", c.name(), role, c.present(),
          c.missing(), c.distinct());
      for (String w : c.warnings()) {
        log.printf(Locale.ROOT, "  warning: column '%s' %s%n", c.name(), w);
        flagged.add(c.name());
      }
    }
    if (flagged.size() > 1) {
      log.println("  to drop every flagged column: --ignore " + String.join(",", flagged));
    }
  }
}
