package io.mmfuse.fusion.train;

import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.proto.Task;
import io.mmfuse.fusion.bundle.BundleWriter;
import io.mmfuse.fusion.graph.FusionConfig;
import io.mmfuse.fusion.graph.FusionGraph;
import io.mmfuse.fusion.graph.Names;
import io.mmfuse.fusion.graph.Weight;
import io.mmfuse.fusion.internal.Parameters;
import io.mmfuse.fusion.session.Call;
import io.mmfuse.fusion.session.InputFeed;
import io.mmfuse.fusion.session.ModelSession;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.RunMetadata;

/**
 * A {@link TrainingGraph} in its own session: optimizer steps, predictions, weights in and out, checkpoints and the
 * SavedModel export. Close it to free the native graph and session.
 */
public final class TrainingModel implements AutoCloseable {
  static {
    // Before TensorFlow's native code loads: its INFO lines stay off standard error unless asked for.
    io.mmfuse.runtime.NativeLogging.quietByDefault();
  }

  private final TrainingGraph graph;
  private final ModelSession session;
  private final int projectionWidth;
  private final AdamW optimizer;
  private final ConfigProto sessionConfig;

  private TrainingModel(TrainingGraph graph, ModelSession session, int projectionWidth, AdamW optimizer,
      ConfigProto sessionConfig) {
    this.graph = graph;
    this.session = session;
    this.projectionWidth = projectionWidth;
    this.optimizer = optimizer;
    this.sessionConfig = sessionConfig;
  }

  /**
   * Builds the training graph and its session (null config: TensorFlow's defaults; null optimizer: a graph that only
   * predicts, as {@link #servingCopy} builds).
   */
  public static TrainingModel create(FusionConfig config, Task task, int outputs, AdamW optimizer,
      ConfigProto sessionConfig) {
    return create(config, task, outputs, 0, optimizer, sessionConfig);
  }

  /** As {@link #create(FusionConfig, Task, int, AdamW, ConfigProto)}, with a contrastive projection width. */
  public static TrainingModel create(FusionConfig config, Task task, int outputs, int projectionWidth,
      AdamW optimizer, ConfigProto sessionConfig) {
    Graph g = new Graph();
    TrainingGraph built;
    try {
      built = TrainingGraph.build(config, task, outputs, projectionWidth, optimizer, g);
    } catch (RuntimeException e) {
      g.close();
      throw e;
    }
    // A graph that only predicts runs its tokens in parts: a thread for each where the configuration left threads open.
    ConfigProto run = io.mmfuse.runtime.TensorFlowRuntime.forSequenceParts(sessionConfig, built.model().sequenceParts());
    return new TrainingModel(built, ModelSession.create(g, run), projectionWidth, optimizer, sessionConfig);
  }

  /** The fused model inside. */
  public FusionGraph graph() {
    return graph.model();
  }

  public Task task() {
    return graph.task();
  }

  public int outputs() {
    return graph.outputs();
  }

  /** Random parameters, zero optimizer state. */
  public void initializeRandom(long seed) {
    load(graph.model().randomWeights(seed), "random initialization");
  }

  /** Assigns parameters (every one must be given) and resets the optimizer state. */
  public void load(Map<String, Weight> weights, String source) {
    Parameters.assign(session, graph.model(), weights, source, false);
    if (optimizer != null) {
      session.run(Names.RESET_OPTIMIZER);
    }
  }

  /** Assigns the parameters that {@code weights} holds (the others keep their value), e.g. an imported encoder. */
  public void loadPartial(Map<String, Weight> weights, String source) {
    Parameters.assign(session, graph.model(), weights, source, true);
  }

  /** Reads every parameter. */
  public Map<String, Weight> weights() {
    return Parameters.read(session, graph.model());
  }

  /** One optimizer step on a batch; returns the batch's loss before the step. */
  public float trainStep(Map<String, InputFeed> feeds, float[] labels, float learningRate) {
    return trainStep(feeds, labels, learningRate, 0);
  }

  /** One optimizer step whose dropout masks are drawn from {@code seed} (the trainer passes the step number). */
  public float trainStep(Map<String, InputFeed> feeds, float[] labels, float learningRate, int seed) {
    try (Call call = trainCall(feeds, labels, learningRate, seed)) {
      return call.run().scalar(0);
    }
  }

  /** One optimizer step, as {@link #trainStep}, traced: where each op ran and for how long (for profiling). */
  public RunMetadata traceTrainStep(Map<String, InputFeed> feeds, float[] labels, float learningRate, int seed) {
    try (Call call = trainCall(feeds, labels, learningRate, seed)) {
      return call.traced().run().metadata();
    }
  }

  private Call trainCall(Map<String, InputFeed> feeds, float[] labels, float learningRate, int seed) {
    if (optimizer == null) {
      throw new IllegalStateException("this model is a serving copy: it has no optimizer to step");
    }
    Call call = session.call();
    try {
      int batch = call.feedInputs(graph.model().config(), feeds);
      if (labels.length != batch * graph.outputs()) {
        throw new InvalidInputException("labels: expected " + batch + " x " + graph.outputs() + " values, found "
            + labels.length);
      }
      call.feedFloats(Names.LABELS, labels, batch, graph.outputs()).feedScalar(Names.LEARNING_RATE, learningRate)
          .feedScalar(Names.TRAINING, 1f).feedInts(Names.DROPOUT_SEED, new int[] {seed, 7919}, 2)
          .target(Names.TRAIN_STEP).fetch(Names.LOSS);
      return call;
    } catch (RuntimeException e) {
      call.close();
      throw e;
    }
  }

  /** Predictions [B, outputs] for a batch (no dropout). */
  public float[] predict(Map<String, InputFeed> feeds) {
    try (Call call = session.call()) {
      call.feedInputs(graph.model().config(), feeds);
      return call.fetch(Names.PREDICTIONS).run().floats(0);
    }
  }

  /** The named outputs ({@link Names#EMBEDDINGS}, ...) for a batch (no dropout), each row-major. */
  public List<float[]> outputs(Map<String, InputFeed> feeds, String... names) {
    try (Call call = session.call()) {
      call.feedInputs(graph.model().config(), feeds);
      for (String n : names) {
        call.fetch(n);
      }
      call.run();
      List<float[]> out = new java.util.ArrayList<>();
      for (int i = 0; i < names.length; i++) {
        out.add(call.floats(i));
      }
      return out;
    }
  }

  /** Runs {@link #predict} once, traced: where each op ran and for how long (for profiling). */
  public RunMetadata traceForward(Map<String, InputFeed> feeds) {
    try (Call call = session.call()) {
      call.feedInputs(graph.model().config(), feeds);
      return call.fetch(Names.PREDICTIONS).traced().run().metadata();
    }
  }

  /** Saves every variable (parameters and optimizer state) to a checkpoint prefix. */
  public void saveCheckpoint(Path prefix) {
    session.save(prefix);
  }

  /** Restores every variable from a checkpoint prefix. */
  public void restoreCheckpoint(Path prefix) {
    session.restore(prefix);
  }

  /**
   * Writes this model's SavedModel, with the serving signature of {@link TrainingGraph#servingSignature()}: from
   * {@link #servingCopy} where the serving graph differs from this one.
   */
  public void exportTo(BundleWriter bundle) {
    java.util.Optional<TrainingModel> serving = servingCopy();
    if (serving.isEmpty()) {
      bundle.savedModel(session.session(), graph.servingSignature());
      return;
    }
    try (TrainingModel copy = serving.get()) {
      bundle.savedModel(copy.session.session(), copy.graph.servingSignature());
    }
  }

  /**
   * The same model as a bundle serves it, with this model's current weights (the caller closes it); empty where this
   * model is such a copy already. The serving graph:
   * <ul>
   *   <li>is float32 whatever the model trained in ({@link FusionConfig#forServing}): bfloat16 is fast only on some
   *       machines, and a bundle must run well on any (the trained weights are float32 already: mixed precision casts
   *       at each product);
   *   <li>has no dropout, whose ops (a random draw the size of each tensor it masks) would run in every prediction
   *       though they change nothing there;
   *   <li>has no optimizer: no gradients, and none of AdamW's two moments per parameter, which would make the bundle
   *       three times the size of its weights.
   * </ul>
   */
  public java.util.Optional<TrainingModel> servingCopy() {
    if (optimizer == null) {
      return java.util.Optional.empty();
    }
    TrainingModel copy = create(graph.model().config().forServing(), graph.task(), graph.outputs(), projectionWidth,
        null, sessionConfig);
    try {
      copy.load(weights(), "the trained weights");
      return java.util.Optional.of(copy);
    } catch (RuntimeException e) {
      copy.close();
      throw e;
    }
  }

  @Override
  public void close() {
    session.close();
  }
}
