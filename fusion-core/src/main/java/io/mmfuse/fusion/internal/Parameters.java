package io.mmfuse.fusion.internal;

import io.mmfuse.api.CheckpointException;
import io.mmfuse.fusion.graph.FusionGraph;
import io.mmfuse.fusion.graph.Weight;
import io.mmfuse.fusion.session.Call;
import io.mmfuse.fusion.session.ModelSession;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Moves a fused model's parameters in and out of its session, in one run each way. */
public final class Parameters {
  private Parameters() {}

  /**
   * Assigns parameters from {@code weights}: all of them ({@code partial} false, failing on any missing one) or those
   * present. Every shape is checked before anything is assigned. Returns how many were assigned.
   */
  public static int assign(ModelSession session, FusionGraph model, Map<String, Weight> weights, String source,
      boolean partial) {
    if (!partial) {
      List<String> missing = new ArrayList<>();
      for (String name : model.parameters().keySet()) {
        if (!weights.containsKey(name)) {
          missing.add(name);
        }
      }
      if (!missing.isEmpty()) {
        throw new CheckpointException(source + ": no value for " + missing.size() + " parameter(s): "
            + String.join(", ", missing.subList(0, Math.min(8, missing.size()))));
      }
    }
    for (FusionGraph.Parameter p : model.parameters().values()) {
      Weight w = weights.get(p.name());
      if (w != null && !Arrays.equals(p.shape(), w.shape())) {
        throw new CheckpointException(source + ": tensor " + p.name() + " has shape " + Arrays.toString(w.shape())
            + "; the model expects " + Arrays.toString(p.shape()));
      }
    }
    try (Call call = session.call()) {
      int n = 0;
      for (FusionGraph.Parameter p : model.parameters().values()) {
        Weight w = weights.get(p.name());
        if (w != null) {
          call.feedFloats(p.value().op().name(), w.data(), w.shape()).target(p.assign());
          n++;
        }
      }
      if (n > 0) {
        call.run();
      }
      return n;
    }
  }

  /** Reads every parameter's current value. */
  public static Map<String, Weight> read(ModelSession session, FusionGraph model) {
    Map<String, Weight> out = new LinkedHashMap<>();
    try (Call call = session.call()) {
      model.parameters().values().forEach(p -> call.fetch(p.read()));
      call.run();
      int i = 0;
      for (FusionGraph.Parameter p : model.parameters().values()) {
        out.put(p.name(), new Weight(p.shape(), call.floats(i++)));
      }
    }
    return out;
  }
}
