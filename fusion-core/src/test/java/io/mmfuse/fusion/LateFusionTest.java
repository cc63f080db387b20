package io.mmfuse.fusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.plugin.Plugins;
import io.mmfuse.api.proto.Activation;
import io.mmfuse.api.proto.PositionLayout;
import io.mmfuse.api.proto.TokenKind;
import io.mmfuse.fusion.graph.EncoderConfig;
import io.mmfuse.fusion.graph.FusionConfig;
import io.mmfuse.fusion.graph.FusionStrategies;
import io.mmfuse.fusion.graph.InputConfig;
import io.mmfuse.fusion.graph.Weight;
import io.mmfuse.fusion.inference.FusedModel;
import io.mmfuse.fusion.session.InputFeed;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Late fusion: fusion-core's own plugin strategy, each input encoded alone, pooled, then combined by a small head. */
class LateFusionTest {
  static final int H = 8;

  static InputConfig input(String name, int vocabulary) {
    return new InputConfig(name, TokenKind.DISCRETE, vocabulary, 0, false, PositionLayout.SEQUENCE, 4, 0, 0, 0,
        false, false, false);
  }

  /** One example: ids with a mask (the last token of b is padding). */
  static InputFeed feed(int[] ids, float[] mask) {
    int[] positions = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      positions[i] = i;
    }
    return new InputFeed(1, ids.length, ids, null, null, 0, positions, null, null, null, mask);
  }

  static FusionConfig config(String fusion, boolean globalCls) {
    EncoderConfig e = new EncoderConfig(H, 2, 2, 16, true, Activation.GELU, 1e-6f, 0, 0, true, true);
    FusionStrategies strategies = FusionStrategies.of(Plugins.load(LateFusionTest.class.getClassLoader()));
    return new FusionConfig(List.of(input("a", 7), input("b", 9)), strategies.get(fusion), globalCls, true, e);
  }

  @Test
  void lateIsAPluginStrategyBesideTheBuiltIns() {
    assertEquals(java.util.Set.of("add", "concat", "late"),
        FusionStrategies.of(Plugins.load(getClass().getClassLoader())).names());
    // Not built in, but shipped: a registry wired by hand gets it too.
    assertEquals(java.util.Set.of("add", "concat"), FusionStrategies.builtIn().names());
    assertEquals(java.util.Set.of("add", "concat", "late"),
        FusionStrategies.of(new io.mmfuse.api.plugin.ModalityRegistry(java.util.Set.of())).names());
  }

  @Test
  void eachInputIsEncodedAloneAndOnlyThePooledVectorSeesBoth() {
    Map<String, InputFeed> feeds = Map.of("a", feed(new int[] {1, 2, 3}, new float[] {1, 1, 1}),
        "b", feed(new int[] {4, 5, 6}, new float[] {1, 1, 0}));
    Map<String, InputFeed> otherB = Map.of("a", feeds.get("a"),
        "b", feed(new int[] {8, 1, 6}, new float[] {1, 1, 0}));
    for (boolean globalCls : new boolean[] {false, true}) {
      try (FusedModel late = FusedModel.create(config("late", globalCls), null);
          FusedModel concat = FusedModel.create(config("concat", globalCls), null)) {
        late.initializeRandom(3);
        concat.initializeRandom(3);
        FusedModel.Output x = late.forward(feeds);
        FusedModel.Output y = late.forward(otherB);
        int first = globalCls ? 1 : 0;
        // a's three tokens are the same whatever b holds: no attention crosses inputs.
        float[] aX = Arrays.copyOfRange(x.lastHiddenState(), first * H, (first + 3) * H);
        float[] aY = Arrays.copyOfRange(y.lastHiddenState(), first * H, (first + 3) * H);
        assertArrayEquals(aX, aY, 0f);
        // b's tokens differ, and so does the pooled vector, which sees both.
        assertFalse(Arrays.equals(x.pooled(), y.pooled()));
        // Under concat, a's tokens notice b.
        FusedModel.Output cx = concat.forward(feeds);
        FusedModel.Output cy = concat.forward(otherB);
        assertFalse(Arrays.equals(Arrays.copyOfRange(cx.lastHiddenState(), first * H, (first + 3) * H),
            Arrays.copyOfRange(cy.lastHiddenState(), first * H, (first + 3) * H)));

        // The pooled vector is tanh(kernel . [mean of a's tokens; mean of b's real tokens] + bias).
        Map<String, Weight> w = late.weights();
        float[] kernel = w.get("late/pool/kernel").data();
        float[] bias = w.get("late/pool/bias").data();
        float[] side = new float[2 * H];
        float[] hs = x.lastHiddenState();
        for (int d = 0; d < H; d++) {
          side[d] = (hs[(first) * H + d] + hs[(first + 1) * H + d] + hs[(first + 2) * H + d]) / 3;
          side[H + d] = (hs[(first + 3) * H + d] + hs[(first + 4) * H + d]) / 2;
        }
        for (int o = 0; o < H; o++) {
          double z = bias[o];
          for (int i = 0; i < 2 * H; i++) {
            z += side[i] * kernel[i * H + o];
          }
          assertEquals(Math.tanh(z), x.pooled()[o], 1e-5, "pooled[" + o + "]");
        }
        for (float v : x.lastHiddenState()) {
          assertTrue(Float.isFinite(v));
        }
      }
    }
  }
}
