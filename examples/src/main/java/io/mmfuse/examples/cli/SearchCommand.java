package io.mmfuse.examples.cli;

import com.google.gson.JsonObject;
import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.api.proto.InputSpec;
import io.mmfuse.api.proto.Task;
import io.mmfuse.examples.search.VectorIndex;
import io.mmfuse.fusion.inference.Predictor;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mmfuse search}: the rows of an index nearest to a query, which goes through the bundle's tokenizer of its
 * modality (text, an image path, anything a plugin tokenizes).
 */
@Command(name = "search", description = "Find the rows of an index (mmfuse index) nearest to a query: text, an image"
    + " file, or anything the query input's modality takes; one JSON object per hit, best first.")
final class SearchCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--index", required = true, paramLabel = "INDEX", description = "An index from mmfuse index.")
  Path index;

  @Option(names = "--model", required = true, paramLabel = "DIR", description = "The bundle the index was built"
      + " with.")
  Path model;

  @Option(names = "--query", required = true, paramLabel = "TEXT|FILE", description = "The query, as a cell of the"
      + " query input's column would hold it.")
  String query;

  @Option(names = "--query-input", paramLabel = "NAME", description = "The input the query is (default: of a"
      + " contrastive model, the other side's input; else the indexed input).")
  String queryInput;

  @Option(names = "-k", paramLabel = "K", description = "How many rows (default 10).")
  int k = 10;

  @Option(names = "--plugins", paramLabel = "DIR", description = "Also load the modality plugin jars in DIR.")
  Path plugins;

  @picocli.CommandLine.Mixin RuntimeMixin runtime = new RuntimeMixin();

  @Override
  public Integer call() throws IOException {
    if (k < 1) {
      throw new InvalidConfigurationException("-k must be at least 1, found " + k);
    }
    try (LoadedPlugins loaded = new LoadedPlugins(plugins);
        VectorIndex idx = VectorIndex.open(index, model);
        Predictor p = Predictor.load(model, loaded.registry(), runtime.forBundle(model))) {
      String in = queryInput != null ? queryInput : defaultQueryInput(p, idx.input());
      InputSpec inSpec = p.spec().getInputsList().stream().filter(i -> i.getName().equals(in)).findFirst()
          .orElseThrow(() -> new InvalidConfigurationException("the model has no input '" + in + "'"));
      Object value = loaded.registry().factory(inSpec.getModality()).cellValue(query,
          Path.of("").toAbsolutePath());
      float[] q = p.embed(Map.of(in, value), in);
      PrintWriter out = spec.commandLine().getOut();
      int rank = 1;
      for (VectorIndex.Hit h : idx.search(q, k)) {
        JsonObject o = new JsonObject();
        o.addProperty("rank", rank++);
        o.addProperty("row", h.row());
        o.addProperty("line", h.line());
        o.addProperty("value", h.value());
        o.addProperty("score", h.score());
        out.println(o);
      }
      out.flush();
    }
    return 0;
  }

  /** The other side's input of a contrastive model (when that side is one input), else the indexed input. */
  static String defaultQueryInput(Predictor p, String indexed) {
    if (p.spec().getHead().getTask() != Task.CONTRASTIVE) {
      return indexed;
    }
    List<String> other = p.spec().getHead().getSideAList().contains(indexed) ? p.spec().getHead().getSideBList()
        : p.spec().getHead().getSideAList();
    if (other.size() != 1) {
      throw new InvalidConfigurationException("the other side of '" + indexed + "' has the inputs " + other
          + "; name the query's with --query-input");
    }
    return other.get(0);
  }
}
