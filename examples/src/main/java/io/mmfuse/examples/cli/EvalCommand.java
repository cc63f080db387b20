package io.mmfuse.examples.cli;

import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.proto.Task;
import io.mmfuse.fusion.train.Dataset;
import io.mmfuse.fusion.train.Metrics;
import io.mmfuse.fusion.train.Predictor;
import java.nio.file.Path;
import java.util.List;
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

  @picocli.CommandLine.Mixin RuntimeMixin runtime = new RuntimeMixin();

  @Override
  public Integer call() throws java.io.IOException {
    try (LoadedPlugins loaded = new LoadedPlugins(plugins);
        Predictor p = Predictor.load(model, loaded.registry(),
            runtime.forBundle(model))) {
      RuntimeMixin.warn(spec, p.runtimeWarning());
      String column = label != null ? label : p.spec().getHead().getLabelColumn();
      Dataset d = Dataset.read(data, column, p.spec());
      List<float[]> preds = p.predictAll(d.examples());
      Map<String, Double> metrics;
      if (p.spec().getHead().getTask() == Task.REGRESSION) {
        float[] flat = new float[preds.size()];
        float[] truth = new float[preds.size()];
        for (int i = 0; i < preds.size(); i++) {
          flat[i] = preds.get(i)[0];
          truth[i] = Float.parseFloat(d.labels().get(i));
        }
        metrics = Metrics.regression(flat, truth);
      } else {
        List<String> classes = p.classes();
        int k = classes.size();
        float[] flat = new float[preds.size() * k];
        int[] truth = new int[preds.size()];
        for (int i = 0; i < preds.size(); i++) {
          System.arraycopy(preds.get(i), 0, flat, i * k, k);
          truth[i] = classes.indexOf(d.labels().get(i));
          if (truth[i] < 0) {
            throw new InvalidInputException("data " + data + ", example " + (i + 1) + ": label '"
                + d.labels().get(i) + "' is not one of the model's classes " + classes);
          }
        }
        metrics = Metrics.classification(flat, truth, k);
      }
      spec.commandLine().getOut().println(Json.metrics(metrics));
    }
    spec.commandLine().getOut().flush();
    return 0;
  }
}
