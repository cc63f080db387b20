package io.mmfuse.examples.cli;

import io.mmfuse.fusion.data.BadRows;
import io.mmfuse.fusion.data.DataFile;
import io.mmfuse.fusion.data.Dataset;
import io.mmfuse.fusion.inference.PredictionStream;
import java.util.ArrayList;
import java.util.List;
import io.mmfuse.fusion.inference.Predictor;
import io.mmfuse.fusion.train.Evaluator;
import io.mmfuse.fusion.train.LabelEncoder;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mmfuse eval}: metrics of a bundle on a labelled file; the last line of output is a JSON object. */
@Command(name = "eval", description = "Evaluate a model bundle on labelled data; print the metrics as JSON.")
final class EvalCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "DIR", description = "A model bundle.")
  Path model;

  @Option(names = "--data", required = true, paramLabel = "FILE", description = "CSV or JSONL with labels.")
  Path data;

  @Option(names = "--label", paramLabel = "COLUMN", description = "The label column (default: the training one).")
  String label;

  @Option(names = "--plugins", paramLabel = "DIR", description = "Also load the modality plugin jars in DIR.")
  Path plugins;

  @picocli.CommandLine.Mixin InputMixin inputOptions = new InputMixin();

  @picocli.CommandLine.Mixin RuntimeMixin runtime = new RuntimeMixin();

  @Override
  public Integer call() throws java.io.IOException {
    try (LoadedPlugins loaded = new LoadedPlugins(plugins);
        Predictor p = Predictor.load(model, loaded.registry(), runtime.forBundle(model));
        BadRows bad = inputOptions.badRows(Path.of(data.getFileName() + ".eval.bad-rows.jsonl"))) {
      RuntimeMixin.warn(spec, p.runtimeWarning());
      String column = label != null ? label : p.spec().getHead().getLabelColumn();
      // The predictions and labels are kept (a few numbers a row), never the rows or their tokens.
      List<float[]> predictions = new ArrayList<>();
      List<String> labels = new ArrayList<>();
      try (DataFile d = DataFile.open(data, column, p.spec(), loaded.registry(), Dataset.ReadOptions.NONE, bad)) {
        PredictionStream.run(p, d, inputOptions.threads(), (row, cell, v, skipped) -> {
          if (v != null) {
            predictions.add(v);
            labels.add(cell);
          }
        });
      }
      Map<String, Double> metrics = Evaluator.evaluate(LabelEncoder.of(p.spec().getHead()), predictions, labels,
          data.toString());
      if (!bad.summary().isEmpty()) {
        spec.commandLine().getErr().println(bad.summary());
        spec.commandLine().getErr().flush();
      }
      spec.commandLine().getOut().println(Json.metrics(metrics));
    }
    spec.commandLine().getOut().flush();
    return 0;
  }
}
