package io.mmfuse.examples.cli;

import io.mmfuse.fusion.data.BadRows;
import io.mmfuse.fusion.data.DataFile;
import io.mmfuse.fusion.data.Dataset;
import io.mmfuse.fusion.inference.PredictionStream;
import io.mmfuse.fusion.inference.Predictor;
import io.mmfuse.fusion.train.LabelEncoder;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code mmfuse predict}: one JSON object per input row, in order, written as the rows stream through; a row skipped
 * as bad ({@code --on-bad-row skip}) keeps its place with {@code {"skipped_line": N, "error": ...}}.
 */
@Command(name = "predict", description = "Predict with a model bundle; one JSON object per row (JSONL).")
final class PredictCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "DIR", description = "A model bundle.")
  Path model;

  @Option(names = "--input", required = true, paramLabel = "FILE", description = "CSV or JSONL (labels ignored).")
  Path input;

  @Option(names = "--plugins", paramLabel = "DIR", description = "Also load the modality plugin jars in DIR.")
  Path plugins;

  @Option(names = "--output", paramLabel = "FILE", description = "Write the predictions here (whole or not at all)"
      + " instead of to standard output.")
  Path output;

  @picocli.CommandLine.Mixin InputMixin inputOptions = new InputMixin();

  @picocli.CommandLine.Mixin RuntimeMixin runtime = new RuntimeMixin();

  @Override
  public Integer call() throws java.io.IOException {
    Path report = output != null ? InputMixin.besides(output)
        : Path.of(input.getFileName() + ".predictions.bad-rows.jsonl");
    try (LoadedPlugins loaded = new LoadedPlugins(plugins);
        Predictor p = Predictor.load(model, loaded.registry(), runtime.forBundle(model));
        BadRows bad = inputOptions.badRows(report);
        DataFile d = DataFile.open(input, null, p.spec(), loaded.registry(), Dataset.ReadOptions.NONE, bad)) {
      RuntimeMixin.warn(spec, p.runtimeWarning());
      LabelEncoder labels = LabelEncoder.of(p.spec().getHead());
      try (AtomicOutput o = new AtomicOutput(output, spec.commandLine().getOut())) {
        PrintWriter out = o.writer();
        // A skipped row keeps its place with a line of its own, so that line N of the output is row N of the input.
        java.util.Iterator<DataFile.Skipped> left = d.skipped().iterator();
        DataFile.Skipped[] nextLeft = {left.hasNext() ? left.next() : null};
        PredictionStream.run(p, d, inputOptions.threads(), (row, label, v, skipped) -> {
          while (nextLeft[0] != null && nextLeft[0].before() <= row) {
            out.println(Json.skipped(nextLeft[0].line(), nextLeft[0].error()));
            nextLeft[0] = left.hasNext() ? left.next() : null;
          }
          out.println(v != null ? Json.prediction(labels, v) : Json.skipped(d.line(row), skipped.getMessage()));
        });
        while (nextLeft[0] != null) {
          out.println(Json.skipped(nextLeft[0].line(), nextLeft[0].error()));
          nextLeft[0] = left.hasNext() ? left.next() : null;
        }
        o.commit();
      }
      if (!bad.summary().isEmpty()) {
        spec.commandLine().getErr().println(bad.summary());
        spec.commandLine().getErr().flush();
      }
    }
    return 0;
  }
}
