package io.mmfuse.benchmarks;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * mmfuse and its two peers taking turns in one process, the same engines and inputs as {@link PeersBenchmark}: in
 * each round every engine times its calls for a few seconds, one engine after the other, half a second apart, the
 * order turning by one each round, after one untimed turn of each. A machine whose speed drifts between minutes (a
 * shared VM) moves all three engines of a round alike, so each round's ratios compare like with like, which JMH's
 * forks, one engine a minute, cannot. Writes each engine's p50 and mean per round as JSON (the bench summarizes it).
 *
 * <pre>benchmarks/peers/rounds.sh OUT.json [rounds] [seconds per turn]</pre>
 */
public final class PeersRounds {
  static final List<String> ENGINES = List.of("mmfuse", "onnx_runtime", "torchscript");

  private PeersRounds() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: PeersRounds OUT.json [rounds] [seconds per turn]");
      System.exit(2);
    }
    Path out = Path.of(args[0]);
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    double seconds = args.length > 2 ? Double.parseDouble(args[2]) : 2;
    JsonObject json = new JsonObject();
    for (int batch : new int[] {16, 1}) {
      PeersBenchmark b = new PeersBenchmark();
      b.batch = batch;
      b.setUp();
      Map<String, Callable<?>> engines = new LinkedHashMap<>();
      engines.put("mmfuse", b::mmfuseForward);
      engines.put("onnx_runtime", b::onnxRuntimeForward);
      engines.put("torchscript", b::torchScriptForward);
      Map<String, double[]> p50 = new LinkedHashMap<>();
      Map<String, double[]> mean = new LinkedHashMap<>();
      Map<String, int[]> calls = new LinkedHashMap<>();
      for (String e : ENGINES) {
        p50.put(e, new double[rounds]);
        mean.put(e, new double[rounds]);
        calls.put(e, new int[rounds]);
      }
      try {
        // A whole untimed turn each first: at batch 16 a fifth of a turn is two or three calls, and TensorFlow's first
        // calls of a shape (oneDNN's primitives, the allocator) are slow.
        for (String e : ENGINES) {
          turn(engines.get(e), seconds);
          Thread.sleep(500);
        }
        for (int r = 0; r < rounds; r++) {
          for (int k = 0; k < ENGINES.size(); k++) {
            String e = ENGINES.get((r + k) % ENGINES.size());
            double[] t = turn(engines.get(e), seconds);
            p50.get(e)[r] = t[0];
            mean.get(e)[r] = t[1];
            calls.get(e)[r] = (int) t[2];
            // ONNX Runtime's workers spin for a while after its calls; the pause keeps that off the next engine.
            Thread.sleep(500);
          }
          System.out.printf(Locale.ROOT, "batch %d, round %d of %d: p50 mmfuse %.2f ms, ONNX Runtime %.2f,"
              + " TorchScript %.2f%n", batch, r + 1, rounds, p50.get("mmfuse")[r], p50.get("onnx_runtime")[r],
              p50.get("torchscript")[r]);
        }
      } finally {
        b.tearDown();
      }
      JsonObject o = new JsonObject();
      o.addProperty("rounds", rounds);
      o.addProperty("seconds_per_turn", seconds);
      for (String e : ENGINES) {
        o.add(e + "_p50_ms", array(p50.get(e)));
        o.add(e + "_mean_ms", array(mean.get(e)));
        JsonArray c = new JsonArray();
        Arrays.stream(calls.get(e)).forEach(c::add);
        o.add(e + "_calls", c);
      }
      json.add("batch_" + batch, o);
    }
    Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
    Files.writeString(tmp, new GsonBuilder().setPrettyPrinting().create().toJson(json), StandardCharsets.UTF_8);
    Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    System.exit(0);
  }

  /** Warms up for a fifth of the turn, then times calls for the rest: {p50 ms, mean ms, calls}. */
  static double[] turn(Callable<?> call, double seconds) throws Exception {
    long warm = System.nanoTime() + (long) (seconds * 0.2e9);
    while (System.nanoTime() < warm) {
      call.call();
    }
    List<Double> ms = new ArrayList<>();
    long end = System.nanoTime() + (long) (seconds * 0.8e9);
    while (System.nanoTime() < end || ms.size() < 5) {
      long t0 = System.nanoTime();
      call.call();
      ms.add((System.nanoTime() - t0) / 1e6);
    }
    double[] sorted = ms.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return new double[] {sorted[sorted.length / 2], Arrays.stream(sorted).average().orElse(0), sorted.length};
  }

  private static JsonArray array(double[] v) {
    JsonArray a = new JsonArray();
    for (double x : v) {
      a.add(Math.round(x * 1000) / 1000.0);
    }
    return a;
  }
}
