package io.mmfuse.examples.cli;

import io.mmfuse.api.Specs;
import io.mmfuse.api.proto.ModelSpec;
import io.mmfuse.fusion.data.Dataset;
import io.mmfuse.fusion.train.ProgressLog;
import io.mmfuse.fusion.train.Trainer;
import io.mmfuse.fusion.train.TrainingConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mmfuse train}: trains a fused model on a CSV or JSONL file and writes a model bundle. */
@Command(name = "train", description = "Train a fused model on a CSV or JSONL file; write a model bundle.")
final class TrainCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--data", required = true, paramLabel = "FILE", description = "CSV (with a header) or JSONL.")
  Path data;

  @Option(names = "--label", required = true, paramLabel = "COLUMN", description = "The label column.")
  String label;

  @Option(names = "--spec", paramLabel = "FILE", description = "A model spec in protobuf text format.")
  Path specFile;

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

  @Option(names = "--modality-dropout", paramLabel = "P",
      description = "Drop each input of a training example with this probability (default 0).")
  Float modalityDropout;

  @Option(names = "--patience", paramLabel = "N", description = "Early stopping after N epochs without progress"
      + " (default " + TrainingConfig.DEFAULT_PATIENCE + ").")
  Integer patience;

  @Option(names = "--resume", description = "Continue from the last epoch checkpoint of an earlier run to --out.")
  boolean resume;

  @Option(names = "--plugins", paramLabel = "DIR", description = "Also load the modality plugin jars in DIR.")
  Path plugins;

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
    Path specDir = specFile == null ? data.toAbsolutePath().getParent() : specFile.toAbsolutePath().getParent();
    Dataset d = Dataset.read(data, label, s, registry);
    TrainingConfig.Builder config = TrainingConfig.builder().optCosine(cosine).optResume(resume);
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
    PrintStream log = System.err;
    Trainer.Result r = new Trainer(config.build(), registry).addListener(new ProgressLog(log)).fit(s, d, specDir, out);
    log.printf(java.util.Locale.ROOT, "trained in %.1fs, best epoch %d of %d; bundle in %s%n", r.seconds(),
        r.bestEpoch(), r.epochsRun(), out);
    spec.commandLine().getOut().println(Json.metrics(r.validation()));
    spec.commandLine().getOut().flush();
    return 0;
  }
}
