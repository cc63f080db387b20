package io.mmfuse.examples.cli;

import io.mmfuse.fusion.data.Dataset;
import io.mmfuse.fusion.inference.Predictor;
import io.mmfuse.fusion.train.LabelEncoder;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code mmfuse predict}: one JSON object per input row, in order. */
@Command(name = "predict", description = "Predict with a model bundle; one JSON object per row (JSONL).")
final class PredictCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "DIR", description = "A model bundle.")
  Path model;

  @Option(names = "--input", required = true, paramLabel = "FILE", description = "CSV or JSONL (labels ignored).")
  Path input;

  @Option(names = "--plugins", paramLabel = "DIR", description = "Also load the modality plugin jars in DIR.")
  Path plugins;

  @picocli.CommandLine.Mixin RuntimeMixin runtime = new RuntimeMixin();

  @Override
  public Integer call() throws java.io.IOException {
    PrintWriter out = spec.commandLine().getOut();
    try (LoadedPlugins loaded = new LoadedPlugins(plugins);
        Predictor p = Predictor.load(model, loaded.registry(),
            runtime.forBundle(model))) {
      RuntimeMixin.warn(spec, p.runtimeWarning());
      Dataset d = Dataset.read(input, null, p.spec(), loaded.registry());
      LabelEncoder labels = LabelEncoder.of(p.spec().getHead());
      for (float[] v : p.predictAll(d.examples())) {
        out.println(Json.prediction(labels, v));
      }
      out.flush();
    }
    return 0;
  }
}
