package io.mmfuse.examples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.api.plugin.Plugins;
import io.mmfuse.api.proto.Activation;
import io.mmfuse.api.proto.PositionLayout;
import io.mmfuse.api.proto.TokenKind;
import io.mmfuse.fusion.graph.EncoderConfig;
import io.mmfuse.fusion.graph.FusionConfig;
import io.mmfuse.fusion.graph.FusionStrategies;
import io.mmfuse.fusion.graph.InputConfig;
import io.mmfuse.fusion.inference.FusedModel;
import io.mmfuse.fusion.session.InputFeed;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A fusion strategy that only a plugin jar provides, found through the same Guice plugin module as modalities. */
class FusionStrategyPluginTest {
  static final String PLUGIN = """
      package com.acme.fuse;
      public final class ReversedPlugin implements io.mmfuse.api.plugin.ModalityPlugin {
        public com.google.inject.Module module() {
          return b -> io.mmfuse.fusion.graph.FusionStrategies.bind(b).addBinding().to(Reversed.class);
        }
      }
      """;
  static final String STRATEGY = """
      package com.acme.fuse;
      import io.mmfuse.fusion.graph.*;
      import java.util.*;
      /** The inputs concatenated last first. */
      public final class Reversed implements FusionStrategy {
        public String name() { return "reversed"; }
        public void validate(FusionConfig config) {}
        public Fused fuse(org.tensorflow.op.Ops tf, List<Embedded> inputs,
            org.tensorflow.Operand<org.tensorflow.types.TFloat32> globalCls) {
          List<Embedded> r = new ArrayList<>(inputs);
          Collections.reverse(r);
          return FusionStrategies.named("concat").fuse(tf, r, globalCls);
        }
      }
      """;

  static InputConfig input(String name, int vocabulary) {
    return new InputConfig(name, TokenKind.DISCRETE, vocabulary, 0, false, PositionLayout.SEQUENCE, 4, 0, 0, 0,
        false, false, false);
  }

  static InputFeed feed(int[] ids) {
    return new InputFeed(1, ids.length, ids, null, null, 0, new int[] {0, 1, 2}, null, null, null,
        new float[] {1, 1, 1});
  }

  @Test
  void aStrategyFromAPluginJarIsChosenByNameAndFusesAsItSays(@TempDir Path dir) throws Exception {
    Path plugins = dir.resolve("plugins");
    PluginJars.buildAgainstFusionCore(dir, plugins.resolve("reversed.jar"), "com.acme.fuse.ReversedPlugin",
        Map.of("com.acme.fuse.ReversedPlugin", PLUGIN, "com.acme.fuse.Reversed", STRATEGY));
    InvalidConfigurationException unknown = assertThrows(InvalidConfigurationException.class,
        () -> FusionStrategies.of(Plugins.load(getClass().getClassLoader())).get("reversed"));
    assertTrue(unknown.getMessage().contains("fusion strategy 'reversed' is not known; known: add, concat, late"),
        unknown.getMessage());

    EncoderConfig e = new EncoderConfig(8, 1, 2, 16, true, Activation.GELU, 1e-6f, 0, 0, true, false);
    InputConfig a = input("a", 7);
    InputConfig b = input("b", 9);
    Map<String, InputFeed> feeds = Map.of("a", feed(new int[] {1, 2, 3}), "b", feed(new int[] {4, 5, 6}));
    try (URLClassLoader loader = Plugins.openPluginDirectory(plugins, getClass().getClassLoader())) {
      FusionStrategies strategies = FusionStrategies.of(Plugins.load(loader));
      assertEquals(java.util.Set.of("add", "concat", "late", "reversed"), strategies.names());
      // "reversed" over (a, b) is "concat" over (b, a): same weights, same outputs.
      try (FusedModel reversed = FusedModel.create(
              new FusionConfig(List.of(a, b), strategies.get("reversed"), false, false, e), null);
          FusedModel concat = FusedModel.create(
              new FusionConfig(List.of(b, a), strategies.get("concat"), false, false, e), null)) {
        reversed.initializeRandom(5);
        concat.load(reversed.weights(), "the reversed model's weights");
        FusedModel.Output r = reversed.forward(feeds);
        FusedModel.Output c = concat.forward(feeds);
        assertArrayEquals(c.lastHiddenState(), r.lastHiddenState(), 1e-6f);
        // And not what concat over (a, b) gives.
        try (FusedModel forward = FusedModel.create(
            new FusionConfig(List.of(a, b), strategies.get("concat"), false, false, e), null)) {
          forward.load(reversed.weights(), "the reversed model's weights");
          assertTrue(!java.util.Arrays.equals(forward.forward(feeds).lastHiddenState(), r.lastHiddenState()));
        }
      }
    }
  }
}
