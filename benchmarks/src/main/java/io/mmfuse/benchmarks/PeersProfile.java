package io.mmfuse.benchmarks;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.mmfuse.examples.bench.OpTimes;
import io.mmfuse.examples.bench.Workloads;
import io.mmfuse.fusion.session.InputFeed;
import io.mmfuse.fusion.train.TrainingModel;
import io.mmfuse.runtime.RuntimeOptions;
import io.mmfuse.runtime.TensorFlowRuntime;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where the time of one forward pass goes in ONNX Runtime and in mmfuse, op type by op type, for the encoder of
 * {@link PeersBenchmark} (the peers written by {@code benchmarks/peers/export_peers.py}): the calls' p50 and fastest,
 * one engine after the other, then ONNX Runtime's own profiler
 * over {@code runs} calls (its kernels after its graph optimizations, fused ones under their fused names), and
 * TensorFlow's trace of mmfuse's fastest of {@code runs} traced calls.
 *
 * <pre>benchmarks/peers/profile.sh [batch] [runs]</pre>
 */
public final class PeersProfile {
  private PeersProfile() {}

  public static void main(String[] args) throws Exception {
    int batch = args.length > 0 ? Integer.parseInt(args[0]) : 1;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 50;
    Path dir = Path.of(System.getProperty("mmfuse.peers", "benchmarks/target/peers"));
    int cores = Runtime.getRuntime().availableProcessors();
    var w = Workloads.SMALL;
    float[] embedded = PeersBenchmark.floats(dir.resolve("embedded-b" + batch + ".f32"));
    float[] patches = PeersBenchmark.floats(dir.resolve("patches-b" + batch + ".f32"));
    long[] embeddedShape = {batch, Workloads.TOKENS - Workloads.PATCHES, w.width()};
    long[] patchShape = {batch, Workloads.PATCHES, Workloads.PATCH_FEATURES};

    OrtEnvironment ort = OrtEnvironment.getEnvironment();
    // First untraced and unprofiled.
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        TrainingModel mmfuse = TrainingModel.create(Workloads.config(w, io.mmfuse.api.proto.Precision.FLOAT32),
            io.mmfuse.api.proto.Task.CLASSIFICATION, 2, null, // no optimizer: the graph a bundle serves
            TensorFlowRuntime.place(RuntimeOptions.of("cpu"), List::of).config())) {
      options.setIntraOpNumThreads(cores);
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      mmfuse.initializeRandom(1);
      Map<String, InputFeed> feeds = Workloads.feeds(batch, 7);
      try (OrtSession session = ort.createSession(dir.resolve("encoder-b" + batch + ".onnx").toString(), options);
          OnnxTensor e = OnnxTensor.createTensor(ort, FloatBuffer.wrap(embedded), embeddedShape);
          OnnxTensor p = OnnxTensor.createTensor(ort, FloatBuffer.wrap(patches), patchShape)) {
        Map<String, OnnxTensor> in = Map.of("embedded", e, "patches", p);
        double[] o = new double[runs * 2];
        double[] m = new double[runs * 2];
        for (int i = 0; i < 10; i++) {
          session.run(in).close();
          mmfuse.predict(feeds);
        }
        // One engine after the other, a second apart: ONNX Runtime's workers spin after its calls (its default) and
        // slowed TensorFlow's by a fifth or more when the two took turns every 20 calls.
        for (int j = 0; j < runs * 2; j++) {
          long t0 = System.nanoTime();
          session.run(in).close();
          o[j] = (System.nanoTime() - t0) / 1e6;
        }
        Thread.sleep(1000);
        for (int j = 0; j < runs * 2; j++) {
          long t0 = System.nanoTime();
          mmfuse.predict(feeds);
          m[j] = (System.nanoTime() - t0) / 1e6;
        }
        java.util.Arrays.sort(o);
        java.util.Arrays.sort(m);
        System.out.printf(Locale.ROOT, "batch %d, %d calls each, one engine after the other: ONNX Runtime p50 %.2f ms (fastest %.2f),"
            + " mmfuse p50 %.2f ms (fastest %.2f)%n", batch, runs * 2, o[runs], o[0], m[runs], m[0]);
      }
    }
    Path profileDir = Files.createTempDirectory("ort-profile");
    Map<String, double[]> onnx = new HashMap<>();
    long onnxWall;
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(cores);
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      options.enableProfiling(profileDir.resolve("ort").toString());
      try (OrtSession session = ort.createSession(dir.resolve("encoder-b" + batch + ".onnx").toString(), options);
          OnnxTensor e = OnnxTensor.createTensor(ort, FloatBuffer.wrap(embedded), embeddedShape);
          OnnxTensor p = OnnxTensor.createTensor(ort, FloatBuffer.wrap(patches), patchShape)) {
        Map<String, OnnxTensor> in = Map.of("embedded", e, "patches", p);
        for (int i = 0; i < 10; i++) {
          session.run(in).close();
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < runs; i++) {
          session.run(in).close();
        }
        onnxWall = (System.nanoTime() - t0) / runs / 1000;
        String file = session.endProfiling();
        for (JsonElement ev : JsonParser.parseString(Files.readString(Path.of(file))).getAsJsonArray()) {
          JsonObject o = ev.getAsJsonObject();
          if (!"Node".equals(o.has("cat") ? o.get("cat").getAsString() : "")
              || !o.get("name").getAsString().endsWith("_kernel_time")) {
            continue;
          }
          String op = o.getAsJsonObject("args").get("op_name").getAsString();
          double[] t = onnx.computeIfAbsent(op, k -> new double[2]);
          t[0] += o.get("dur").getAsDouble();
          t[1]++;
        }
      }
    }
    // The profile also holds the warm-up runs: per call, over all profiled calls.
    int profiled = runs + 10;
    print("ONNX Runtime, batch " + batch + String.format(Locale.ROOT, ": %.2f ms a call", onnxWall / 1e3), onnx,
        profiled);

    try (TrainingModel mmfuse = TrainingModel.create(Workloads.config(w, io.mmfuse.api.proto.Precision.FLOAT32),
        io.mmfuse.api.proto.Task.CLASSIFICATION, 2, null, // no optimizer: the graph a bundle serves
        TensorFlowRuntime.place(RuntimeOptions.of("cpu"), List::of).config())) {
      mmfuse.initializeRandom(1);
      Map<String, InputFeed> feeds = Workloads.feeds(batch, 7);
      for (int i = 0; i < 10; i++) {
        mmfuse.predict(feeds);
      }
      org.tensorflow.proto.RunMetadata fastest = OpTimes.fastest(() -> mmfuse.traceForward(feeds), runs);
      long fastestSpan = OpTimes.spanMicros(fastest);
      Map<String, double[]> tf = new HashMap<>();
      OpTimes.byType(fastest).forEach((type, t) -> tf.put(type, new double[] {t[0], t[1]}));
      print("mmfuse (TensorFlow), batch " + batch + String.format(Locale.ROOT, ": fastest of %d traced calls, %.2f ms"
          + " from first op to last", runs, fastestSpan / 1e3), tf, 1);
    }
  }

  private static void print(String title, Map<String, double[]> byOp, int calls) {
    double total = byOp.values().stream().mapToDouble(t -> t[0]).sum();
    System.out.printf(Locale.ROOT, "%s; %.2f ms of op time a call%n", title, total / calls / 1e3);
    byOp.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue()[0], a.getValue()[0])).limit(16)
        .forEach(e -> System.out.printf(Locale.ROOT, "  %-30s %7.2f ms %5.1f%% %5.0f ops a call%n", e.getKey(),
            e.getValue()[0] / calls / 1e3, 100 * e.getValue()[0] / total, e.getValue()[1] / calls));
  }
}
