package io.mmfuse.fusion;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
    return create(config, sessionConfig, null);
  }

  /** Builds the graph on the placement runtime-gpu chose, with its session configuration. */
  public static FusedModel createOn(FusionConfig config, io.mmfuse.runtime.TensorFlowRuntime.Placement placement) {
    return create(config, placement.config(), placement.deviceSpec());
  }

  private static FusedModel create(FusionConfig config, ConfigProto sessionConfig, org.tensorflow.DeviceSpec device) {
    Graph graph = new Graph();
    try {
      FusionGraph model = FusionGraph.build(config, graph, device);
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
    load(Parameters.random(model, seed), "random initialization");
  }

  /** Assigns every parameter from {@code weights}, which must hold each one with the right shape. */
  public void load(Map<String, Weight> weights, String source) {
    Parameters.assign(session, model, weights, source, false);
  }

  /** Reads every parameter's current value. */
  public Map<String, Weight> weights() {
    return Parameters.read(session, model);
  }

  /** The outputs of a forward pass. */
  public record Output(int batch, int length, int width, float[] lastHiddenState, float[] pooled, float[] mask) {}

  /** Runs the model on one batch: every input of the config must be fed, with the same batch size. */
  public Output forward(Map<String, InputFeed> feeds) {
    List<Tensor> tensors = new ArrayList<>();
    try {
      Session.Runner runner = session.runner();
      Parameters.feed(runner, model.config(), feeds, tensors);
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
