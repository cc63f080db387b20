package io.mmfuse.examples.cli;

import io.mmfuse.fusion.data.BadRows;
import io.mmfuse.fusion.data.DataFile;
import io.mmfuse.fusion.data.Dataset;
import io.mmfuse.fusion.inference.PredictionStream;
import io.mmfuse.fusion.inference.Predictor;
import io.mmfuse.examples.search.VectorIndex;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mmfuse index}: embeds one input of every row and writes an on-disk vector index (Lucene) to search. */
@Command(name = "index", description = "Embed one input of every row with a model bundle and write a vector index"
    + " (Lucene HNSW) for mmfuse search.")
final class IndexCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "DIR", description = "A model bundle.")
  Path model;

  @Option(names = "--data", required = true, paramLabel = "FILE", description = "CSV or JSONL.")
  Path data;

  @Option(names = "--input", required = true, paramLabel = "NAME", description = "The input to embed and index.")
  String input;

  @Option(names = "--out", required = true, paramLabel = "INDEX", description = "The index directory (written whole"
      + " or not at all).")
  Path out;

  @Option(names = "--plugins", paramLabel = "DIR", description = "Also load the modality plugin jars in DIR.")
  Path plugins;

  @picocli.CommandLine.Mixin InputMixin inputOptions = new InputMixin();

  @picocli.CommandLine.Mixin RuntimeMixin runtime = new RuntimeMixin();

  @Override
  public Integer call() throws IOException {
    try (LoadedPlugins loaded = new LoadedPlugins(plugins);
        Predictor p = Predictor.load(model, loaded.registry(), runtime.forBundle(model));
        BadRows bad = inputOptions.badRows(InputMixin.besides(out));
        DataFile d = DataFile.open(data, null, p.sideSpec(input), loaded.registry(), Dataset.ReadOptions.NONE, bad);
        VectorIndex.Writer w = VectorIndex.create(out, model, input, data)) {
      RuntimeMixin.warn(spec, p.runtimeWarning());
      PredictionStream.embed(p, d, input, inputOptions.threads(), (row, label, v, skipped) -> {
        if (v != null) {
          Object value = d.example(row).inputs().get(input);
          try {
            w.add(row + 1, d.line(row), value == null ? "" : value.toString(), v);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      });
      int n = w.commit();
      spec.commandLine().getErr().printf(java.util.Locale.ROOT, "indexed %d rows of %s (input '%s') in %s%n", n, data, input, out);
      if (!bad.summary().isEmpty()) {
        spec.commandLine().getErr().println(bad.summary());
      }
      spec.commandLine().getErr().flush();
    }
    return 0;
  }
}
