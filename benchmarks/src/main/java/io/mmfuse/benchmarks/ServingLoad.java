package io.mmfuse.benchmarks;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.protobuf.ByteString;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.mmfuse.api.plugin.ModalityRegistry;
import io.mmfuse.api.plugin.Plugins;
import io.mmfuse.api.proto.Example;
import io.mmfuse.api.proto.InputValue;
import io.mmfuse.api.proto.TableRow;
import io.mmfuse.fusion.data.BadRows;
import io.mmfuse.fusion.data.DataFile;
import io.mmfuse.fusion.data.Dataset;
import io.mmfuse.fusion.inference.BatchingPredictor;
import io.mmfuse.fusion.inference.Predictor;
import io.mmfuse.runtime.CpuFeatures;
import io.mmfuse.serving.ModelServer;
import io.mmfuse.serving.ServerOptions;
import io.mmfuse.serving.proto.ModelsGrpc;
import io.mmfuse.serving.proto.PredictRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The model server under load (docs/serving.md); not a test.
 *
 * <p>{@code ServingLoad bench BUNDLE DATA.csv SECONDS OUT.json}: requests/s and p50/p99 latency at 1, 8 and 64
 * closed-loop clients, with requests of 1 and of 8 examples, through three paths in one process: the batching
 * predictor called in process, gRPC on 127.0.0.1, HTTP/JSON on 127.0.0.1 (server and clients share the CPU).
 *
 * <p>{@code ServingLoad soak PORT SERVER_PID DATA.csv SECONDS CLIENTS OUT.csv}: a steady load on a running {@code
 * mmfuse serve} (gRPC, model name {@code m}, one example a request), the server's resident memory every 10 s.
 */
public final class ServingLoad {
  private ServingLoad() {}

  /** One path of a request: what a client does to get the answers of {@code examples}. */
  interface Client {
    void call(List<Example> examples) throws Exception;
  }

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("bench")) {
      bench(Path.of(args[1]), Path.of(args[2]), Double.parseDouble(args[3]), Path.of(args[4]));
    } else if (args.length > 0 && args[0].equals("soak")) {
      soak(Integer.parseInt(args[1]), Long.parseLong(args[2]), Path.of(args[3]), Double.parseDouble(args[4]),
          Integer.parseInt(args[5]), Path.of(args[6]));
    } else {
      System.err.println("usage: ServingLoad bench BUNDLE DATA.csv SECONDS OUT.json"
          + " | soak PORT SERVER_PID DATA.csv SECONDS CLIENTS OUT.csv");
      System.exit(2);
    }
    // The HTTP client's threads would keep the JVM up.
    System.exit(0);
  }

  /** The first rows of a data file as protobuf examples, image files read as their bytes. */
  static List<Example> examples(Path data, Predictor p, ModalityRegistry registry, int max) throws Exception {
    List<Example> out = new ArrayList<>();
    // The generated rows' label column is read as the label, not sent as a table cell.
    String label = Files.readAllLines(data).get(0).contains("label") ? "label" : null;
    try (DataFile d = DataFile.open(data, label, p.spec(), registry, Dataset.ReadOptions.NONE, BadRows.FAIL)) {
      for (int r = 0; r < Math.min(d.size(), max); r++) {
        Example.Builder b = Example.newBuilder();
        for (Map.Entry<String, Object> e : d.example(r).inputs().entrySet()) {
          Object v = e.getValue();
          InputValue.Builder iv = InputValue.newBuilder();
          if (v == null) {
            continue;
          } else if (v instanceof Path f) {
            iv.setImage(ByteString.copyFrom(Files.readAllBytes(f)));
          } else if (v instanceof byte[] bytes) {
            iv.setImage(ByteString.copyFrom(bytes));
          } else if (v instanceof Map<?, ?> m) {
            TableRow.Builder row = TableRow.newBuilder();
            m.forEach((k, c) -> {
              if (c != null) {
                row.putCells(k.toString(), c.toString());
              }
            });
            iv.setTable(row);
          } else {
            iv.setText(v.toString());
          }
          b.putInputs(e.getKey(), iv.build());
        }
        out.add(b.build());
      }
    }
    return out;
  }

  static String json(List<Example> examples) {
    return io.mmfuse.serving.JsonExamples.toJson(examples).toString();
  }


  static void bench(Path bundle, Path data, double seconds, Path out) throws Exception {
    ModalityRegistry registry = Plugins.load();
    BatchingPredictor.Options batching = BatchingPredictor.Options.defaults();
    JsonObject report = new JsonObject();
    CpuFeatures cpu = CpuFeatures.detect();
    report.addProperty("cpu", cpu.model() + " (" + String.join(", ", cpu.summary()) + ")");
    report.addProperty("cores", Runtime.getRuntime().availableProcessors());
    report.addProperty("seconds_per_point", seconds);
    report.addProperty("batching", batching.toString());
    JsonArray points = new JsonArray();
    List<Example> examples;
    try (Predictor p = Predictor.load(bundle, registry)) {
      examples = examples(data, p, registry, 256);
      try (BatchingPredictor b = BatchingPredictor.over(p, batching)) {
        Client inProcess = ex -> {
          List<CompletableFuture<float[]>> f = new ArrayList<>();
          for (Example e : ex) {
            f.add(b.submit(new java.util.LinkedHashMap<String, Object>(e.getInputsMap())));
          }
          for (CompletableFuture<float[]> x : f) {
            x.get();
          }
        };
        run("in-process", inProcess, examples, seconds, points);
      }
    }
    ServerOptions o = ServerOptions.builder().grpcPort(0).httpPort(0).model("m", bundle).batching(batching)
        .httpThreads(80).build();
    try (ModelServer server = ModelServer.start(o, registry, line -> {})) {
      ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.grpcPort(),
          InsecureChannelCredentials.create()).build();
      try {
        ModelsGrpc.ModelsBlockingStub stub = ModelsGrpc.newBlockingStub(channel);
        Client grpc = ex -> stub.withDeadlineAfter(120, TimeUnit.SECONDS)
            .predict(PredictRequest.newBuilder().setModel("m").addAllExamples(ex).build());
        run("grpc", grpc, examples, seconds, points);
      } finally {
        channel.shutdownNow();
      }
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .executor(Executors.newFixedThreadPool(8)).build();
      URI uri = URI.create("http://127.0.0.1:" + server.httpPort() + "/v1/models/m:predict");
      Client httpJson = ex -> {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(120))
            .POST(HttpRequest.BodyPublishers.ofString(json(ex))).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
          throw new IllegalStateException("HTTP " + r.statusCode() + ": " + r.body());
        }
      };
      run("http-json", httpJson, examples, seconds, points);
    }
    report.add("points", points);
    String text = new GsonBuilder().setPrettyPrinting().create().toJson(report);
    Files.writeString(out, text + "\n");
    System.out.println("written " + out);
  }

  static void run(String path, Client client, List<Example> examples, double seconds, JsonArray points)
      throws Exception {
    // Warm up: the first calls load kernels and fill the tokenizers' caches.
    for (int i = 0; i < 8; i++) {
      client.call(examples.subList(i % examples.size(), i % examples.size() + 1));
    }
    for (int batch : new int[] {1, 8}) {
      for (int clients : new int[] {1, 8, 64}) {
        JsonObject point = measure(client, examples, seconds, clients, batch);
        point.addProperty("path", path);
        points.add(point);
        System.out.printf(Locale.ROOT, "%-10s batch %d, %2d clients: %7.1f requests/s, %7.1f examples/s,"
            + " p50 %7.1f ms, p99 %7.1f ms, errors %d%n", path, batch, clients,
            point.get("requests_per_s").getAsDouble(), point.get("examples_per_s").getAsDouble(),
            point.get("p50_ms").getAsDouble(), point.get("p99_ms").getAsDouble(), point.get("errors").getAsLong());
      }
    }
  }

  static JsonObject measure(Client client, List<Example> examples, double seconds, int clients, int batch)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    long end = System.nanoTime() + (long) (seconds * 1e9);
    List<Future<long[]>> results = new ArrayList<>();
    LongAdder errors = new LongAdder();
    AtomicLong next = new AtomicLong();
    long t0 = System.nanoTime();
    for (int c = 0; c < clients; c++) {
      results.add(pool.submit(() -> {
        long[] lat = new long[1 << 16];
        int n = 0;
        while (System.nanoTime() < end && n < lat.length) {
          int first = (int) (next.getAndAdd(batch) % (examples.size() - batch));
          long s = System.nanoTime();
          try {
            client.call(examples.subList(first, first + batch));
            lat[n++] = System.nanoTime() - s;
          } catch (Exception e) {
            errors.increment();
          }
        }
        return Arrays.copyOf(lat, n);
      }));
    }
    List<long[]> all = new ArrayList<>();
    for (Future<long[]> f : results) {
      all.add(f.get());
    }
    double elapsed = (System.nanoTime() - t0) / 1e9;
    pool.shutdown();
    long[] lat = all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
    JsonObject o = new JsonObject();
    o.addProperty("clients", clients);
    o.addProperty("batch", batch);
    o.addProperty("requests", lat.length);
    o.addProperty("errors", errors.sum());
    o.addProperty("requests_per_s", lat.length / elapsed);
    o.addProperty("examples_per_s", lat.length * (double) batch / elapsed);
    o.addProperty("p50_ms", lat.length == 0 ? Double.NaN : lat[(int) (0.50 * (lat.length - 1))] / 1e6);
    o.addProperty("p99_ms", lat.length == 0 ? Double.NaN : lat[(int) (0.99 * (lat.length - 1))] / 1e6);
    return o;
  }

  static void soak(int port, long pid, Path data, double seconds, int clients, Path out) throws Exception {
    ModalityRegistry registry = Plugins.load();
    ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port,
        InsecureChannelCredentials.create()).build();
    List<Example> examples;
    Path bundle = Path.of(System.getProperty("mmfuse.soak.bundle"));
    try (Predictor p = Predictor.load(bundle, registry)) {
      examples = examples(data, p, registry, 256);
    }
    ModelsGrpc.ModelsBlockingStub stub = ModelsGrpc.newBlockingStub(channel);
    LongAdder ok = new LongAdder();
    java.util.Map<String, LongAdder> errors = new java.util.concurrent.ConcurrentHashMap<>();
    long end = System.nanoTime() + (long) (seconds * 1e9);
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    AtomicLong next = new AtomicLong();
    for (int c = 0; c < clients; c++) {
      pool.submit(() -> {
        while (System.nanoTime() < end) {
          Example e = examples.get((int) (next.getAndIncrement() % examples.size()));
          try {
            stub.withDeadlineAfter(60, TimeUnit.SECONDS).predict(PredictRequest.newBuilder().setModel("m")
                .addExamples(e).build());
            ok.increment();
          } catch (RuntimeException x) {
            errors.computeIfAbsent(io.grpc.Status.fromThrowable(x).getCode().name(), k -> new LongAdder())
                .increment();
          }
        }
      });
    }
    List<String> lines = new ArrayList<>(List.of("seconds,answered,errors,server_rss_mb"));
    long t0 = System.nanoTime();
    System.out.printf("%8s %10s %7s %14s%n", "seconds", "answered", "errors", "server_rss_mb");
    while (System.nanoTime() < end) {
      Thread.sleep(Math.min(10_000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
      long errs = errors.values().stream().mapToLong(LongAdder::sum).sum();
      String line = String.format(Locale.ROOT, "%.0f,%d,%d,%d", (System.nanoTime() - t0) / 1e9, ok.sum(), errs,
          rssMb(pid));
      lines.add(line);
      String[] f = line.split(",");
      System.out.printf("%8s %10s %7s %14s%n", f[0], f[1], f[2], f[3]);
    }
    pool.shutdown();
    pool.awaitTermination(2, TimeUnit.MINUTES);
    channel.shutdownNow();
    Files.write(out, lines);
    System.out.println("answered " + ok.sum() + ", errors " + errors);
  }

  static long rssMb(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
        }
      }
    } catch (java.io.IOException e) {
      return -1;
    }
    return -1;
  }
}
