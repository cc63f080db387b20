package io.mmfuse.examples.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.mmfuse.api.InvalidConfigurationException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code mmfuse bench --peers}: the same encoder in ONNX Runtime and as TorchScript, against mmfuse's forward pass,
 * run right after the bench's own measurements by the benchmarks module ({@code benchmarks/peers/run.sh}, JMH in a
 * child process: the peers' engines are benchmark dependencies, never the command line's), then by {@code
 * benchmarks/peers/rounds.sh}, the three engines taking turns in one process. Both JSONs go into the bench's under
 * {@code peers} (the second as {@code taking_turns}), with the ratios, so that they compare figures from one run.
 */
public final class Peers {
  static final String BENCHMARK = "io.mmfuse.benchmarks.PeersBenchmark.";
  private final Path home;

  /** The peers of the source tree at {@code home} (the launcher's directory). */
  public Peers(Path home) {
    this.home = home;
  }

  private Path script() {
    return home.resolve("benchmarks/peers/run.sh");
  }

  /**
   * Refuses at once, before any measurement, what would make the peers' run fail: no source tree, or no exported
   * peers and no PyTorch to export them with.
   */
  public void check() {
    if (!Files.isRegularFile(script())) {
      throw new InvalidConfigurationException("--peers runs benchmarks/peers/run.sh of the mmfuse source tree; found"
          + " none under " + home.toAbsolutePath() + " (run ./mmfuse from the source tree)");
    }
    if (!Files.isRegularFile(home.resolve("benchmarks/target/peers/encoder-b1.onnx"))) {
      boolean torch;
      try {
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", "import torch").redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        torch = p.waitFor() == 0;
      } catch (IOException e) {
        torch = false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InvalidConfigurationException("interrupted while looking for PyTorch");
      }
      if (!torch) {
        throw new InvalidConfigurationException("--peers exports the ONNX and TorchScript peers with PyTorch, which"
            + " /usr/bin/python3 does not have (Debian: apt-get install python3-torch)");
      }
    }
  }

  /** Runs the peers' benchmark (shorter with {@code quick}) and returns its figures; {@code work} holds its files. */
  public JsonObject run(boolean quick, Path work, PrintWriter log) throws IOException {
    Path results = work.resolve("peers-jmh.json");
    Path output = work.resolve("peers.log");
    List<String> command = new ArrayList<>(List.of("bash", script().toString(), "-rf", "json", "-rff",
        results.toString()));
    if (quick) {
      command.addAll(List.of("-wi", "1", "-i", "2"));
    }
    log.println("peers: ONNX Runtime and TorchScript against mmfuse (benchmarks/peers/run.sh, JMH; a few minutes)");
    log.flush();
    run(command, output, "benchmarks/peers/run.sh");
    if (!Files.isRegularFile(results)) {
      throw new InvalidConfigurationException("the peers' benchmark (benchmarks/peers/run.sh) wrote no results to "
          + results);
    }
    JsonObject out = figures(JsonParser.parseString(Files.readString(results)).getAsJsonArray());
    for (String batch : List.of("batch_16", "batch_1")) {
      JsonObject b = out.getAsJsonObject(batch);
      if (b == null) {
        continue;
      }
      String unit = batch.equals("batch_1") ? "ms" : "samples/s";
      String key = batch.equals("batch_1") ? "_ms" : "_samples_per_s";
      log.println(String.format(Locale.ROOT, "peers, %s: mmfuse %.1f %s, ONNX Runtime %.1f, TorchScript %.1f"
          + " (mmfuse %.2fx ONNX Runtime, %.2fx TorchScript)", batch.replace('_', ' '),
          b.get("mmfuse" + key).getAsDouble(), unit, b.get("onnx_runtime" + key).getAsDouble(),
          b.get("torchscript" + key).getAsDouble(), b.get("mmfuse_speed_over_onnx_runtime").getAsDouble(),
          b.get("mmfuse_speed_over_torchscript").getAsDouble()));
    }
    // Then the three taking turns in one process, which a machine's drift between JMH's forks cannot skew.
    Path rounds = work.resolve("peers-rounds.json");
    log.println("peers: the three taking turns in one process (benchmarks/peers/rounds.sh; a minute or two)");
    log.flush();
    run(List.of("bash", script().resolveSibling("rounds.sh").toString(), rounds.toString(), quick ? "3" : "5", "2"),
        output, "benchmarks/peers/rounds.sh");
    if (!Files.isRegularFile(rounds)) {
      throw new InvalidConfigurationException("benchmarks/peers/rounds.sh wrote no results to " + rounds);
    }
    JsonObject turns = rounds(JsonParser.parseString(Files.readString(rounds)).getAsJsonObject());
    out.add("taking_turns", turns);
    for (String batch : List.of("batch_16", "batch_1")) {
      JsonObject b = turns.getAsJsonObject(batch);
      if (b == null) {
        continue;
      }
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "peers taking turns, %s, %d rounds: p50"
          + " mmfuse %.2f ms, ONNX Runtime %.2f, TorchScript %.2f (medians of the rounds)", batch.replace('_', ' '),
          b.get("rounds").getAsInt(), b.get("mmfuse_p50_ms_median").getAsDouble(),
          b.get("onnx_runtime_p50_ms_median").getAsDouble(), b.get("torchscript_p50_ms_median").getAsDouble()));
      for (String peer : ENGINES.subList(1, ENGINES.size())) {
        line.append(String.format(Locale.ROOT, "; mmfuse's speed over %s %.2fx (rounds %.2f-%.2fx, ahead in %d;"
            + " by the means %.2fx)",
            peer.equals("onnx_runtime") ? "ONNX Runtime" : "TorchScript",
            b.get("mmfuse_speed_over_" + peer + "_median").getAsDouble(),
            b.get("mmfuse_speed_over_" + peer + "_min").getAsDouble(),
            b.get("mmfuse_speed_over_" + peer + "_max").getAsDouble(),
            b.get("mmfuse_ahead_of_" + peer + "_rounds").getAsInt(),
            b.get("mmfuse_speed_over_" + peer + "_by_mean_median").getAsDouble()));
      }
      log.println(line);
    }
    log.flush();
    return out;
  }

  /**
   * {@code benchmarks/peers/rounds.sh}'s JSON (each engine's p50 and mean per round, per batch) with, per batch, the
   * median of each engine's p50s, and per peer mmfuse's speed over it in each round (the peer's p50 over mmfuse's;
   * above 1: mmfuse is faster), the median, the range, the rounds in which mmfuse was ahead, and the median of the
   * same ratio taken on the rounds' means. A file without some engine's p50s or means per round is a clear error.
   */
  static JsonObject rounds(JsonObject raw) {
    JsonObject out = new JsonObject();
    for (String batch : raw.keySet()) {
      JsonElement e = raw.get(batch);
      if (!e.isJsonObject() || !e.getAsJsonObject().has("rounds")
          || !e.getAsJsonObject().get("rounds").isJsonPrimitive()) {
        throw new InvalidConfigurationException("benchmarks/peers/rounds.sh's " + batch + ": expected an object with"
            + " its number of rounds, found " + e);
      }
      JsonObject in = e.getAsJsonObject();
      int n = in.get("rounds").getAsInt();
      JsonObject b = in.deepCopy();
      Map<String, double[]> p50 = new HashMap<>();
      Map<String, double[]> mean = new HashMap<>();
      for (String engine : ENGINES) {
        p50.put(engine, series(in, batch, engine, "_p50_ms", n));
        mean.put(engine, series(in, batch, engine, "_mean_ms", n));
        b.addProperty(engine + "_p50_ms_median", Bench.round(median(p50.get(engine))));
      }
      for (String peer : ENGINES.subList(1, ENGINES.size())) {
        double[] speed = new double[n];
        double[] byMean = new double[n];
        JsonArray each = new JsonArray();
        int ahead = 0;
        for (int i = 0; i < n; i++) {
          speed[i] = p50.get(peer)[i] / p50.get("mmfuse")[i];
          byMean[i] = mean.get(peer)[i] / mean.get("mmfuse")[i];
          each.add(Bench.round(speed[i]));
          ahead += speed[i] > 1 ? 1 : 0;
        }
        String key = "mmfuse_speed_over_" + peer;
        b.add(key, each);
        b.addProperty(key + "_median", Bench.round(median(speed)));
        b.addProperty(key + "_min", Bench.round(Arrays.stream(speed).min().getAsDouble()));
        b.addProperty(key + "_max", Bench.round(Arrays.stream(speed).max().getAsDouble()));
        b.addProperty("mmfuse_ahead_of_" + peer + "_rounds", ahead);
        // On the rounds' means too: a heavier tail shows there and not in the p50.
        b.addProperty(key + "_by_mean_median", Bench.round(median(byMean)));
      }
      out.add(batch, b);
    }
    out.addProperty("source", "benchmarks/peers/rounds.sh (PeersRounds): the three engines in one process, a few"
        + " seconds each, one after the other, the order turning each round; the same inputs as the JMH run");
    return out;
  }

  private static final List<String> ENGINES = List.of("mmfuse", "onnx_runtime", "torchscript");

  /** One figure per round of one engine ({@code engine + suffix}), or a clear error naming what was found. */
  private static double[] series(JsonObject in, String batch, String engine, String suffix, int n) {
    JsonElement v = in.get(engine + suffix);
    if (n <= 0 || v == null || !v.isJsonArray() || v.getAsJsonArray().size() != n) {
      throw new InvalidConfigurationException("benchmarks/peers/rounds.sh's " + batch + ": expected " + n + " "
          + suffix.substring(1) + " of " + engine + ", found " + v);
    }
    double[] t = new double[n];
    for (int i = 0; i < n; i++) {
      t[i] = v.getAsJsonArray().get(i).getAsDouble();
    }
    return t;
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  /** Runs a script of the benchmarks module, its output into {@code output}; its last lines in the error if it fails. */
  private static void run(List<String> command, Path output, String what) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()));
    pb.environment().put("MMFUSE_PEERS_NO_BUILD", "1");
    int rc;
    try {
      rc = pb.start().waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InvalidConfigurationException("interrupted while " + what + " ran");
    }
    if (rc != 0) {
      List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8);
      String tail = String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
      throw new InvalidConfigurationException(what + " failed with exit code " + rc + "; its last lines:\n" + tail);
    }
  }

  /**
   * JMH's JSON (calls per second, per benchmark and batch) as the bench reports it: samples per second at batch 16,
   * milliseconds per call at batch 1, JMH's 99.9% error of each, and mmfuse's speed over each peer's (above 1:
   * mmfuse is faster).
   */
  static JsonObject figures(JsonArray jmh) {
    JsonObject out = new JsonObject();
    for (JsonElement e : jmh) {
      JsonObject run = e.getAsJsonObject();
      String name = run.get("benchmark").getAsString();
      if (!name.startsWith(BENCHMARK)) {
        continue;
      }
      String engine = switch (name.substring(BENCHMARK.length())) {
        case "mmfuseForward" -> "mmfuse";
        case "onnxRuntimeForward" -> "onnx_runtime";
        case "torchScriptForward" -> "torchscript";
        default -> null;
      };
      if (engine == null) {
        continue;
      }
      int batch = Integer.parseInt(run.getAsJsonObject("params").get("batch").getAsString());
      JsonObject metric = run.getAsJsonObject("primaryMetric");
      double callsPerSecond = metric.get("score").getAsDouble();
      double error = metric.has("scoreError") && !metric.get("scoreError").getAsString().equals("NaN")
          ? metric.get("scoreError").getAsDouble() : Double.NaN;
      JsonObject b = out.has("batch_" + batch) ? out.getAsJsonObject("batch_" + batch) : new JsonObject();
      out.add("batch_" + batch, b);
      if (batch == 1) {
        b.addProperty(engine + "_ms", Bench.round(1000 / callsPerSecond));
      } else {
        b.addProperty(engine + "_samples_per_s", Bench.round(callsPerSecond * batch));
        if (!Double.isNaN(error)) {
          b.addProperty(engine + "_samples_per_s_error", Bench.round(error * batch));
        }
      }
      b.addProperty(engine + "_calls_per_s", Bench.round(callsPerSecond));
    }
    for (String key : out.keySet()) {
      JsonObject b = out.getAsJsonObject(key);
      if (!b.has("mmfuse_calls_per_s")) {
        continue;
      }
      double mine = b.get("mmfuse_calls_per_s").getAsDouble();
      for (String peer : List.of("onnx_runtime", "torchscript")) {
        if (b.has(peer + "_calls_per_s")) {
          b.addProperty("mmfuse_speed_over_" + peer, Bench.round(mine / b.get(peer + "_calls_per_s").getAsDouble()));
        }
      }
    }
    out.addProperty("source", "benchmarks/peers/run.sh (JMH PeersBenchmark), run right after in a child process;"
        + " mmfuse includes the token embeddings and the pooler, the peers get the embeddings ready");
    return out;
  }
}
