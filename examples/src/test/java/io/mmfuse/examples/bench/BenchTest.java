package io.mmfuse.examples.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.mmfuse.api.plugin.Plugins;
import io.mmfuse.fusion.graph.FusionGraph;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;

class BenchTest {
  /**
   * The analytic FLOP count against one derived from the graph's own weight matrices: 2 x rows x columns per token
   * that passes through each kernel (patches through the projection, every token through the encoder's, the CLS
   * through the pooler), plus attention's two L x L products per layer.
   */
  @Test
  void flopsMatchTheGraphsOwnWeightMatrices() {
    for (Workloads.Workload w : new Workloads.Workload[] {Workloads.SMALL, Workloads.BASE}) {
      double flops = 0;
      try (Graph g = new Graph()) {
        FusionGraph graph = FusionGraph.build(Workloads.config(w, io.mmfuse.api.proto.Precision.FLOAT32), g);
        for (FusionGraph.Parameter p : graph.parameters().values()) {
          if (!p.name().endsWith("/kernel")) {
            continue;
          }
          double tokens = p.name().startsWith("embed/image") ? Workloads.PATCHES
              : p.name().startsWith("pooler") ? 1 : Workloads.TOKENS;
          flops += 2.0 * p.shape()[0] * p.shape()[1] * tokens;
        }
      }
      flops += w.layers() * 4.0 * Workloads.TOKENS * Workloads.TOKENS * w.width();
      assertEquals(flops, w.forwardFlops(), flops * 1e-12, w.name());
    }
    assertEquals(277, Workloads.TOKENS);
    // For scale: mm-base is close to BERT-base's 2 x 85 M encoder parameters x 277 tokens = 47 GFLOP, plus attention.
    assertEquals(50.2e9, Workloads.BASE.forwardFlops(), 0.3e9);
  }

  @Test
  void theProfileNamesTheOpTypesTensorFlowRan(@TempDir Path dir) {
    StringWriter log = new StringWriter();
    new Bench(true, 0.05, null, new PrintWriter(log), dir).profile(Bench.VARIANTS.get(0), 1);
    String out = log.toString();
    String forward = out.substring(out.indexOf("profile mm-small forward (default, batch 1, serving graph)"),
        out.indexOf("profile mm-small train (default, batch 1)"));
    String train = out.substring(out.indexOf("profile mm-small train (default, batch 1)"));
    // The forward pass traced on the graph a bundle serves: attention as BatchMatMulV2, no Einsum; training's Einsum.
    assertTrue(forward.contains("MatMul") && forward.contains("BatchMatMulV2") && !forward.contains("Einsum"),
        forward);
    assertTrue(train.contains("MatMul") && train.contains("Einsum"), train);
  }

  @Test
  void theProfileOfOnePredictionSplitsTokenizingFromTheServingGraph(@TempDir Path dir) throws Exception {
    StringWriter log = new StringWriter();
    new Bench(true, 0.05, Plugins.load(getClass().getClassLoader()), new PrintWriter(log), dir).profilePrediction();
    String out = log.toString();
    assertTrue(out.matches("(?s).*profile one prediction \\(.*\\): tokenize p50 [0-9.]+ ms, model p50 [0-9.]+ ms.*"),
        out);
    // The bundle's own graph, traced: its fused matrix products, ops counted.
    assertTrue(out.contains("profile serving graph, batch 1") && out.contains("FusedMatMul"), out);
    // How much of that run had ops side by side, and the ops that ran alone.
    assertTrue(out.matches("(?s).*ops running: at least one [0-9.]+ ms, two or more at once [0-9.]+ ms, of the"
        + " [0-9.]+ ms span.*"), out);
  }

  @Test
  void aShortRunReportsEveryFigureConsistently(@TempDir Path dir) throws Exception {
    StringWriter log = new StringWriter();
    JsonObject r = new Bench(true, 0.05, Plugins.load(getClass().getClassLoader()), new PrintWriter(log), dir).run();
    double peak = r.get("matmul_gflops").getAsDouble();
    assertTrue(peak > 0);
    JsonObject small = r.getAsJsonObject("workloads").getAsJsonObject("mm-small");
    for (String v : new String[] {"default", "xla", "bf16", "xla+bf16"}) {
      JsonObject o = small.getAsJsonObject(v);
      double fs = o.get("forward_samples_per_s").getAsDouble();
      double ts = o.get("train_samples_per_s").getAsDouble();
      assertTrue(fs > 0 && ts > 0, v);
      double flops = Workloads.SMALL.forwardFlops();
      assertEquals(fs * flops / 1e9, o.get("forward_gflops").getAsDouble(), 0.01 + 1e-3 * fs * flops / 1e9, v);
      assertEquals(3 * ts * flops / 1e9, o.get("train_gflops").getAsDouble(), 0.01 + 1e-3 * ts * flops / 1e9, v);
      // Each row's share is of the better of the run's first peak and one measured right before the row.
      double rowPeak = o.get("matmul_peak_gflops").getAsDouble();
      assertTrue(rowPeak >= peak - 0.01, v);
      assertEquals(o.get("forward_gflops").getAsDouble() / rowPeak, o.get("forward_of_matmul_peak").getAsDouble(),
          0.002);
    }
    JsonObject latency = r.getAsJsonObject("predict_latency_ms");
    assertTrue(latency.get("p50").getAsDouble() > 0);
    assertTrue(latency.get("p50").getAsDouble() <= latency.get("p99").getAsDouble());
    for (String key : new String[] {"float32_default_threads", "float32_tensorflow_threads"}) {
      assertTrue(latency.getAsJsonObject(key).get("p50").getAsDouble() > 0, key);
    }
    // The floor takes the better of the run's first matmul peak and the one measured right before the timing.
    double again = latency.get("matmul_gflops_before_timing").getAsDouble();
    assertTrue(again > 0);
    assertEquals(Math.max(peak, again), latency.get("floor_matmul_gflops").getAsDouble(), 0.01);
    double floor = Workloads.SMALL.forwardFlops() / (Math.max(peak, again) * 1e9) * 1e3;
    assertEquals(floor, latency.get("flop_floor_ms").getAsDouble(), 0.01 + 1e-3 * floor);
    assertEquals(latency.get("p50").getAsDouble() / latency.get("flop_floor_ms").getAsDouble(),
        latency.get("p50_of_floor").getAsDouble(), 0.01 * latency.get("p50_of_floor").getAsDouble() + 0.01);
    // The default row ran the bundle's parted graph with a thread per part, one op thread per core of each; the
    // other with the threads it asked for.
    int cores = Runtime.getRuntime().availableProcessors();
    JsonObject parted = latency.getAsJsonObject("float32_default_threads");
    assertEquals(io.mmfuse.fusion.graph.FusionGraph.SEQUENCE_PARTS, parted.get("sequence_parts").getAsInt());
    assertEquals(Math.max(1, cores / 2), parted.get("intra_op_threads").getAsInt());
    assertEquals(Math.max(2, cores), parted.get("inter_op_threads").getAsInt());
    assertEquals(cores, latency.getAsJsonObject("float32_tensorflow_threads").get("intra_op_threads").getAsInt());
    JsonObject timed = latency.getAsJsonObject("float32_default_threads");
    assertTrue(timed.get("min").getAsDouble() > 0 && timed.get("min").getAsDouble() <= timed.get("p50").getAsDouble());
    assertEquals(timed.get("min").getAsDouble() / latency.get("flop_floor_ms").getAsDouble(),
        latency.get("min_of_floor").getAsDouble(), 0.01 * latency.get("min_of_floor").getAsDouble() + 0.01);
    if (java.nio.file.Files.isReadable(Path.of("/proc/stat"))) {
      // Linux: the hypervisor's share of the CPU while the predictions ran, a share.
      double steal = latency.get("cpu_steal_share").getAsDouble();
      assertTrue(steal >= 0 && steal <= 1, "steal " + steal);
    }
    JsonObject batching = latency.getAsJsonObject("batching");
    double forward16 = small.getAsJsonObject("default").get("forward_samples_per_s").getAsDouble();
    assertEquals(forward16, batching.get("batch16_forward_samples_per_s").getAsDouble(), 1e-3 * forward16 + 1e-3);
    for (String callers : new String[] {"1_callers", "8_callers", "32_callers"}) {
      JsonObject o = batching.getAsJsonObject(callers);
      double rate = o.get("samples_per_s").getAsDouble();
      assertTrue(rate > 0 && o.get("p50_ms").getAsDouble() <= o.get("p99_ms").getAsDouble(), callers);
      assertEquals(rate / forward16, o.get("of_batch16_forward").getAsDouble(), 0.002 + 1e-3 * rate / forward16);
      assertTrue(o.get("mean_batch").getAsDouble() >= 1 && o.get("mean_batch").getAsDouble() <= 16, callers);
    }
    assertEquals(1.0, batching.getAsJsonObject("1_callers").get("mean_batch").getAsDouble(), 1e-9,
        "one blocking caller has nobody to batch with");
    JsonObject machine = r.getAsJsonObject("machine");
    assertEquals(io.mmfuse.runtime.CpuFeatures.detect().summary().size(),
        machine.getAsJsonArray("cpu_features").size());
    assertEquals(io.mmfuse.runtime.PrecisionPolicy.choose(io.mmfuse.api.proto.Precision.AUTO, false, false).used()
        .name(),
        machine.getAsJsonObject("choices").get("precision_auto").getAsString());
    assertTrue(r.getAsJsonObject("preprocessing").get("wordpiece_tokens_per_s").getAsLong() > 0);
    assertTrue(r.getAsJsonObject("preprocessing").get("vit_images_per_s").getAsDouble() > 0);
    assertTrue(log.toString().contains("mm-small xla+bf16"), log.toString());
  }
}
