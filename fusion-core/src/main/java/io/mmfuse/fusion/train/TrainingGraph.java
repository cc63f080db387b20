package io.mmfuse.fusion.train;

import io.mmfuse.api.proto.Task;
import io.mmfuse.fusion.graph.FusionConfig;
import io.mmfuse.fusion.graph.FusionGraph;
import io.mmfuse.fusion.graph.InputConfig;
import io.mmfuse.fusion.graph.Names;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * A fused model wrapped for a task: the head on the pooled features, the serving outputs, the loss, and the
 * optimizer's step. The head is a dense layer from the pooler's output (or the first token, without a pooler) to
 * {@code outputs} logits; {@link Names#PREDICTIONS} is softmax probabilities (classification), sigmoid probabilities
 * (multi-label) or the values (regression); {@link Names#EMBEDDINGS} is the head's input, L2-normalized.
 */
public final class TrainingGraph {
  private final Graph graph;
  private final FusionGraph model;
  private final Task task;
  private final int outputs;
  private final Operand<TFloat32> predictions;
  private final Operand<TFloat32> embeddings;

  private TrainingGraph(Graph graph, FusionGraph model, Task task, int outputs, AdamW optimizer) {
    this.graph = graph;
    this.model = model;
    this.task = task;
    this.outputs = outputs;
    Ops tf = model.ops();
    int h = model.config().encoder().width();
    Operand<TFloat32> features = model.pooled();
    if (features == null) {
      features = tf.reshape(tf.slice(model.lastHiddenState(), tf.constant(new int[] {0, 0, 0}),
          tf.constant(new int[] {-1, 1, -1})), tf.constant(new int[] {-1, h}));
    }
    Operand<TFloat32> norm = tf.math.sqrt(tf.math.maximum(tf.reduceSum(tf.math.square(features), tf.constant(-1),
        org.tensorflow.op.core.ReduceSum.keepDims(true)), tf.constant(1e-12f)));
    embeddings = tf.withName(Names.EMBEDDINGS).math.div(features, norm);
    // The head is float32 whatever the encoder's precision: its logits feed the loss.
    Variable<TFloat32> w = model.addParameter("head/kernel", true, h, outputs);
    Variable<TFloat32> b = model.addParameter("head/bias", false, outputs);
    Operand<TFloat32> logits = tf.math.add(tf.linalg.matMul(features, w), b);
    predictions = switch (task) {
      case MULTI_LABEL -> tf.withName(Names.PREDICTIONS).math.sigmoid(logits);
      case REGRESSION -> tf.withName(Names.PREDICTIONS).identity(logits);
      default -> tf.withName(Names.PREDICTIONS).nn.softmax(logits);
    };
    Placeholder<TFloat32> labels =
        tf.withName(Names.LABELS).placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, outputs)));
    Operand<TFloat32> perExample = switch (task) {
      case MULTI_LABEL -> {
        // max(x, 0) - x z + log(1 + exp(-|x|)), with |x| = max(x, -x).
        Operand<TFloat32> abs = tf.math.maximum(logits, tf.math.neg(logits));
        Operand<TFloat32> ce = tf.math.add(tf.math.sub(tf.math.maximum(logits, tf.constant(0f)),
            tf.math.mul(logits, labels)), tf.math.log(tf.math.add(tf.constant(1f), tf.math.exp(tf.math.neg(abs)))));
        yield tf.math.mean(ce, tf.constant(1));
      }
      case REGRESSION -> tf.math.mean(tf.math.squaredDifference(logits, labels), tf.constant(1));
      default -> tf.nn.softmaxCrossEntropyWithLogits(logits, labels).loss();
    };
    Operand<TFloat32> loss = tf.withName(Names.LOSS).math.mean(perExample, tf.constant(0));
    Placeholder<TFloat32> lr =
        tf.withName(Names.LEARNING_RATE).placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
    optimizer.minimize(model, loss, lr);
  }

  /** Builds the fused model of {@code config} and wraps it for {@code task} with {@code outputs} outputs. */
  public static TrainingGraph build(FusionConfig config, Task task, int outputs, AdamW optimizer, Graph graph) {
    return new TrainingGraph(graph, FusionGraph.build(config, graph), task, outputs, optimizer);
  }

  public FusionGraph model() {
    return model;
  }

  public Task task() {
    return task;
  }

  public int outputs() {
    return outputs;
  }

  /**
   * The serving signature: every input feed under its {@link Names#signatureKey} key; outputs
   * {@link Names#PREDICTIONS}, {@link Names#EMBEDDINGS} and, where the encoder has layers, {@link Names#ATTENTION}.
   */
  public Signature servingSignature() {
    Signature.Builder sig = Signature.builder().key(Signature.DEFAULT_KEY);
    for (InputConfig in : model.config().inputs()) {
      for (Names.Feed f : in.feeds()) {
        sig.input(Names.signatureKey(in.name(), f), graph.operation(Names.feed(in.name(), f)).output(0));
      }
    }
    sig.output(Names.PREDICTIONS, predictions).output(Names.EMBEDDINGS, embeddings);
    if (model.attention() != null) {
      sig.output(Names.ATTENTION, model.attention());
    }
    return sig.build();
  }
}
