package io.mmfuse.examples.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.mmfuse.api.InvalidConfigurationException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeersTest {
  /** Two runs of a JMH result file as JMH 1.37 writes it (fields trimmed to the ones read). */
  static final String JMH = """
      [ { "benchmark" : "io.mmfuse.benchmarks.PeersBenchmark.mmfuseForward", "mode" : "thrpt",
          "params" : { "batch" : "16" }, "primaryMetric" : { "score" : 4.0, "scoreError" : 0.5, "scoreUnit" : "ops/s" } },
        { "benchmark" : "io.mmfuse.benchmarks.PeersBenchmark.onnxRuntimeForward", "mode" : "thrpt",
          "params" : { "batch" : "16" }, "primaryMetric" : { "score" : 3.2, "scoreError" : "NaN", "scoreUnit" : "ops/s" } },
        { "benchmark" : "io.mmfuse.benchmarks.PeersBenchmark.torchScriptForward", "mode" : "thrpt",
          "params" : { "batch" : "16" }, "primaryMetric" : { "score" : 5.0, "scoreError" : 1.0, "scoreUnit" : "ops/s" } },
        { "benchmark" : "io.mmfuse.benchmarks.PeersBenchmark.mmfuseForward", "mode" : "thrpt",
          "params" : { "batch" : "1" }, "primaryMetric" : { "score" : 50.0, "scoreError" : 2.0, "scoreUnit" : "ops/s" } },
        { "benchmark" : "io.mmfuse.benchmarks.PeersBenchmark.onnxRuntimeForward", "mode" : "thrpt",
          "params" : { "batch" : "1" }, "primaryMetric" : { "score" : 100.0, "scoreError" : 2.0, "scoreUnit" : "ops/s" } },
        { "benchmark" : "io.mmfuse.benchmarks.PeersBenchmark.torchScriptForward", "mode" : "thrpt",
          "params" : { "batch" : "1" }, "primaryMetric" : { "score" : 40.0, "scoreError" : 2.0, "scoreUnit" : "ops/s" } } ]
      """;

  @Test
  void jmhCallsPerSecondBecomeSamplesPerSecondMillisecondsAndRatios() {
    JsonObject f = Peers.figures(JsonParser.parseString(JMH).getAsJsonArray());
    JsonObject b16 = f.getAsJsonObject("batch_16");
    assertEquals(64.0, b16.get("mmfuse_samples_per_s").getAsDouble(), 1e-9);
    assertEquals(8.0, b16.get("mmfuse_samples_per_s_error").getAsDouble(), 1e-9);
    assertEquals(51.2, b16.get("onnx_runtime_samples_per_s").getAsDouble(), 1e-9);
    assertTrue(!b16.has("onnx_runtime_samples_per_s_error"), "JMH's NaN error is left out");
    assertEquals(1.25, b16.get("mmfuse_speed_over_onnx_runtime").getAsDouble(), 1e-9);
    assertEquals(0.8, b16.get("mmfuse_speed_over_torchscript").getAsDouble(), 1e-9);
    JsonObject b1 = f.getAsJsonObject("batch_1");
    assertEquals(20.0, b1.get("mmfuse_ms").getAsDouble(), 1e-9);
    assertEquals(10.0, b1.get("onnx_runtime_ms").getAsDouble(), 1e-9);
    assertEquals(0.5, b1.get("mmfuse_speed_over_onnx_runtime").getAsDouble(), 1e-9);
    assertEquals(1.25, b1.get("mmfuse_speed_over_torchscript").getAsDouble(), 1e-9);
  }

  @Test
  void roundsTakingTurnsGiveMmfusesSpeedOverEachPeerRoundByRound() {
    JsonObject raw = JsonParser.parseString("""
        { "batch_1": { "rounds": 3, "seconds_per_turn": 2,
            "mmfuse_p50_ms": [8.0, 10.0, 9.0], "onnx_runtime_p50_ms": [10.0, 9.0, 9.9],
            "torchscript_p50_ms": [16.0, 20.0, 18.0],
            "mmfuse_mean_ms": [10.0, 10.0, 10.0], "onnx_runtime_mean_ms": [9.0, 9.5, 12.0],
            "torchscript_mean_ms": [20.0, 20.0, 20.0] } }
        """).getAsJsonObject();
    JsonObject b = Peers.rounds(raw).getAsJsonObject("batch_1");
    assertEquals(9.0, b.get("mmfuse_p50_ms_median").getAsDouble(), 1e-9);
    assertEquals(9.9, b.get("onnx_runtime_p50_ms_median").getAsDouble(), 1e-9);
    // Per round: 10 / 8, 9 / 10, 9.9 / 9.
    assertEquals(1.25, b.getAsJsonArray("mmfuse_speed_over_onnx_runtime").get(0).getAsDouble(), 1e-9);
    assertEquals(1.1, b.get("mmfuse_speed_over_onnx_runtime_median").getAsDouble(), 1e-9);
    assertEquals(0.9, b.get("mmfuse_speed_over_onnx_runtime_min").getAsDouble(), 1e-9);
    assertEquals(1.25, b.get("mmfuse_speed_over_onnx_runtime_max").getAsDouble(), 1e-9);
    assertEquals(2, b.get("mmfuse_ahead_of_onnx_runtime_rounds").getAsInt());
    assertEquals(2.0, b.get("mmfuse_speed_over_torchscript_median").getAsDouble(), 1e-9);
    assertEquals(3, b.get("mmfuse_ahead_of_torchscript_rounds").getAsInt());
    assertEquals(0.95, b.get("mmfuse_speed_over_onnx_runtime_by_mean_median").getAsDouble(), 1e-9);
    assertEquals(3, b.getAsJsonArray("mmfuse_p50_ms").size(), "the rounds' own figures are kept");
  }

  @Test
  void roundsMissingAnEnginesFiguresAreAClearError() {
    JsonObject raw = JsonParser.parseString("""
        { "batch_16": { "rounds": 2, "mmfuse_p50_ms": [1.0, 2.0], "onnx_runtime_p50_ms": [1.0],
            "torchscript_p50_ms": [1.0, 2.0], "mmfuse_mean_ms": [1.0, 2.0], "onnx_runtime_mean_ms": [1.0, 2.0],
            "torchscript_mean_ms": [1.0, 2.0] } }
        """).getAsJsonObject();
    InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class, () -> Peers.rounds(raw));
    assertTrue(e.getMessage().contains("batch_16") && e.getMessage().contains("p50_ms of onnx_runtime")
        && e.getMessage().contains("expected 2"), e.getMessage());
    JsonObject noMeans = JsonParser.parseString("""
        { "batch_1": { "rounds": 1, "mmfuse_p50_ms": [1.0], "onnx_runtime_p50_ms": [1.0],
            "torchscript_p50_ms": [1.0] } }
        """).getAsJsonObject();
    e = assertThrows(InvalidConfigurationException.class, () -> Peers.rounds(noMeans));
    assertTrue(e.getMessage().contains("mean_ms of mmfuse") && e.getMessage().contains("found null"),
        e.getMessage());
    JsonObject noCount = JsonParser.parseString("{ \"batch_1\": { \"mmfuse_p50_ms\": [1.0] } }").getAsJsonObject();
    e = assertThrows(InvalidConfigurationException.class, () -> Peers.rounds(noCount));
    assertTrue(e.getMessage().contains("batch_1") && e.getMessage().contains("number of rounds"), e.getMessage());
  }

  @Test
  void withoutTheSourceTreeItIsRefusedBeforeAnyMeasurement(@TempDir Path dir) {
    InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class, () -> new Peers(dir).check());
    assertTrue(e.getMessage().contains("benchmarks/peers/run.sh") && e.getMessage().contains(dir.toString()),
        e.getMessage());
  }
}
