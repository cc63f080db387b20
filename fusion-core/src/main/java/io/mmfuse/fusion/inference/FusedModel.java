package io.mmfuse.fusion.inference;

import io.mmfuse.fusion.graph.FusionConfig;
import io.mmfuse.fusion.graph.FusionGraph;
import io.mmfuse.fusion.graph.Names;
import io.mmfuse.fusion.graph.Weight;
import io.mmfuse.fusion.internal.Parameters;
import io.mmfuse.fusion.session.Call;
import io.mmfuse.fusion.session.InputFeed;
import io.mmfuse.fusion.session.ModelSession;
import io.mmfuse.runtime.TensorFlowRuntime;
import java.util.Map;
import org.tensorflow.DeviceSpec;
import org.tensorflow.Graph;
import org.tensorflow.proto.ConfigProto;

/**
 * A fused encoder without a head, in its own graph and session: weights loaded (an imported Hugging Face checkpoint)
 * or initialized, then forward passes. Forward passes are thread-safe; loading weights is not concurrent with them.
 * Close it to free the native graph and session.
 */
public final class FusedModel implements AutoCloseable {
  static {
    // Before TensorFlow's native code loads: its INFO lines stay off standard error unless asked for.
    io.mmfuse.runtime.NativeLogging.quietByDefault();
  }

  private final FusionGraph model;
  private final ModelSession session;

  private FusedModel(FusionGraph model, ModelSession session) {
    this.model = model;
    this.session = session;
  }

  /** Builds the graph and a session configured by {@code sessionConfig} (null for TensorFlow's defaults). */
  public static FusedModel create(FusionConfig config, ConfigProto sessionConfig) {
    return create(config, sessionConfig, null);
  }

  /** Builds the graph on the placement runtime-gpu chose, with its session configuration. */
  public static FusedModel createOn(FusionConfig config, TensorFlowRuntime.Placement placement) {
    return create(config, placement.config(), placement.deviceSpec());
  }

  /**
   * For forward passes only, as a bundle serves ({@link FusionConfig#forServing}: float32, no dropout ops; attention
   * for oneDNN's fused kernel, {@link FusionGraph#buildForInference}): no gradient can be taken through its graph.
   * A null placement: TensorFlow's defaults, with a thread per part of the tokens
   * ({@link TensorFlowRuntime#forSequenceParts(ConfigProto, int)}).
   */
  public static FusedModel createForInference(FusionConfig config, TensorFlowRuntime.Placement placement) {
    return create(config.forServing(), placement == null ? null : placement.config(),
        placement == null ? null : placement.deviceSpec(), true);
  }

  private static FusedModel create(FusionConfig config, ConfigProto sessionConfig, DeviceSpec device) {
    return create(config, sessionConfig, device, false);
  }

  private static FusedModel create(FusionConfig config, ConfigProto sessionConfig, DeviceSpec device,
      boolean inference) {
    Graph graph = new Graph();
    FusionGraph model;
    try {
      model = inference ? FusionGraph.buildForInference(config, graph, device)
          : FusionGraph.build(config, graph, device);
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
    // A graph that runs its tokens in parts gets a thread for each where the configuration left threads open.
    return new FusedModel(model,
        ModelSession.create(graph, TensorFlowRuntime.forSequenceParts(sessionConfig, model.sequenceParts())));
  }

  public FusionConfig config() {
    return model.config();
  }

  public FusionGraph graph() {
    return model;
  }

  /** The session, for calls of one's own (a gradient check, a trace). */
  public ModelSession session() {
    return session;
  }

  /** Initializes every parameter: normal(0, 0.02) matrices and tables, zero biases, unit LayerNorm gains. */
  public void initializeRandom(long seed) {
    load(model.randomWeights(seed), "random initialization");
  }

  /** Assigns every parameter from {@code weights}, which must hold each one with the right shape. */
  public void load(Map<String, Weight> weights, String source) {
    Parameters.assign(session, model, weights, source, false);
  }

  /** Reads every parameter's current value. */
  public Map<String, Weight> weights() {
    return Parameters.read(session, model);
  }

  /** The outputs of a forward pass; {@code pooled} is null when the encoder has no pooler. */
  public record Output(int batch, int length, int width, float[] lastHiddenState, float[] pooled, float[] mask) {}

  /** Runs the model on one batch: every input of the config must be fed, with the same batch size. */
  public Output forward(Map<String, InputFeed> feeds) {
    try (Call call = session.call()) {
      call.feedInputs(model.config(), feeds);
      call.fetch(Names.LAST_HIDDEN_STATE).fetch(Names.FUSED_MASK);
      if (model.pooled() != null) {
        call.fetch(Names.POOLER_OUTPUT);
      }
      call.run();
      long[] s = call.shape(0);
      return new Output((int) s[0], (int) s[1], (int) s[2], call.floats(0),
          model.pooled() != null ? call.floats(2) : null, call.floats(1));
    }
  }

  @Override
  public void close() {
    session.close();
  }
}
