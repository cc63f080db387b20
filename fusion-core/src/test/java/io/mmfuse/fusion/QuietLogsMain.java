package io.mmfuse.fusion;

import io.mmfuse.fusion.inference.FusedModel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.tensorflow.Graph;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.SessionFunction;
import org.tensorflow.Signature;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/** Run in a child JVM by {@link QuietLogsTest}: builds a model, then writes and loads a SavedModel (which logs). */
public final class QuietLogsMain {
  private QuietLogsMain() {}

  public static void main(String[] args) throws Exception {
    // A JVM of its own, as the command line: TensorFlow Java numbers nodes in the format locale (TensorFlowRuntime).
    java.util.Locale.setDefault(java.util.Locale.Category.FORMAT, java.util.Locale.ROOT);
    try (FusedModel m = FusedModel.create(SmallModels.all(io.mmfuse.api.proto.Activation.GELU, true, 0f), null)) {
      m.initializeRandom(1);
    }
    Path tmp = Files.createTempDirectory("quiet-logs");
    try {
      writeAndLoad(tmp.resolve("model"));
    } finally {
      io.mmfuse.fusion.internal.Checksums.deleteTree(tmp);
    }
  }

  private static void writeAndLoad(Path dir) throws Exception {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      var x = tf.withName("x").placeholder(TFloat32.class);
      var y = tf.withName("y").math.add(x, tf.constant(1f));
      try (Session s = new Session(g)) {
        SavedModelBundle.exporter(dir.toString()).withSession(s)
            .withFunction(SessionFunction.create(Signature.builder().input("x", x).output("y", y).build(), s))
            .export();
      }
    }
    try (SavedModelBundle b = SavedModelBundle.load(dir.toString(), "serve")) {
      System.out.println("loaded");
    }
  }
}
