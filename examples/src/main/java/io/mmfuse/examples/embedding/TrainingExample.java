package io.mmfuse.examples.embedding;

import io.mmfuse.api.Specs;
import io.mmfuse.api.plugin.ModalityRegistry;
import io.mmfuse.api.plugin.Plugins;
import io.mmfuse.api.proto.ModelSpec;
import io.mmfuse.fusion.data.Dataset;
import io.mmfuse.fusion.train.ProgressLog;
import io.mmfuse.fusion.train.Trainer;
import io.mmfuse.fusion.train.TrainingConfig;
import java.nio.file.Path;

/** Training from Java: {@code TrainingExample DATA.csv LABEL SPEC OUT}. */
public final class TrainingExample {
  private TrainingExample() {}

  public static void main(String[] args) {
    Path csv = Path.of(args[0]);
    Path specFile = Path.of(args[2]);
    ModalityRegistry plugins = Plugins.load();
    ModelSpec spec = Specs.read(specFile);
    TrainingConfig config = TrainingConfig.builder().optEpochs(20).optLearningRate(2e-3f).build();
    Trainer.Result result = new Trainer(config, plugins)
        .addListener(new ProgressLog(System.err))
        .fit(spec, Dataset.read(csv, args[1], spec, plugins), specFile.toAbsolutePath().getParent(), Path.of(args[3]));
    System.out.println("best epoch " + result.bestEpoch() + ": " + result.validation());
  }
}
