package io.mmfuse.fusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.proto.Activation;
import io.mmfuse.fusion.graph.EncoderConfig;
import io.mmfuse.fusion.graph.FusionConfig;
import io.mmfuse.fusion.graph.FusionGraph;
import io.mmfuse.fusion.graph.FusionStrategies;
import io.mmfuse.fusion.graph.Names;
import io.mmfuse.fusion.inference.FusedModel;
import io.mmfuse.fusion.session.Call;
import io.mmfuse.fusion.session.InputFeed;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;

/**
 * A graph built to predict on the CPU runs each example's tokens in {@link FusionGraph#SEQUENCE_PARTS} parts side by
 * side; it computes what the whole-sequence graph (the training graph) does, with the same weights: every token's
 * hidden state, the pooled vector and each layer's attention, for padded batches, post- and pre-norm, attention kept
 * within segments, and sequences too short to fill every part.
 */
class SequencePartsTest {
  static void assertClose(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 2e-5f * Math.max(1, Math.abs(expected[i])), what + "[" + i + "]");
    }
  }

  static float[] fetch(FusedModel model, Map<String, InputFeed> feeds, String name) {
    try (Call call = model.session().call()) {
      call.feedInputs(model.config(), feeds);
      call.fetch(name);
      call.run();
      return call.floats(0);
    }
  }

  static void assertPartsComputeTheWhole(FusionConfig config, Map<String, InputFeed> feeds) {
    try (FusedModel whole = FusedModel.create(config, null);
        FusedModel parted = FusedModel.createForInference(config, null)) {
      whole.initializeRandom(5);
      parted.load(whole.weights(), "the whole-sequence model");
      assertEquals(1, whole.graph().sequenceParts());
      assertEquals(FusionGraph.SEQUENCE_PARTS, parted.graph().sequenceParts());
      assertTrue(graphOf(parted).operation(Names.SEQUENCE_PARTS) != null, "the graph says how many parts");
      assertTrue(countOps(graphOf(parted), "SplitV") >= 1, "the tokens are split");
      assertEquals(0, countOps(graphOf(whole), "SplitV"));
      FusedModel.Output a = whole.forward(feeds);
      FusedModel.Output b = parted.forward(feeds);
      assertEquals(a.length(), b.length());
      assertClose(a.lastHiddenState(), b.lastHiddenState(), "last hidden state");
      assertClose(a.pooled(), b.pooled(), "pooled");
      for (int l = 0; l < config.encoder().layers(); l++) {
        assertClose(fetch(whole, feeds, Names.attentionProbs(l)), fetch(parted, feeds, Names.attentionProbs(l)),
            "layer " + l + " attention");
      }
      assertClose(fetch(whole, feeds, Names.ATTENTION), fetch(parted, feeds, Names.ATTENTION), "attention");
    }
  }

  static Graph graphOf(FusedModel model) {
    return (Graph) model.graph().ops().scope().env();
  }

  static long countOps(Graph g, String type) {
    long n = 0;
    for (java.util.Iterator<org.tensorflow.GraphOperation> it = g.operations(); it.hasNext(); ) {
      if (it.next().type().equals(type)) {
        n++;
      }
    }
    return n;
  }

  @Test
  void paddedBatchesOfEveryModalityPostAndPreNorm() {
    for (boolean preNorm : new boolean[] {false, true}) {
      FusionConfig config = SmallModels.all(Activation.GELU, preNorm, 0f);
      // Three examples, every other one padded; an odd total length, so the parts differ in size.
      assertPartsComputeTheWhole(config, SmallModels.feeds(config, 3, 17));
    }
  }

  @Test
  void attentionKeptWithinSegmentsIsSplitByQueryRows() {
    // Late fusion: each input attends only to itself (an [L, L] allowed mask), and a global CLS sees only itself.
    for (boolean globalCls : new boolean[] {false, true}) {
      Map<String, InputFeed> feeds = Map.of(
          "a", LateFusionTest.feed(new int[] {1, 2, 3}, new float[] {1, 1, 1}),
          "b", LateFusionTest.feed(new int[] {4, 5, 6, 2}, new float[] {1, 1, 1, 0}));
      assertPartsComputeTheWhole(LateFusionTest.config("late", globalCls), feeds);
    }
  }

  @Test
  void aSequenceShorterThanThePartsLeavesAPartEmpty() {
    EncoderConfig e = new EncoderConfig(8, 2, 2, 16, true, Activation.GELU, 1e-6f, 0, 0, true, true);
    FusionConfig config = new FusionConfig(List.of(LateFusionTest.input("a", 7)), FusionStrategies.named("concat"),
        false, true, e);
    assertPartsComputeTheWhole(config, Map.of("a", LateFusionTest.feed(new int[] {3}, new float[] {1})));
    assertPartsComputeTheWhole(config, Map.of("a", LateFusionTest.feed(new int[] {3, 4}, new float[] {1, 1})));
  }

  @Test
  void aGraphPlacedOnAGpuKeepsTheWholeSequence() {
    FusionConfig config = SmallModels.all(Activation.GELU, true, 0f);
    org.tensorflow.DeviceSpec gpu =
        org.tensorflow.DeviceSpec.newBuilder().deviceType(org.tensorflow.DeviceSpec.DeviceType.GPU).build();
    try (Graph g = new Graph()) {
      FusionGraph model = FusionGraph.buildForInference(config, g, gpu);
      assertEquals(1, model.sequenceParts());
      assertEquals(0, countOps(g, "SplitV"));
      assertTrue(g.operation(Names.SEQUENCE_PARTS) == null);
    }
  }
}
