package io.mmfuse.examples.cli;

import com.google.gson.JsonObject;
import io.mmfuse.api.proto.Task;
import io.mmfuse.fusion.train.Dataset;
import io.mmfuse.fusion.train.Predictor;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

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
      Dataset d = Dataset.read(input, null, p.spec());
      List<float[]> preds = p.predictAll(d.examples());
      boolean regression = p.spec().getHead().getTask() == Task.REGRESSION;
      for (float[] v : preds) {
        JsonObject o = new JsonObject();
        if (regression) {
          o.addProperty("value", v[0]);
        } else {
          JsonObject probs = new JsonObject();
          int best = 0;
          for (int c = 0; c < v.length; c++) {
            probs.addProperty(p.classes().get(c), v[c]);
            best = v[c] > v[best] ? c : best;
          }
          o.addProperty("prediction", p.classes().get(best));
          o.add("probabilities", probs);
        }
        out.println(o);
      }
      out.flush();
    }
    return 0;
  }
}
