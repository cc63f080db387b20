package io.mmfuse.fusion;

import io.mmfuse.api.InvalidInputException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.SessionFunction;
import org.tensorflow.Signature;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Assign;
import org.tensorflow.op.core.Gradients;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.core.ReduceSum;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;

/**
 * A fused model with a task head, its loss and an AdamW optimizer, in one graph and session.
 *
 * <p>AdamW is written with graph ops (TF Java has none): decoupled weight decay on dense kernels only (no decay on
 * biases, LayerNorm, embeddings), the learning rate fed each step (the schedule is computed by the trainer), and the
 * gradients clipped by their global norm. The serving output {@code predictions} is softmax probabilities
 * (classification), sigmoid probabilities (multi-label) or values (regression).
 */
public final class TaskModel implements AutoCloseable {
  /** What the head predicts. */
  public enum Task {
    CLASSIFICATION,
    MULTI_LABEL,
    REGRESSION
  }

  /** Optimizer settings fixed in the graph. */
  public record Optimizer(float beta1, float beta2, float epsilon, float weightDecay, float clipNorm) {
    public static Optimizer defaults() {
      return new Optimizer(0.9f, 0.999f, 1e-8f, 0.01f, 1.0f);
    }
  }

  public static final String PREDICTIONS = "predictions";
  public static final String LABELS = "train.labels";
  public static final String LEARNING_RATE = "train.lr";
  public static final String LOSS = "train.loss";

  private final Graph graph;
  private final FusionGraph model;
  private final Session session;
  private final Task task;
  private final int outputs;
  private final Operand<TFloat32> predictions;
  private final Operand<TFloat32> loss;
  private final Op trainOp;
  private final Op resetSlots;
  private final List<FusionGraph.Parameter> slots = new ArrayList<>();

  private TaskModel(FusionConfig config, Task task, int outputs, Optimizer opt, ConfigProto sessionConfig) {
    this.task = task;
    this.outputs = outputs;
    this.graph = new Graph();
    try {
      this.model = FusionGraph.build(config, graph);
      Ops tf = model.ops();
      int h = config.encoder().width();
      Operand<TFloat32> features = model.pooled();
      if (features == null) {
        features = tf.reshape(tf.slice(model.lastHiddenState(), tf.constant(new int[] {0, 0, 0}),
            tf.constant(new int[] {-1, 1, -1})), tf.constant(new int[] {-1, h}));
      }
      Operand<TFloat32> logits = model.head(features, outputs);
      predictions = switch (task) {
        case CLASSIFICATION -> tf.withName(PREDICTIONS).nn.softmax(logits);
        case MULTI_LABEL -> tf.withName(PREDICTIONS).math.sigmoid(logits);
        case REGRESSION -> tf.withName(PREDICTIONS).identity(logits);
      };
      Placeholder<TFloat32> labels =
          tf.withName(LABELS).placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, outputs)));
      Operand<TFloat32> perExample = switch (task) {
        case CLASSIFICATION -> tf.nn.softmaxCrossEntropyWithLogits(logits, labels).loss();
        case MULTI_LABEL -> {
          // max(x, 0) - x z + log(1 + exp(-|x|)), with |x| = max(x, -x).
          Operand<TFloat32> abs = tf.math.maximum(logits, tf.math.neg(logits));
          Operand<TFloat32> ce = tf.math.add(tf.math.sub(tf.math.maximum(logits, tf.constant(0f)),
              tf.math.mul(logits, labels)), tf.math.log(tf.math.add(tf.constant(1f), tf.math.exp(tf.math.neg(abs)))));
          yield tf.math.mean(ce, tf.constant(1));
        }
        case REGRESSION -> tf.math.mean(tf.math.squaredDifference(logits, labels), tf.constant(1));
      };
      loss = tf.withName(LOSS).math.mean(perExample, tf.constant(0));
      Placeholder<TFloat32> lr = tf.withName(LEARNING_RATE).placeholder(TFloat32.class,
          Placeholder.shape(Shape.scalar()));
      List<FusionGraph.Parameter> params = new ArrayList<>(model.parameters().values());
      List<Operand<?>> vars = new ArrayList<>();
      params.forEach(p -> vars.add(p.variable()));
      Gradients grads = tf.gradients(loss, vars);
      // Global-norm clipping.
      List<Operand<TFloat32>> squares = new ArrayList<>();
      for (int i = 0; i < params.size(); i++) {
        Operand<TFloat32> g = grads.dy(i);
        squares.add(tf.reduceSum(tf.math.square(g), tf.range(tf.constant(0), tf.rank(g), tf.constant(1)),
            ReduceSum.keepDims(false)));
      }
      Operand<TFloat32> norm = tf.math.sqrt(tf.math.addN(squares));
      Operand<TFloat32> clip = tf.constant(opt.clipNorm());
      Operand<TFloat32> scale = tf.math.div(clip, tf.math.maximum(norm, clip));
      Variable<TFloat32> step = model.slot("train/step", new long[0]);
      Operand<TFloat32> t = tf.math.add(step, tf.constant(1f));
      Operand<TFloat32> c1 = tf.math.sub(tf.constant(1f), tf.math.pow(tf.constant(opt.beta1()), t));
      Operand<TFloat32> c2 = tf.math.sub(tf.constant(1f), tf.math.pow(tf.constant(opt.beta2()), t));
      List<Op> updates = new ArrayList<>();
      updates.add(tf.assign(step, t));
      for (int i = 0; i < params.size(); i++) {
        FusionGraph.Parameter p = params.get(i);
        Operand<TFloat32> g = tf.math.mul(grads.dy(i), scale);
        Variable<TFloat32> m = model.slot("train/m/" + p.name(), p.shape());
        Variable<TFloat32> v = model.slot("train/v/" + p.name(), p.shape());
        Operand<TFloat32> mNew = tf.math.add(tf.math.mul(tf.constant(opt.beta1()), m),
            tf.math.mul(tf.constant(1 - opt.beta1()), g));
        Operand<TFloat32> vNew = tf.math.add(tf.math.mul(tf.constant(opt.beta2()), v),
            tf.math.mul(tf.constant(1 - opt.beta2()), tf.math.square(g)));
        Operand<TFloat32> update = tf.math.div(tf.math.div(mNew, c1),
            tf.math.add(tf.math.sqrt(tf.math.div(vNew, c2)), tf.constant(opt.epsilon())));
        if (p.decays() && opt.weightDecay() > 0) {
          update = tf.math.add(update, tf.math.mul(tf.constant(opt.weightDecay()), p.variable()));
        }
        updates.add(tf.assign(m, mNew));
        updates.add(tf.assign(v, vNew));
        updates.add(tf.assign(p.variable(), tf.math.sub(p.variable(), tf.math.mul(lr, update))));
      }
      trainOp = tf.withName("train.step_op").withControlDependencies(updates).noOp();
      List<Op> zero = new ArrayList<>();
      for (FusionGraph.Parameter s : model.slots().values()) {
        zero.add(tf.assign(s.variable(), tf.zeros(tf.constant(toInts(s.shape())), TFloat32.class)));
      }
      resetSlots = tf.withName("train.reset_slots").withControlDependencies(zero).noOp();
      session = sessionConfig == null ? new Session(graph) : new Session(graph, sessionConfig);
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
  }

  private static int[] toInts(long[] shape) {
    int[] out = new int[shape.length];
    for (int i = 0; i < shape.length; i++) {
      out[i] = (int) shape[i];
    }
    return out;
  }

  /** Builds the graph and session of a task model. */
  public static TaskModel create(FusionConfig config, Task task, int outputs, Optimizer opt, ConfigProto session) {
    return new TaskModel(config, task, outputs, opt, session);
  }

  public FusionGraph graph() {
    return model;
  }

  public Session session() {
    return session;
  }

  public Task task() {
    return task;
  }

  public int outputs() {
    return outputs;
  }

  /** Random parameters, zero optimizer state. */
  public void initializeRandom(long seed) {
    load(Parameters.random(model, seed), "random initialization");
  }

  /** Assigns parameters (every one must be given) and resets the optimizer state. */
  public void load(Map<String, Weight> weights, String source) {
    Parameters.assign(session, model, weights, source, false);
    session.run(resetSlots);
  }

  /** Assigns the parameters that {@code weights} holds (the others keep their value), e.g. an imported encoder. */
  public void loadPartial(Map<String, Weight> weights, String source) {
    Parameters.assign(session, model, weights, source, true);
  }

  /** Reads every parameter. */
  public Map<String, Weight> weights() {
    return Parameters.read(session, model);
  }

  /** One optimizer step on a batch; returns the batch's loss before the step. */
  public float trainStep(Map<String, InputFeed> feeds, float[] labels, float learningRate) {
    return trainStep(feeds, labels, learningRate, 0);
  }

  /** One optimizer step whose dropout masks are drawn from {@code seed} (the trainer passes the step number). */
  public float trainStep(Map<String, InputFeed> feeds, float[] labels, float learningRate, int seed) {
    List<Tensor> tensors = new ArrayList<>();
    try (Result r = trainRunner(feeds, labels, learningRate, seed, tensors).run()) {
      return ((TFloat32) r.get(0)).getFloat();
    } finally {
      tensors.forEach(Tensor::close);
    }
  }

  /**
   * One optimizer step, as {@link #trainStep} (it updates the weights and the optimizer state), run with a full
   * trace: where each op ran and for how long (for profiling).
   */
  public org.tensorflow.proto.RunMetadata traceTrainStep(Map<String, InputFeed> feeds, float[] labels,
      float learningRate, int seed) {
    List<Tensor> tensors = new ArrayList<>();
    try (Result r = trainRunner(feeds, labels, learningRate, seed, tensors)
        .setOptions(io.mmfuse.runtime.TensorFlowRuntime.fullTrace()).runAndFetchMetadata()) {
      return r.getMetadata().orElseThrow();
    } finally {
      tensors.forEach(Tensor::close);
    }
  }

  /** A runner for one training step fetching the loss; the tensors it creates go to {@code tensors}. */
  private Session.Runner trainRunner(Map<String, InputFeed> feeds, float[] labels, float learningRate, int seed,
      List<Tensor> tensors) {
    Session.Runner runner = session.runner();
    int batch = Parameters.feed(runner, model.config(), feeds, tensors);
    if (labels.length != batch * outputs) {
      throw new InvalidInputException("labels: expected " + batch + " x " + outputs + " values, found "
          + labels.length);
    }
    TFloat32 y = TFloat32.tensorOf(Shape.of(batch, outputs), DataBuffers.of(labels, true, false));
    tensors.add(y);
    TFloat32 lr = TFloat32.scalarOf(learningRate);
    tensors.add(lr);
    TFloat32 training = TFloat32.scalarOf(1f);
    tensors.add(training);
    org.tensorflow.types.TInt32 dropoutSeed = org.tensorflow.types.TInt32.vectorOf(seed, 7919);
    tensors.add(dropoutSeed);
    return runner.feed(LABELS, y).feed(LEARNING_RATE, lr).feed(FusionGraph.TRAINING, training)
        .feed(FusionGraph.DROPOUT_SEED, dropoutSeed).addTarget(trainOp).fetch(loss);
  }

  /** Predictions [B, outputs] for a batch (no dropout). */
  public float[] predict(Map<String, InputFeed> feeds) {
    List<Tensor> tensors = new ArrayList<>();
    try (Result r = predictRunner(feeds, tensors).run()) {
      TFloat32 p = (TFloat32) r.get(0);
      float[] out = new float[Math.toIntExact(p.shape().size())];
      p.copyTo(DataBuffers.of(out, false, false));
      return out;
    } finally {
      tensors.forEach(Tensor::close);
    }
  }

  /** Runs {@link #predict} once with a full trace: where each op ran and for how long (for profiling). */
  public org.tensorflow.proto.RunMetadata traceForward(Map<String, InputFeed> feeds) {
    List<Tensor> tensors = new ArrayList<>();
    try (Result r = predictRunner(feeds, tensors).setOptions(io.mmfuse.runtime.TensorFlowRuntime.fullTrace())
        .runAndFetchMetadata()) {
      return r.getMetadata().orElseThrow();
    } finally {
      tensors.forEach(Tensor::close);
    }
  }

  private Session.Runner predictRunner(Map<String, InputFeed> feeds, List<Tensor> tensors) {
    Session.Runner runner = session.runner();
    Parameters.feed(runner, model.config(), feeds, tensors);
    return runner.fetch(predictions);
  }

  /** Saves every variable (parameters and optimizer state) to a checkpoint prefix. */
  public void saveCheckpoint(Path prefix) {
    session.save(prefix.toString());
  }

  /** Restores every variable from a checkpoint prefix. */
  public void restoreCheckpoint(Path prefix) {
    session.restore(prefix.toString());
  }

  /** Exports a SavedModel whose serving signature takes the token tensors and returns the predictions. */
  public void exportSavedModel(Path dir) {
    Signature.Builder sig = Signature.builder().key(Signature.DEFAULT_KEY);
    for (var op : (Iterable<org.tensorflow.GraphOperation>) graph::operations) {
      if (op.type().equals("Placeholder") && !op.name().endsWith(".init_value")
          && !op.name().startsWith("train.")) {
        sig.input(op.name().replace('.', '_'), op.output(0));
      }
    }
    sig.output(PREDICTIONS, predictions);
    try {
      SavedModelBundle.exporter(dir.toString()).withSession(session)
          .withFunction(SessionFunction.create(sig.build(), session)).export();
    } catch (java.io.IOException e) {
      throw new io.mmfuse.api.CheckpointException("SavedModel " + dir + ": cannot be written: " + e, e);
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
