package io.mmfuse.fusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.safetensors.SafeTensors;
import io.mmfuse.fusion.hf.HfCheckpoints;
import io.mmfuse.fusion.hf.HfFeeds;
import io.mmfuse.fusion.inference.FusedModel;
import io.mmfuse.fusion.session.InputFeed;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Outputs of imported checkpoints against what transformers 5.17.0 returned for the same inputs. */
class HfParityTest {
  static Path checkpoint(String name) {
    try {
      return Path.of(HfParityTest.class.getResource("/fixtures/hf/" + name + "/config.json").toURI()).getParent();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static double maxDiff(float[] a, float[] b, int from, int to) {
    double max = 0;
    for (int i = from; i < to; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }

  /** The graph training builds, or the one built for inference only (fused attention, no dropout ops). */
  private static FusedModel.Output run(String name, SafeTensors ref, boolean inference) {
    HfCheckpoints.Imported imported = HfCheckpoints.read(checkpoint(name));
    try (FusedModel model = inference ? FusedModel.createForInference(imported.config(), null)
        : FusedModel.create(imported.config(), null)) {
      model.load(imported.weights(), name);
      Map<String, InputFeed> feeds = HfFeeds.fromSafetensors(imported, ref);
      return model.forward(feeds);
    }
  }

  @ParameterizedTest(name = "inference graph: {0}")
  @ValueSource(booleans = {false, true})
  void bertOutputsMatchTransformers(boolean inference) {
    SafeTensors ref = SafeTensors.open(checkpoint("bert-tiny").resolve("reference.safetensors"));
    FusedModel.Output out = run("bert-tiny", ref, inference);
    float[] expected = ref.floats("last_hidden_state");
    assertEquals(expected.length, out.lastHiddenState().length);
    double d = maxDiff(expected, out.lastHiddenState(), 0, expected.length);
    assertTrue(d <= 1e-4, "last_hidden_state max abs difference " + d);
    double p = maxDiff(ref.floats("pooler_output"), out.pooled(), 0, out.pooled().length);
    assertTrue(p <= 1e-4, "pooler_output max abs difference " + p);
  }

  @ParameterizedTest(name = "inference graph: {0}")
  @ValueSource(booleans = {false, true})
  void vitOutputsMatchTransformers(boolean inference) {
    SafeTensors ref = SafeTensors.open(checkpoint("vit-tiny").resolve("reference.safetensors"));
    FusedModel.Output out = run("vit-tiny", ref, inference);
    float[] expected = ref.floats("last_hidden_state");
    assertArrayEquals(new int[] {2, 197, 64}, new int[] {out.batch(), out.length(), out.width()});
    double d = maxDiff(expected, out.lastHiddenState(), 0, expected.length);
    assertTrue(d <= 1e-4, "last_hidden_state max abs difference " + d);
  }

  @ParameterizedTest(name = "inference graph: {0}")
  @ValueSource(booleans = {false, true})
  void viltOutputsMatchTransformersWithPatchesComparedAsASet(boolean inference) {
    SafeTensors ref = SafeTensors.open(checkpoint("vilt-tiny").resolve("reference.safetensors"));
    FusedModel.Output out = run("vilt-tiny", ref, inference);
    float[] expected = ref.floats("last_hidden_state");
    float[] actual = out.lastHiddenState();
    int l = 66;
    int h = 64;
    assertArrayEquals(new int[] {2, l, h}, new int[] {out.batch(), out.length(), out.width()});
    for (int b = 0; b < 2; b++) {
      // Text tokens and the image CLS: in order.
      double d = maxDiff(expected, actual, b * l * h, (b * l + 17) * h);
      assertTrue(d <= 1e-4, "text and image CLS, example " + b + ": " + d);
      // Patches: each reference row must match one of ours, one to one.
      boolean[] used = new boolean[l];
      for (int r = 17; r < l; r++) {
        int match = -1;
        double best = Double.MAX_VALUE;
        for (int c = 17; c < l; c++) {
          if (used[c]) {
            continue;
          }
          double m = 0;
          for (int k = 0; k < h; k++) {
            m = Math.max(m, Math.abs(expected[(b * l + r) * h + k] - actual[(b * l + c) * h + k]));
          }
          if (m < best) {
            best = m;
            match = c;
          }
        }
        assertTrue(best <= 1e-4, "patch row " + r + " of example " + b + " has no match within 1e-4: " + best);
        used[match] = true;
      }
    }
    double p = maxDiff(ref.floats("pooler_output"), out.pooled(), 0, out.pooled().length);
    assertTrue(p <= 1e-4, "pooler_output " + p);
  }
}
