package io.mmfuse.fusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.proto.Activation;
import io.mmfuse.api.proto.Task;
import io.mmfuse.fusion.graph.FusionConfig;
import io.mmfuse.fusion.session.InputFeed;
import io.mmfuse.fusion.train.AdamW;
import io.mmfuse.fusion.train.TrainingModel;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;

/** The graph a bundle serves with: what the trained model computes outside training, without dropout's ops. */
class ServingCopyTest {

  /** Ops of the model's graph that draw random numbers: dropout's masks. */
  private static long randomOps(TrainingModel model) {
    return ops(model, t -> t.startsWith("StatelessRandom"));
  }

  private static long ops(TrainingModel model, java.util.function.Predicate<String> type) {
    Graph g = (Graph) model.graph().ops().scope().env();
    long n = 0;
    for (java.util.Iterator<GraphOperation> it = g.operations(); it.hasNext(); ) {
      if (type.test(it.next().type())) {
        n++;
      }
    }
    return n;
  }

  @Test
  void aModelTrainedWithDropoutServesWithoutItsOpsAndPredictsTheSame() {
    FusionConfig config = SmallModels.all(Activation.GELU, true, 0.1f);
    Map<String, InputFeed> feeds = SmallModels.feeds(config, 3, 5);
    try (TrainingModel model = TrainingModel.create(config, Task.CLASSIFICATION, 3, AdamW.of(0.01f, 1f), null)) {
      model.initializeRandom(3);
      float[] labels = {1, 0, 0, 0, 1, 0, 0, 0, 1};
      model.trainStep(feeds, labels, 0.01f, 1);
      assertTrue(randomOps(model) > 0, "the training graph draws dropout masks");
      try (TrainingModel serving = model.servingCopy().orElseThrow()) {
        assertEquals(0, randomOps(serving), "the serving graph draws nothing");
        assertEquals(0f, serving.graph().config().encoder().dropout());
        assertEquals(0f, serving.graph().config().encoder().attentionDropout());
        assertArrayEquals(model.predict(feeds), serving.predict(feeds), 1e-6f);
        assertTrue(serving.servingCopy().isEmpty(), "a serving graph is its own serving copy");
      }
    }
    // A graph built to predict has no dropout ops even where its configuration keeps the training's rates.
    try (TrainingModel predictOnly = TrainingModel.create(config, Task.CLASSIFICATION, 3, null, null)) {
      assertEquals(0, randomOps(predictOnly));
    }
  }

  @Test
  void theServingGraphsAttentionIsBuiltForTheFusedKernelAndComputesTheSame() {
    // Several heads of width 4 (a scale of 0.5) and padded examples, so that the mask matters.
    FusionConfig config = SmallModels.all(Activation.GELU_TANH, false, 0f);
    Map<String, InputFeed> feeds = SmallModels.feeds(config, 4, 21);
    try (TrainingModel model = TrainingModel.create(config, Task.REGRESSION, 2, AdamW.of(0.01f, 1f), null)) {
      model.initializeRandom(8);
      int layers = config.encoder().layers();
      assertTrue(ops(model, "Einsum"::equals) >= 2 * layers,
          "training: attention's products (and their gradients) as Einsum");
      try (TrainingModel serving = model.servingCopy().orElseThrow()) {
        assertEquals(0, ops(serving, "Einsum"::equals));
        // Each layer's two products for each part of the tokens (SequencePartsTest).
        int parts = io.mmfuse.fusion.graph.FusionGraph.SEQUENCE_PARTS;
        assertEquals(2 * layers * parts, ops(serving, "BatchMatMulV2"::equals));
        // The scores scaled and masked after the product, as AddV2(Mul(BatchMatMulV2, scale), mask).
        assertEquals(layers * parts, ops(serving, "AddV2"::equals));
        // The image's grid positions mixed by one sparse-dense product.
        assertEquals(1, ops(serving, "SparseTensorDenseMatMul"::equals));
        assertEquals(0, ops(model, "SparseTensorDenseMatMul"::equals));
        float[] expected = model.predict(feeds);
        float[] got = serving.predict(feeds);
        for (int i = 0; i < expected.length; i++) {
          assertEquals(expected[i], got[i], 1e-5f * Math.max(1, Math.abs(expected[i])), "output " + i);
        }
        float[] attention = serving.outputs(feeds, io.mmfuse.fusion.graph.Names.ATTENTION).get(0);
        assertArrayEquals(model.outputs(feeds, io.mmfuse.fusion.graph.Names.ATTENTION).get(0), attention, 1e-6f);
      }
    }
  }

  @Test
  void theServingCopyHoldsTheParametersAndNoOptimizerState() {
    FusionConfig config = SmallModels.all(Activation.GELU, true, 0f);
    Map<String, InputFeed> feeds = SmallModels.feeds(config, 2, 9);
    try (TrainingModel model = TrainingModel.create(config, Task.CLASSIFICATION, 3, AdamW.of(0.01f, 1f), null)) {
      model.initializeRandom(4);
      int parameters = model.graph().parameters().size();
      // Two moments per parameter and the step count.
      assertTrue(variables(model) > 2 * parameters, "the training graph holds AdamW's state");
      try (TrainingModel serving = model.servingCopy().orElseThrow()) {
        assertEquals(parameters, variables(serving), "the serving graph holds the parameters only");
        assertArrayEquals(model.predict(feeds), serving.predict(feeds), 1e-6f);
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
            () -> serving.trainStep(feeds, new float[] {1, 0, 0, 0, 1, 0}, 0.01f));
        assertTrue(e.getMessage().contains("no optimizer"), e.getMessage());
      }
    }
  }

  private static long variables(TrainingModel model) {
    return ops(model, t -> t.equals("VariableV2") || t.equals("VarHandleOp"));
  }
}
