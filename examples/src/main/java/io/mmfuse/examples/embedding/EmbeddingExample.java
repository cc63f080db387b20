package io.mmfuse.examples.embedding;

import io.mmfuse.api.plugin.Plugins;
import io.mmfuse.fusion.inference.Predictor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Embedding mmfuse in a service: load a model bundle once, then predict from any thread. Run with a bundle and
 * {@code input.column=value} arguments, for example {@code table.age=42 table.colour=red caption="a red car"}: an
 * argument {@code name=value} gives a text input, {@code table.column=value} a cell of the table input.
 */
public final class EmbeddingExample {
  private EmbeddingExample() {}

  public static void main(String[] args) throws Exception {
    Map<String, Object> example = new LinkedHashMap<>();
    Map<String, String> table = new LinkedHashMap<>();
    for (String arg : List.of(args).subList(1, args.length)) {
      String[] kv = arg.split("=", 2);
      if (kv[0].startsWith("table.")) {
        table.put(kv[0].substring("table.".length()), kv[1]);
      } else {
        example.put(kv[0], kv[1]);
      }
    }
    if (!table.isEmpty()) {
      example.put("table", table);
    }
    // --8<-- [start:predict]
    try (Predictor predictor = Predictor.load(Path.of(args[0]), Plugins.load())) {
      float[] probabilities = predictor.predict(example);
      for (int c = 0; c < probabilities.length; c++) {
        System.out.printf(java.util.Locale.ROOT, "%s\t%.4f%n", predictor.classes().get(c), probabilities[c]);
      }
    }
    // --8<-- [end:predict]
  }
}
