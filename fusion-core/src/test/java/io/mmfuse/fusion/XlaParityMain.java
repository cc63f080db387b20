package io.mmfuse.fusion;

import io.mmfuse.api.safetensors.SafeTensors;
import io.mmfuse.fusion.hf.HfCheckpoints;
import io.mmfuse.fusion.hf.HfFeeds;
import io.mmfuse.fusion.inference.FusedModel;
import io.mmfuse.fusion.session.InputFeed;
import io.mmfuse.runtime.RuntimeOptions;
import io.mmfuse.runtime.TensorFlowRuntime;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.RunOptions;

/**
 * Run in a fresh JVM (XLA's CPU flag must precede the first session): the fixtures' ViT and BERT checkpoints with
 * XLA on, printing {@code NAME max_abs_diff=D xla_ops=true|false} against transformers' outputs.
 */
public final class XlaParityMain {
  private XlaParityMain() {}

  public static void main(String[] args) {
    // A JVM of its own, as the command line: TensorFlow Java numbers nodes in the format locale (TensorFlowRuntime).
    java.util.Locale.setDefault(java.util.Locale.Category.FORMAT, java.util.Locale.ROOT);
    TensorFlowRuntime.Placement p = TensorFlowRuntime.place(RuntimeOptions.of("cpu").withXla(true), List::of);
    for (String name : List.of("vit-tiny", "bert-tiny")) {
      SafeTensors ref = SafeTensors.open(HfParityTest.checkpoint(name).resolve("reference.safetensors"));
      HfCheckpoints.Imported imported = HfCheckpoints.read(HfParityTest.checkpoint(name));
      try (FusedModel model = FusedModel.createOn(imported.config(), p)) {
        model.load(imported.weights(), name);
        var feeds = HfFeeds.fromSafetensors(imported, ref);
        FusedModel.Output out = model.forward(feeds);
        model.forward(feeds);
        float[] expected = ref.floats("last_hidden_state");
        double d = HfParityTest.maxDiff(expected, out.lastHiddenState(), 0, expected.length);
        System.out.println(name + " max_abs_diff=" + d + " xla_ops=" + ranXla(model, feeds));
      }
    }
  }

  private static boolean ranXla(FusedModel model, java.util.Map<String, InputFeed> feeds) {
    try (io.mmfuse.fusion.session.Call call = model.session().call()) {
      call.feedInputs(model.config(), feeds);
      call.fetch(model.graph().lastHiddenState())
          .options(RunOptions.newBuilder().setOutputPartitionGraphs(true).build()).run();
      Set<String> types = new TreeSet<>();
      for (GraphDef g : call.metadata().getPartitionGraphsList()) {
        for (NodeDef n : g.getNodeList()) {
          types.add(n.getOp());
        }
      }
      return types.contains("_XlaRun");
    }
  }
}
