package io.mmfuse.fusion.train;

import io.mmfuse.api.CheckpointException;
import io.mmfuse.api.proto.TokenKind;
import io.mmfuse.fusion.graph.FusionGraph;
import io.mmfuse.fusion.graph.InputConfig;
import io.mmfuse.fusion.graph.Weight;
import io.mmfuse.fusion.hf.HfCheckpoints;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Starts a model from a Hugging Face checkpoint: its encoder and pooler, and each of its input embeddings in the
 * model's input that tokenizes alike (same kind of tokens and the same vocabulary or feature width; the first such
 * input, each used once), whatever that input's modality plugin. Modality-type embeddings are taken only when their
 * shape fits; every other tensor must fit, or the error names it.
 */
final class PretrainedEncoder {
  private PretrainedEncoder() {}

  /** Loads what fits into {@code model}; returns how many tensors were loaded. */
  static int load(TrainingModel model, Path dir) {
    HfCheckpoints.Imported imported = HfCheckpoints.read(dir);
    FusionGraph graph = model.graph();
    Map<String, String> rename = new LinkedHashMap<>();
    Set<String> taken = new HashSet<>();
    for (InputConfig from : imported.config().inputs()) {
      for (InputConfig to : graph.config().inputs()) {
        if (!taken.contains(to.name()) && alike(from, to)) {
          taken.add(to.name());
          rename.put("embed/" + from.name() + "/", "embed/" + to.name() + "/");
          break;
        }
      }
    }
    Map<String, Weight> mapped = new LinkedHashMap<>();
    for (Map.Entry<String, Weight> e : imported.weights().entrySet()) {
      String name = e.getKey();
      if (name.startsWith("embed/") && !name.equals("embed/modality_types")) {
        String prefix = name.substring(0, name.indexOf('/', "embed/".length()) + 1);
        String to = rename.get(prefix);
        if (to == null) {
          continue;
        }
        name = to + name.substring(prefix.length());
      }
      FusionGraph.Parameter p = graph.parameters().get(name);
      if (p == null || name.equals("embed/modality_types") && !Arrays.equals(p.shape(), e.getValue().shape())) {
        continue;
      }
      mapped.put(name, e.getValue());
    }
    if (mapped.isEmpty()) {
      throw new CheckpointException("checkpoint " + dir + ": none of its tensors fits the model");
    }
    model.loadPartial(mapped, "checkpoint " + dir);
    return mapped.size();
  }

  private static boolean alike(InputConfig a, InputConfig b) {
    return a.kind() == b.kind()
        && (a.kind() == TokenKind.DISCRETE ? a.vocabularySize() == b.vocabularySize()
            : a.featureWidth() == b.featureWidth());
  }
}
