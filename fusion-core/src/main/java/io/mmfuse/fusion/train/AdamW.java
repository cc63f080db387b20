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
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

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
 */
public record AdamW(float beta1, float beta2, float epsilon, float weightDecay, float clipNorm) {

  /** The optimizer with the usual constants and this decay and clipping. */
  public static AdamW of(float weightDecay, float clipNorm) {
    return new AdamW(0.9f, 0.999f, 1e-8f, weightDecay, clipNorm);
  }

  /**
   * Adds the ops of one step minimizing {@code loss} over every parameter of {@code model} at learning rate
   * {@code lr}, named {@link Names#TRAIN_STEP}, and the reset of the optimizer state, named
   * {@link Names#RESET_OPTIMIZER}.
   */
  void minimize(FusionGraph model, Operand<TFloat32> loss, Operand<TFloat32> lr) {
    Ops tf = model.ops();
    List<FusionGraph.Parameter> params = new ArrayList<>(model.parameters().values());
    List<Operand<?>> vars = new ArrayList<>();
    params.forEach(p -> vars.add(p.variable()));
    Gradients grads = tf.gradients(loss, vars);
    List<Operand<TFloat32>> squares = new ArrayList<>();
    for (int i = 0; i < params.size(); i++) {
      Operand<TFloat32> g = grads.dy(i);
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
      Operand<TFloat32> g = tf.math.mul(grads.dy(i), scale);
      Variable<TFloat32> m = slot(tf, slots, "train/m/" + p.name(), p.shape());
      Variable<TFloat32> v = slot(tf, slots, "train/v/" + p.name(), p.shape());
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

  private static Variable<TFloat32> slot(Ops tf, List<Variable<TFloat32>> slots, String name, long[] shape) {
    Variable<TFloat32> v = tf.withName(Names.op(name)).variable(Shape.of(shape), TFloat32.class);
    slots.add(v);
    return v;
  }
}
