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
 * {@code outputs} logits (without an optimizer, a graph that predicts but has no step: a bundle's serving graph);
 * {@link Names#PREDICTIONS} is softmax probabilities (classification), sigmoid probabilities
 * (multi-label) or the values (regression); {@link Names#EMBEDDINGS} is the head's input, L2-normalized.
 */
public final class TrainingGraph {
  private final Graph graph;
  private final FusionGraph model;
  private final Task task;
  private final int outputs;
  private final Operand<TFloat32> predictions;
  private final Operand<TFloat32> embeddings;
  private Operand<TFloat32> embeddingsB;

  /** Contrastive: the learned temperature starts at 1/0.07, as CLIP's, and the logit scale is clamped at 100. */
  static final float INITIAL_SCALE = 1 / 0.07f;
  static final float MAX_SCALE = 100f;

  private final int projectionWidth;

  private TrainingGraph(Graph graph, FusionGraph model, Task task, int outputs, int projectionWidth,
      AdamW optimizer) {
    this.graph = graph;
    this.projectionWidth = projectionWidth;
    this.model = model;
    this.task = task;
    this.outputs = outputs;
    Ops tf = model.ops();
    int h = model.config().encoder().width();
    if (task == Task.CONTRASTIVE) {
      Operand<TFloat32>[] both = contrastive(tf, h, outputs);
      predictions = both[0];
      embeddings = both[1];
      Placeholder<TFloat32> lr =
          tf.withName(Names.LEARNING_RATE).placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
      if (optimizer != null) {
        optimizer.minimize(model, both[2], lr);
      }
      return;
    }
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
    if (optimizer != null) {
      optimizer.minimize(model, loss, lr);
    }
  }

  private static Operand<TFloat32> normalized(Ops tf, Operand<TFloat32> x) {
    Operand<TFloat32> norm = tf.math.sqrt(tf.math.maximum(tf.reduceSum(tf.math.square(x), tf.constant(-1),
        org.tensorflow.op.core.ReduceSum.keepDims(true)), tf.constant(1e-12f)));
    return tf.math.div(x, norm);
  }

  /**
   * The contrastive head: each side's pooled vector ({@link io.mmfuse.fusion.graph.SideFusion}) projected by its own
   * matrix and L2-normalized; logits are the in-batch cosine similarities times a learned scale; the loss is the
   * mean of the cross-entropies over rows (A to B) and over columns (B to A), the pair itself the target. The labels
   * feed {@code [B, 2]} holds, per row, the index of the first row of the batch with the same side A and the same
   * side B: two rows that share a side are not counted as each other's negatives. Returns predictions (each pair's
   * similarity, [B, 1]), side A's embeddings and the loss.
   */
  @SuppressWarnings("unchecked")
  private Operand<TFloat32>[] contrastive(Ops tf, int h, int labelWidth) {
    Operand<TFloat32> pooled = model.pooled();
    if (pooled == null || labelWidth != 2) {
      throw new IllegalStateException("a contrastive head needs the sides' pooling and [B, 2] labels");
    }
    int p = projectionWidth > 0 ? projectionWidth : h;
    Operand<TFloat32> a = tf.slice(pooled, tf.constant(new int[] {0, 0}), tf.constant(new int[] {-1, h}));
    Operand<TFloat32> b = tf.slice(pooled, tf.constant(new int[] {0, h}), tf.constant(new int[] {-1, h}));
    Variable<TFloat32> wa = model.addParameter("contrastive/projection_a", true, h, p);
    Variable<TFloat32> wb = model.addParameter("contrastive/projection_b", true, h, p);
    Operand<TFloat32> za = tf.withName(Names.EMBEDDINGS).identity(normalized(tf, tf.linalg.matMul(a, wa)));
    Operand<TFloat32> zb = normalized(tf, tf.linalg.matMul(b, wb));
    embeddingsB = tf.withName(Names.EMBEDDINGS_B).identity(zb);
    Operand<TFloat32> similarity = tf.withName(Names.PREDICTIONS).reduceSum(tf.math.mul(za, zb), tf.constant(1),
        org.tensorflow.op.core.ReduceSum.keepDims(true));
    // The logit scale, learned in log space as an offset from log(1/0.07) (a bias: it starts at zero).
    Variable<TFloat32> logScale = model.addParameter("contrastive/log_scale/bias", false, 1);
    Operand<TFloat32> scale = tf.math.minimum(tf.math.exp(tf.math.add(tf.reshape(logScale, tf.constant(new int[0])),
        tf.constant((float) Math.log(INITIAL_SCALE)))), tf.constant(MAX_SCALE));
    Operand<TFloat32> logits = tf.math.mul(tf.linalg.matMul(za, zb, org.tensorflow.op.linalg.MatMul.transposeB(true)),
        scale);
    Placeholder<TFloat32> labels =
        tf.withName(Names.LABELS).placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 2)));
    Operand<TFloat32> idA = tf.slice(labels, tf.constant(new int[] {0, 0}), tf.constant(new int[] {-1, 1}));
    Operand<TFloat32> idB = tf.slice(labels, tf.constant(new int[] {0, 1}), tf.constant(new int[] {-1, 1}));
    Operand<TFloat32> sameA = tf.dtypes.cast(tf.math.equal(idA, tf.linalg.transpose(idA, tf.constant(new int[] {1,
        0}))), TFloat32.class);
    Operand<TFloat32> sameB = tf.dtypes.cast(tf.math.equal(idB, tf.linalg.transpose(idB, tf.constant(new int[] {1,
        0}))), TFloat32.class);
    Operand<org.tensorflow.types.TInt32> count = tf.reshape(tf.slice(tf.shape(idA), tf.constant(new int[] {0}),
        tf.constant(new int[] {1})), tf.constant(new int[0]));
    Operand<TFloat32> n = tf.dtypes.cast(count, TFloat32.class);
    Operand<org.tensorflow.types.TInt32> r = tf.range(tf.constant(0), count, tf.constant(1));
    Operand<TFloat32> identity = tf.dtypes.cast(tf.math.equal(tf.expandDims(r, tf.constant(1)),
        tf.expandDims(r, tf.constant(0))), TFloat32.class);
    // Rows sharing a side with row i (other than i itself) are left out of i's negatives.
    Operand<TFloat32> shared = tf.math.sub(tf.math.maximum(sameA, sameB), identity);
    Operand<TFloat32> masked = tf.math.sub(logits, tf.math.mul(shared, tf.constant(1e9f)));
    Operand<TFloat32> rows = tf.nn.softmaxCrossEntropyWithLogits(masked, identity).loss();
    Operand<TFloat32> columns = tf.nn.softmaxCrossEntropyWithLogits(tf.linalg.transpose(masked,
        tf.constant(new int[] {1, 0})), identity).loss();
    Operand<TFloat32> loss = tf.withName(Names.LOSS).math.div(tf.math.add(tf.reduceSum(rows, tf.constant(0)),
        tf.reduceSum(columns, tf.constant(0))), tf.math.mul(n, tf.constant(2f)));
    return new Operand[] {similarity, za, loss};
  }

  /** Builds the fused model of {@code config} and wraps it for {@code task} with {@code outputs} outputs. */
  public static TrainingGraph build(FusionConfig config, Task task, int outputs, AdamW optimizer, Graph graph) {
    return build(config, task, outputs, 0, optimizer, graph);
  }

  /**
   * As {@link #build(FusionConfig, Task, int, AdamW, Graph)}, with a contrastive head's projection width (0: the
   * encoder's width); a contrastive head's labels are {@code [B, 2]}.
   */
  public static TrainingGraph build(FusionConfig config, Task task, int outputs, int projectionWidth,
      AdamW optimizer, Graph graph) {
    FusionGraph model = optimizer == null ? FusionGraph.buildForInference(config, graph)
        : FusionGraph.build(config, graph);
    return new TrainingGraph(graph, model, task, outputs, projectionWidth, optimizer);
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
    if (embeddingsB != null) {
      sig.output(Names.EMBEDDINGS_B, embeddingsB);
    }
    if (model.attention() != null) {
      sig.output(Names.ATTENTION, model.attention());
    }
    return sig.build();
  }
}
