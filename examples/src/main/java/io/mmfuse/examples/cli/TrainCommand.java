package io.mmfuse.examples.cli;

import io.mmfuse.api.Specs;
import io.mmfuse.api.proto.ModelSpec;
import io.mmfuse.fusion.train.Dataset;
import io.mmfuse.fusion.train.Trainer;
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

  @Option(names = "--epochs", paramLabel = "N", description = "Epochs at most (default 30; early stopping).")
  int epochs = 30;

  @Option(names = "--batch-size", paramLabel = "N", description = "Examples per step (default 32).")
  int batchSize = 32;

  @Option(names = "--lr", paramLabel = "RATE", description = "Peak learning rate (default 1e-3).")
  float lr = 1e-3f;

  @Option(names = "--seed", paramLabel = "N", description = "Random seed (default 42).")
  long seed = 42;

  @Option(names = "--cosine", description = "Cosine learning-rate decay after warmup (default: linear).")
  boolean cosine;

  @Option(names = "--modality-dropout", paramLabel = "P",
      description = "Drop each input of a training example with this probability (default 0).")
  float modalityDropout;

  @Option(names = "--patience", paramLabel = "N", description = "Early stopping after N epochs without progress.")
  int patience = 10;

  @Option(names = "--resume", description = "Continue from the last epoch checkpoint of an earlier run to --out.")
  boolean resume;

  @Option(names = "--plugins", paramLabel = "DIR", description = "Also load the modality plugin jars in DIR.")
  Path plugins;

  @picocli.CommandLine.Mixin RuntimeMixin runtime = new RuntimeMixin();

  @Override
  public Integer call() throws java.io.IOException {
    ModelSpec s = specFile == null ? ModelSpec.getDefaultInstance() : Specs.validateLenient(Specs.read(specFile));
    s = s.toBuilder().setRuntime(runtime.over(s.getRuntime()).toSpec()).build();
    Path specDir = specFile == null ? data.toAbsolutePath().getParent() : specFile.toAbsolutePath().getParent();
    Dataset d = Dataset.read(data, label, s);
    Trainer.Options o = new Trainer.Options(epochs, batchSize, lr, 0.1f, cosine, 0.01f, 1.0f, seed, 0.25, patience,
        modalityDropout).withResume(resume);
    PrintStream log = System.err;
    Trainer.Result r;
    try (LoadedPlugins loaded = new LoadedPlugins(plugins)) {
      r = Trainer.train(s, d, label, o, specDir, out, loaded.registry(), log);
    }
    log.printf(java.util.Locale.ROOT, "trained in %.1fs, best epoch %d of %d; bundle in %s%n", r.seconds(),
        r.bestEpoch(), r.epochsRun(), out);
    spec.commandLine().getOut().println(Json.metrics(r.validation()));
    spec.commandLine().getOut().flush();
    return 0;
  }
}
