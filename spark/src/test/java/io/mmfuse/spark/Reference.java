package io.mmfuse.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mmfuse.api.plugin.Plugins;
import io.mmfuse.fusion.data.BadRows;
import io.mmfuse.fusion.data.DataFile;
import io.mmfuse.fusion.data.Dataset.ReadOptions;
import io.mmfuse.fusion.inference.Predictor;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;

/** The Predictor's outputs on the test bundle's rows, read as {@code mmfuse predict} reads them, by row id. */
final class Reference {
  final Map<String, float[]> probs = new HashMap<>();
  final Map<String, float[]> embeddings = new HashMap<>();
  final List<String> classes;

  Reference() throws Exception {
    var registry = Plugins.load();
    try (Predictor p = Predictor.load(TestBundles.bundle(), registry);
        DataFile d = DataFile.open(TestBundles.data(), null, p.spec(), registry,
            new ReadOptions(Set.of("id"), Map.of(), null), BadRows.FAIL)) {
      classes = p.classes();
      List<String> lines = Files.readAllLines(TestBundles.data());
      for (int row = 0; row < d.size(); row++) {
        String id = lines.get(row + 1).split(",")[0];
        Map<String, Object> ex = d.example(row).inputs();
        probs.put(id, p.predict(ex));
        embeddings.put(id, p.embed(ex));
      }
    }
  }

  /** Each row's probabilities (a vector at {@code probAt}) and embedding (at {@code embAt}) are the Predictor's. */
  void assertMatches(List<Row> out, int idAt, int probAt, int embAt) {
    for (Row r : out) {
      String id = r.getString(idAt);
      float[] want = probs.get(id);
      double[] got = ((Vector) r.get(probAt)).toArray();
      assertEquals(want.length, got.length);
      for (int c = 0; c < want.length; c++) {
        assertEquals(want[c], got[c], 1e-5, "row " + id + " class " + c);
      }
      if (embAt < 0) {
        continue;
      }
      List<Float> e = r.getList(embAt);
      float[] wantE = embeddings.get(id);
      assertEquals(wantE.length, e.size());
      for (int k = 0; k < wantE.length; k++) {
        assertEquals(wantE[k], e.get(k), 1e-5, "row " + id + " embedding " + k);
      }
    }
  }
}
