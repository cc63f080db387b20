package io.mmfuse.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TFloat32;

/**
 * Observes, in a fresh JVM, what the runtime options did: how many threads did the work of large matrix products,
 * and which op types TensorFlow actually executed (XLA clusters show as {@code _XlaCompile}/{@code _XlaRun}).
 * Prints {@code busy_threads=N} and {@code op_types=[...]}.
 */
public final class RuntimeObservation {
  private RuntimeObservation() {}

  public static void main(String[] args) throws Exception {
    // A JVM of its own, as the command line: TensorFlow Java numbers nodes in the format locale (TensorFlowRuntime).
    java.util.Locale.setDefault(java.util.Locale.Category.FORMAT, java.util.Locale.ROOT);
    RuntimeOptions o = RuntimeOptions.of("cpu").withThreads(Integer.parseInt(args[0]), 1)
        .withXla(Boolean.parseBoolean(args[1]));
    TensorFlowRuntime.Placement p = TensorFlowRuntime.place(o, () -> java.util.List.of());
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Operand<TFloat32> x = tf.variable(tf.random.randomUniform(tf.constant(new int[] {512, 512}), TFloat32.class));
      Operand<TFloat32> w = tf.variable(tf.random.randomUniform(tf.constant(new int[] {512, 512}), TFloat32.class));
      // A small layer: matmul, bias, GELU-like tanh, residual, scaled: enough ops for XLA to form a cluster.
      Operand<TFloat32> y = tf.linalg.matMul(x, w);
      for (int i = 0; i < 4; i++) {
        y = tf.math.add(tf.math.mul(tf.math.tanh(tf.linalg.matMul(y, w)), tf.constant(0.01f)), y);
      }
      tf.withName("out").math.mean(y, tf.constant(new int[] {0, 1}));
      try (Session s = new Session(g, p.config())) {
        // Warm up first, so that the JIT has compiled this loop before the window (its threads are not counted).
        long warm = System.nanoTime() + 500_000_000L;
        while (System.nanoTime() < warm) {
          s.runner().fetch("out").run().close();
        }
        Map<String, Long> before = threadTicks();
        long end = System.nanoTime() + 1_500_000_000L;
        while (System.nanoTime() < end) {
          s.runner().fetch("out").run().close();
        }
        Map<String, Long> after = threadTicks();
        long max = 0;
        Map<String, Long> delta = new HashMap<>();
        for (var e : after.entrySet()) {
          long d = e.getValue() - before.getOrDefault(e.getKey(), 0L);
          delta.put(e.getKey(), d);
          max = Math.max(max, d);
        }
        long threshold = max * 3 / 10;
        System.out.println("busy_threads=" + delta.values().stream().filter(d -> d > 0 && d >= threshold).count());
        RunOptions ro = RunOptions.newBuilder().setOutputPartitionGraphs(true).build();
        try (Result r = s.runner().fetch("out").setOptions(ro).runAndFetchMetadata()) {
          RunMetadata md = r.getMetadata().orElseThrow();
          Set<String> types = new TreeSet<>();
          for (GraphDef pg : md.getPartitionGraphsList()) {
            for (NodeDef n : pg.getNodeList()) {
              types.add(n.getOp());
            }
          }
          System.out.println("op_types=" + types);
        }
      }
    }
  }

  /** The JVM's own threads (compilers, collectors), left out of the count of threads doing TensorFlow's work. */
  private static boolean jvmThread(String name) {
    return name.contains("Compiler") || name.startsWith("GC") || name.startsWith("G1") || name.startsWith("VM ")
        || name.contains("Sweeper") || name.startsWith("Common-Cleaner") || name.startsWith("Signal");
  }

  /** CPU clock ticks (user + system) per thread of this process, the JVM's own threads left out. */
  private static Map<String, Long> threadTicks() throws IOException {
    Map<String, Long> out = new HashMap<>();
    try (var tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
      for (Path t : tasks) {
        try {
          if (jvmThread(Files.readString(t.resolve("comm")).trim())) {
            continue;
          }
          String stat = Files.readString(t.resolve("stat"));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          out.put(t.getFileName().toString(), Long.parseLong(f[11]) + Long.parseLong(f[12]));
        } catch (IOException gone) {
          // The thread ended between listing and reading.
        }
      }
    }
    return out;
  }
}
