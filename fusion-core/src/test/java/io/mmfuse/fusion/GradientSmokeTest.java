package io.mmfuse.fusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.proto.Activation;
import io.mmfuse.fusion.graph.FusionConfig;
import io.mmfuse.fusion.graph.FusionGraph;
import io.mmfuse.fusion.graph.Weight;
import io.mmfuse.fusion.inference.FusedModel;
import io.mmfuse.fusion.session.Call;
import io.mmfuse.fusion.session.InputFeed;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Gradients;
import org.tensorflow.types.TFloat32;

/**
 * Every op the model uses has a gradient in TF Java 1.1.0 (a missing one only shows when gradients are built), and
 * the gradients agree with finite differences.
 */
class GradientSmokeTest {

  private static double loss(FusedModel model, Map<String, InputFeed> feeds, Operand<TFloat32> loss) {
    try (Call call = model.session().call()) {
      call.feedInputs(model.config(), feeds);
      return call.fetch(loss).run().scalar(0);
    }
  }

  @ParameterizedTest
  @CsvSource({"GELU, true, 0.0", "GELU_TANH, false, 0.1", "RELU, true, 0.1"})
  void gradientsExistForEveryParameterAndMatchFiniteDifferences(
      Activation activation, boolean preNorm, float dropout) {
    FusionConfig config = SmallModels.all(activation, preNorm, dropout);
    try (FusedModel model = FusedModel.create(config, null)) {
      FusionGraph g = model.graph();
      Ops tf = g.ops();
      // A scalar that depends on every output: a fixed random projection of the hidden states plus the pooler.
      Operand<TFloat32> loss = tf.math.add(
          tf.reduceSum(tf.math.mul(g.lastHiddenState(), tf.math.sin(g.lastHiddenState())),
              tf.constant(new int[] {0, 1, 2})),
          tf.reduceSum(tf.math.mul(g.pooled(), g.pooled()), tf.constant(new int[] {0, 1})));
      List<Operand<?>> vars = new ArrayList<>();
      g.parameters().values().forEach(p -> vars.add(p.variable()));
      Gradients grads = tf.gradients(loss, vars);
      model.initializeRandom(3);
      Map<String, InputFeed> feeds = SmallModels.feeds(config, 2, 5);

      Map<String, float[]> gradients = new java.util.HashMap<>();
      {
        try (Call call = model.session().call()) {
          call.feedInputs(config, feeds);
          call.fetch(loss);
          for (Output<?> d : grads.dy()) {
            call.fetch(d);
          }
          call.run();
          int i = 1;
          int nonZero = 0;
          for (FusionGraph.Parameter p : g.parameters().values()) {
            float[] v = call.floats(i++);
            boolean any = false;
            for (float x : v) {
              assertTrue(Float.isFinite(x), "gradient of " + p.name() + " is not finite");
              any |= x != 0;
            }
            nonZero += any ? 1 : 0;
            gradients.put(p.name(), v);
          }
          // Token tables only get gradients at used rows, but every parameter is used somewhere.
          assertEquals(g.parameters().size(), nonZero, "every parameter has a non-zero gradient");
        }
        // Central differences on a few entries of different kinds of parameter.
        Map<String, Weight> weights = model.weights();
        for (String name : List.of("pooler/bias", "encoder/layer_0/attention/qkv/kernel",
            "embed/pixels/projection/kernel", "embed/modality_types", "encoder/layer_1/norm2/gamma")) {
          float[] w = weights.get(name).data();
          int at = 5 % w.length;
          float keep = w[at];
          float eps = 1e-2f;
          w[at] = keep + eps;
          model.load(weights, "plus");
          double plus = loss(model, feeds, loss);
          w[at] = keep - eps;
          model.load(weights, "minus");
          double minus = loss(model, feeds, loss);
          w[at] = keep;
          model.load(weights, "restored");
          double numeric = (plus - minus) / (2 * eps);
          double analytic = gradients.get(name)[at];
          assertEquals(analytic, numeric, 0.05 * Math.max(1, Math.abs(analytic)), name + "[" + at + "]");
        }
      }
    }
  }
}
