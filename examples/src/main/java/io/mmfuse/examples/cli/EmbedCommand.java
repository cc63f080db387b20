package io.mmfuse.examples.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.mmfuse.fusion.data.BadRows;
import io.mmfuse.fusion.data.DataFile;
import io.mmfuse.fusion.data.Dataset;
import io.mmfuse.fusion.inference.PredictionStream;
import io.mmfuse.fusion.inference.Predictor;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mmfuse embed}: one L2-normalized embedding per row, in order, streaming. */
@Command(name = "embed", description = "Embed every row of a data file with a model bundle; one JSON object per row"
    + " ({\"row\": N, \"embedding\": [...]}), in order.")
final class EmbedCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "DIR", description = "A model bundle.")
  Path model;

  @Option(names = "--data", required = true, paramLabel = "FILE", description = "CSV or JSONL.")
  Path data;

  @Option(names = "--input", paramLabel = "NAME", description = "Embed this input's side only (of a contrastive"
      + " model: the side it is on; of another: the input alone). Default: the whole row (a contrastive model:"
      + " side A).")
  String input;

  @Option(names = "--output", required = true, paramLabel = "FILE", description = "The JSONL file to write (whole"
      + " or not at all).")
  Path output;

  @Option(names = "--plugins", paramLabel = "DIR", description = "Also load the modality plugin jars in DIR.")
  Path plugins;

  @picocli.CommandLine.Mixin InputMixin inputOptions = new InputMixin();

  @picocli.CommandLine.Mixin RuntimeMixin runtime = new RuntimeMixin();

  @Override
  public Integer call() throws java.io.IOException {
    try (LoadedPlugins loaded = new LoadedPlugins(plugins);
        Predictor p = Predictor.load(model, loaded.registry(), runtime.forBundle(model));
        BadRows bad = inputOptions.badRows(InputMixin.besides(output))) {
      RuntimeMixin.warn(spec, p.runtimeWarning());
      String side = input != null ? input
          : p.spec().getHead().getTask() == io.mmfuse.api.proto.Task.CONTRASTIVE
              ? p.spec().getHead().getSideA(0) : null;
      try (DataFile d = DataFile.open(data, null, side == null ? p.spec() : p.sideSpec(side), loaded.registry(),
              Dataset.ReadOptions.NONE, bad);
          AtomicOutput o = new AtomicOutput(output, null)) {
        PrintWriter out = o.writer();
        PredictionStream.Sink sink = (row, label, v, skipped) -> out.println(line(d, row, v, skipped));
        if (side == null) {
          PredictionStream.run(p, d, inputOptions.threads(), java.util.function.UnaryOperator.identity(),
              p::embedTokenized, sink);
        } else {
          PredictionStream.embed(p, d, side, inputOptions.threads(), sink);
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

  private static String line(DataFile d, int row, float[] v, io.mmfuse.api.InvalidInputException skipped) {
    JsonObject o = new JsonObject();
    o.addProperty("row", row + 1);
    if (v == null) {
      o.addProperty("skipped_line", d.line(row));
      o.addProperty("error", skipped.getMessage());
      return o.toString();
    }
    JsonArray a = new JsonArray();
    for (float x : v) {
      a.add(x);
    }
    o.add("embedding", a);
    return o.toString();
  }
}
