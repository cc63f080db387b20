package io.mmfuse.examples.embedding;

import io.mmfuse.api.plugin.Plugins;
import io.mmfuse.fusion.inference.Predictor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** A service that loads a bundle once and scores rows from any thread. */
public final class ScoringService implements AutoCloseable {
  private final Predictor predictor;

  public ScoringService(Path bundle) {
    // The modality plugins on the class path (text, image, table, and any plugin jar added).
    predictor = Predictor.load(bundle, Plugins.load());
  }

  /** Class probabilities of one row: input name to value (a String, an image Path, a Map of table cells). */
  public Map<String, Float> score(Map<String, ?> row) {
    float[] p = predictor.predict(row);
    List<String> classes = predictor.classes();
    Map<String, Float> out = new java.util.LinkedHashMap<>();
    for (int c = 0; c < p.length; c++) {
      out.put(classes.get(c), p[c]);
    }
    return out;
  }

  /** The row's embedding (L2-normalized), for search and clustering. */
  public float[] embed(Map<String, ?> row) {
    return predictor.embed(row);
  }

  @Override
  public void close() {
    predictor.close();
  }
}
