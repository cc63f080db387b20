package io.mmfuse.fusion.train;

import io.mmfuse.fusion.graph.FusionGraph;
import io.mmfuse.fusion.graph.Names;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Gradients;
import org.tensorflow.op.core.ReduceSum;
import org.tensorflow.op.core.Unique;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * AdamW written with graph ops (TF Java has none): decoupled weight decay on dense kernels only (no decay on biases,
 * LayerNorm, embeddings), the learning rate fed each step, the gradients clipped by their global norm. It owns its
 * state (the step count and two moment slots per parameter): never loaded, decayed or exported as weights, zeroed by
 * {@link Names#RESET_OPTIMIZER}, saved and restored with checkpoints.
 *
 * @param beta1 first-moment decay
 * @param beta2 second-moment decay
 * @param epsilon added to the root of the second moment
 * @param weightDecay decoupled decay of dense kernels
 * @param clipNorm the gradients' global norm is clipped to this
 * @param lazyEmbeddings update only the rows of the token embedding tables ({@code embed/INPUT/tokens}) that the
 *     step's gradient touches, with their moments (lazy Adam, as Keras' LazyAdam and PyTorch's SparseAdam): a row no
 *     example of the batch used keeps its weights and its moments, where dense AdamW would decay its moments and
 *     move it by their momentum. The bias correction still counts every step. Every other parameter is dense.
 */
public record AdamW(float beta1, float beta2, float epsilon, float weightDecay, float clipNorm,
    boolean lazyEmbeddings) {

  /** The optimizer with the usual constants and this decay and clipping, dense. */
  public static AdamW of(float weightDecay, float clipNorm) {
    return new AdamW(0.9f, 0.999f, 1e-8f, weightDecay, clipNorm, false);
  }

  /** The same optimizer with lazy (row-sparse) updates of the token embedding tables on or off. */
  public AdamW withLazyEmbeddings(boolean lazy) {
    return new AdamW(beta1, beta2, epsilon, weightDecay, clipNorm, lazy);
  }

  /** Whether a parameter is a token embedding table, which lazy updates take row by row. */
  static boolean isTokenTable(FusionGraph.Parameter p) {
    return p.shape().length == 2 && p.name().startsWith("embed/") && p.name().endsWith("/tokens");
  }

  /**
   * Adds the ops of one step minimizing {@code loss} over every parameter of {@code model} at learning rate
   * {@code lr}, named {@link Names#TRAIN_STEP}, and the reset of the optimizer state, named
   * {@link Names#RESET_OPTIMIZER}.
   */
  void minimize(FusionGraph model, Operand<TFloat32> loss, Operand<TFloat32> lr) {
    Ops tf = model.ops();
    List<FusionGraph.Parameter> params = new ArrayList<>(model.parameters().values());
    // A lazy table's gradient is taken at its lookup ([B, T, width]), never as a dense [vocabulary, width] tensor.
    List<FusionGraph.Lookup> lookups = new ArrayList<>();
    List<Operand<?>> targets = new ArrayList<>();
    for (FusionGraph.Parameter p : params) {
      FusionGraph.Lookup l = lazyEmbeddings && isTokenTable(p) && !(p.decays() && weightDecay > 0)
          ? model.lookups().get(p.name()) : null;
      lookups.add(l);
      targets.add(l == null ? p.variable() : l.rows());
    }
    Gradients grads = tf.gradients(loss, targets);
    // Per parameter: the gradient (a lazy table's: of its used rows) and, for a lazy table, those rows' ids.
    List<Operand<TFloat32>> gradients = new ArrayList<>();
    List<Operand<TInt32>> rowIds = new ArrayList<>();
    for (int i = 0; i < params.size(); i++) {
      FusionGraph.Lookup l = lookups.get(i);
      if (l == null) {
        gradients.add(grads.dy(i));
        rowIds.add(null);
        continue;
      }
      int width = Math.toIntExact(params.get(i).shape()[1]);
      Operand<TFloat32> flat = tf.reshape(grads.dy(i), tf.constant(new int[] {-1, width}));
      Unique<TInt32, TInt32> unique = tf.unique(tf.reshape(l.ids(), tf.constant(new int[] {-1})),
          tf.constant(new int[] {0}));
      gradients.add(tf.math.unsortedSegmentSum(flat, unique.idx(), tf.size(unique.y())));
      rowIds.add(unique.y());
    }
    List<Operand<TFloat32>> squares = new ArrayList<>();
    for (Operand<TFloat32> g : gradients) {
      squares.add(tf.reduceSum(tf.math.square(g), tf.range(tf.constant(0), tf.rank(g), tf.constant(1)),
          ReduceSum.keepDims(false)));
    }
    Operand<TFloat32> norm = tf.math.sqrt(tf.math.addN(squares));
    Operand<TFloat32> clip = tf.constant(clipNorm);
    Operand<TFloat32> scale = tf.math.div(clip, tf.math.maximum(norm, clip));
    List<Variable<TFloat32>> slots = new ArrayList<>();
    Variable<TFloat32> step = slot(tf, slots, "train/step", new long[0]);
    Operand<TFloat32> t = tf.math.add(step, tf.constant(1f));
    Operand<TFloat32> c1 = tf.math.sub(tf.constant(1f), tf.math.pow(tf.constant(beta1), t));
    Operand<TFloat32> c2 = tf.math.sub(tf.constant(1f), tf.math.pow(tf.constant(beta2), t));
    List<Op> updates = new ArrayList<>();
    updates.add(tf.assign(step, t));
    for (int i = 0; i < params.size(); i++) {
      FusionGraph.Parameter p = params.get(i);
      Operand<TFloat32> g = tf.math.mul(gradients.get(i), scale);
      Variable<TFloat32> m = slot(tf, slots, "train/m/" + p.name(), p.shape());
      Variable<TFloat32> v = slot(tf, slots, "train/v/" + p.name(), p.shape());
      if (rowIds.get(i) != null) {
        lazyRows(tf, p, rowIds.get(i), g, m, v, c1, c2, lr, updates);
        continue;
      }
      Operand<TFloat32> mNew = tf.math.add(tf.math.mul(tf.constant(beta1), m),
          tf.math.mul(tf.constant(1 - beta1), g));
      Operand<TFloat32> vNew = tf.math.add(tf.math.mul(tf.constant(beta2), v),
          tf.math.mul(tf.constant(1 - beta2), tf.math.square(g)));
      Operand<TFloat32> update = tf.math.div(tf.math.div(mNew, c1),
          tf.math.add(tf.math.sqrt(tf.math.div(vNew, c2)), tf.constant(epsilon)));
      if (p.decays() && weightDecay > 0) {
        update = tf.math.add(update, tf.math.mul(tf.constant(weightDecay), p.variable()));
      }
      updates.add(tf.assign(m, mNew));
      updates.add(tf.assign(v, vNew));
      updates.add(tf.assign(p.variable(), tf.math.sub(p.variable(), tf.math.mul(lr, update))));
    }
    tf.withName(Names.TRAIN_STEP).withControlDependencies(updates).noOp();
    List<Op> zero = new ArrayList<>();
    for (Variable<TFloat32> s : slots) {
      // From the static shape: reading an uninitialized slot to take its shape would fail.
      long[] dims = s.shape().asArray();
      int[] shape = new int[dims.length];
      for (int i = 0; i < dims.length; i++) {
        shape[i] = Math.toIntExact(dims[i]);
      }
      zero.add(tf.assign(s, tf.zeros(tf.constant(shape), TFloat32.class)));
    }
    tf.withName(Names.RESET_OPTIMIZER).withControlDependencies(zero).noOp();
  }

  /**
   * The lazy step of one table: the rows the batch looked up ({@code rows}, each once; {@code g} their summed
   * gradients) are gathered, stepped as dense AdamW steps them, and scattered back; no other row is read or written.
   */
  private void lazyRows(Ops tf, FusionGraph.Parameter p, Operand<TInt32> rows, Operand<TFloat32> g,
      Variable<TFloat32> m, Variable<TFloat32> v, Operand<TFloat32> c1, Operand<TFloat32> c2, Operand<TFloat32> lr,
      List<Op> updates) {
    Operand<TFloat32> mNew = tf.math.add(tf.math.mul(tf.constant(beta1), tf.gather(m, rows, tf.constant(0))),
        tf.math.mul(tf.constant(1 - beta1), g));
    Operand<TFloat32> vNew = tf.math.add(tf.math.mul(tf.constant(beta2), tf.gather(v, rows, tf.constant(0))),
        tf.math.mul(tf.constant(1 - beta2), tf.math.square(g)));
    Operand<TFloat32> update = tf.math.div(tf.math.div(mNew, c1),
        tf.math.add(tf.math.sqrt(tf.math.div(vNew, c2)), tf.constant(epsilon)));
    Operand<TFloat32> stepped = tf.math.sub(tf.gather(p.variable(), rows, tf.constant(0)), tf.math.mul(lr, update));
    updates.add(tf.scatterUpdate(m, rows, mNew));
    updates.add(tf.scatterUpdate(v, rows, vNew));
    updates.add(tf.scatterUpdate(p.variable(), rows, stepped));
  }

  private static Variable<TFloat32> slot(Ops tf, List<Variable<TFloat32>> slots, String name, long[] shape) {
    Variable<TFloat32> v = tf.withName(Names.op(name)).variable(Shape.of(shape), TFloat32.class);
    slots.add(v);
    return v;
  }
}
