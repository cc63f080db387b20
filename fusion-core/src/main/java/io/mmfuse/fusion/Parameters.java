package io.mmfuse.fusion;

import io.mmfuse.api.CheckpointException;
import io.mmfuse.api.InvalidInputException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;

/** Moving parameters and feeds in and out of a session: shared by {@link FusedModel} and {@link TaskModel}. */
final class Parameters {
  private Parameters() {}

  /** Normal(0, 0.02) matrices and tables, zero biases and LayerNorm offsets, unit LayerNorm gains. */
  static Map<String, Weight> random(FusionGraph model, long seed) {
    Random random = new Random(seed);
    Map<String, Weight> weights = new LinkedHashMap<>();
    for (FusionGraph.Parameter p : model.parameters().values()) {
      float[] data = new float[Math.toIntExact(p.size())];
      String n = p.name();
      if (n.endsWith("/gamma")) {
        java.util.Arrays.fill(data, 1f);
      } else if (!n.endsWith("/bias") && !n.endsWith("/beta")) {
        for (int i = 0; i < data.length; i++) {
          data[i] = (float) (random.nextGaussian() * 0.02);
        }
      }
      weights.put(n, new Weight(p.shape(), data));
    }
    return weights;
  }

  /**
   * Assigns parameters from {@code weights}: all of them ({@code partial} false, failing on any missing one) or those
   * present. Returns how many were assigned; every tensor created is closed.
   */
  static int assign(Session session, FusionGraph model, Map<String, Weight> weights, String source, boolean partial) {
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
    List<Tensor> tensors = new ArrayList<>();
    try {
      Session.Runner runner = session.runner();
      int n = 0;
      for (FusionGraph.Parameter p : model.parameters().values()) {
        Weight w = weights.get(p.name());
        if (w == null) {
          continue;
        }
        FusionGraph.checkShape(p, w.shape(), source);
        TFloat32 t = TFloat32.tensorOf(Shape.of(w.shape()), DataBuffers.of(w.data(), true, false));
        tensors.add(t);
        runner.feed(p.value(), t).addTarget(p.assign());
        n++;
      }
      if (n > 0) {
        runner.run();
      }
      return n;
    } finally {
      tensors.forEach(Tensor::close);
    }
  }

  /** Reads every parameter's current value in one run. */
  static Map<String, Weight> read(Session session, FusionGraph model) {
    Map<String, Weight> out = new LinkedHashMap<>();
    Session.Runner runner = session.runner();
    model.parameters().values().forEach(p -> runner.fetch(p.read()));
    try (Result r = runner.run()) {
      int i = 0;
      for (FusionGraph.Parameter p : model.parameters().values()) {
        float[] data = new float[Math.toIntExact(p.size())];
        ((TFloat32) r.get(i++)).copyTo(DataBuffers.of(data, false, false));
        out.put(p.name(), new Weight(p.shape(), data));
      }
    }
    return out;
  }

  /**
   * Validates the feeds of every input (same batch size; equal lengths under fusion {@code add}) and feeds their
   * tensors to the runner, adding them to {@code tensors} for the caller to close. Returns the batch size.
   */
  static int feed(Session.Runner runner, FusionConfig config, Map<String, InputFeed> feeds, List<Tensor> tensors) {
    int batch = -1;
    for (InputConfig in : config.inputs()) {
      InputFeed f = feeds.get(in.name());
      if (f == null) {
        throw new InvalidInputException("no feed for input '" + in.name() + "'");
      }
      f.validate(in);
      if (batch >= 0 && f.batch() != batch) {
        throw new InvalidInputException("input '" + in.name() + "' has " + f.batch() + " examples; others have "
            + batch);
      }
      batch = f.batch();
    }
    if (config.fusion().equals("add")) {
      int length = feeds.get(config.inputs().get(0).name()).length();
      for (InputConfig in : config.inputs()) {
        if (feeds.get(in.name()).length() != length) {
          throw new InvalidInputException("fusion 'add' sums inputs token by token, but '" + in.name() + "' has "
              + feeds.get(in.name()).length() + " tokens and '" + config.inputs().get(0).name() + "' " + length);
        }
      }
    }
    for (InputConfig in : config.inputs()) {
      for (Object[] t : feeds.get(in.name()).tensors(in)) {
        tensors.add((Tensor) t[1]);
        runner.feed((String) t[0], (Tensor) t[1]);
      }
    }
    return batch;
  }
}
