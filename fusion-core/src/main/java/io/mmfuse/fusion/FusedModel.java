package io.mmfuse.fusion;

import io.mmfuse.api.CheckpointException;
import io.mmfuse.api.InvalidInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;

/**
 * A fused model with its graph and session: weights loaded or initialized, then forward passes. Forward passes are
 * thread-safe (each uses its own runner and closes every tensor it creates); loading weights is not concurrent with
 * them. Close it to free the native graph and session.
 */
public final class FusedModel implements AutoCloseable {
  private final Graph graph;
  private final FusionGraph model;
  private final Session session;

  private FusedModel(Graph graph, FusionGraph model, Session session) {
    this.graph = graph;
    this.model = model;
    this.session = session;
  }

  /** Builds the graph and a session configured by {@code sessionConfig} (null for TensorFlow's defaults). */
  public static FusedModel create(FusionConfig config, ConfigProto sessionConfig) {
    Graph graph = new Graph();
    try {
      FusionGraph model = FusionGraph.build(config, graph);
      Session session = sessionConfig == null ? new Session(graph) : new Session(graph, sessionConfig);
      return new FusedModel(graph, model, session);
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
  }

  public FusionConfig config() {
    return model.config();
  }

  public FusionGraph graph() {
    return model;
  }

  public Session session() {
    return session;
  }

  /** Initializes every parameter: normal(0, 0.02) matrices and tables, zero biases, unit LayerNorm gains. */
  public void initializeRandom(long seed) {
    Random random = new Random(seed);
    Map<String, Weight> weights = new java.util.LinkedHashMap<>();
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
    load(weights, "random initialization");
  }

  /** Assigns every parameter from {@code weights}, which must hold each one with the right shape. */
  public void load(Map<String, Weight> weights, String source) {
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
    List<Tensor> tensors = new ArrayList<>();
    try {
      Session.Runner runner = session.runner();
      for (FusionGraph.Parameter p : model.parameters().values()) {
        Weight w = weights.get(p.name());
        FusionGraph.checkShape(p, w.shape(), source);
        TFloat32 t = TFloat32.tensorOf(Shape.of(w.shape()), DataBuffers.of(w.data(), true, false));
        tensors.add(t);
        runner.feed(p.value(), t).addTarget(p.assign());
      }
      runner.run();
    } finally {
      tensors.forEach(Tensor::close);
    }
  }

  /** Reads every parameter's current value. */
  public Map<String, Weight> weights() {
    Map<String, Weight> out = new java.util.LinkedHashMap<>();
    Session.Runner runner = session.runner();
    model.parameters().values().forEach(p -> runner.fetch(p.read()));
    try (Result r = runner.run()) {
      int i = 0;
      for (FusionGraph.Parameter p : model.parameters().values()) {
        TFloat32 t = (TFloat32) r.get(i++);
        float[] data = new float[Math.toIntExact(p.size())];
        t.copyTo(DataBuffers.of(data, false, false));
        out.put(p.name(), new Weight(p.shape(), data));
      }
    }
    return out;
  }

  /** The outputs of a forward pass. */
  public record Output(int batch, int length, int width, float[] lastHiddenState, float[] pooled, float[] mask) {}

  /** Runs the model on one batch: every input of the config must be fed, with the same batch size. */
  public Output forward(Map<String, InputFeed> feeds) {
    int batch = -1;
    for (InputConfig in : model.config().inputs()) {
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
    if (model.config().fusion().equals("add")) {
      int length = feeds.get(model.config().inputs().get(0).name()).length();
      for (InputConfig in : model.config().inputs()) {
        if (feeds.get(in.name()).length() != length) {
          throw new InvalidInputException("fusion 'add' sums inputs token by token, but '" + in.name() + "' has "
              + feeds.get(in.name()).length() + " tokens and '" + model.config().inputs().get(0).name() + "' "
              + length);
        }
      }
    }
    List<Tensor> tensors = new ArrayList<>();
    try {
      Session.Runner runner = session.runner();
      for (InputConfig in : model.config().inputs()) {
        for (Object[] t : feeds.get(in.name()).tensors(in)) {
          tensors.add((Tensor) t[1]);
          runner.feed((String) t[0], (Tensor) t[1]);
        }
      }
      runner.fetch(model.lastHiddenState()).fetch(model.fusedMask());
      if (model.pooled() != null) {
        runner.fetch(model.pooled());
      }
      try (Result r = runner.run()) {
        TFloat32 h = (TFloat32) r.get(0);
        Shape s = h.shape();
        float[] last = new float[Math.toIntExact(s.size())];
        h.copyTo(DataBuffers.of(last, false, false));
        TFloat32 m = (TFloat32) r.get(1);
        float[] mask = new float[Math.toIntExact(m.shape().size())];
        m.copyTo(DataBuffers.of(mask, false, false));
        float[] pooled = null;
        if (model.pooled() != null) {
          TFloat32 p = (TFloat32) r.get(2);
          pooled = new float[Math.toIntExact(p.shape().size())];
          p.copyTo(DataBuffers.of(pooled, false, false));
        }
        return new Output((int) s.get(0), (int) s.get(1), (int) s.get(2), last, pooled, mask);
      }
    } finally {
      tensors.forEach(Tensor::close);
    }
  }

  @Override
  public void close() {
    try {
      session.close();
    } finally {
      graph.close();
    }
  }
}
