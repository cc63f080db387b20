package io.mmfuse.examples.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.mmfuse.fusion.inference.BatchingPredictor;
import io.mmfuse.fusion.inference.Predictor;
import io.mmfuse.serving.ModelServer;
import io.mmfuse.serving.ServerOptions;
import io.mmfuse.serving.proto.AdminGrpc;
import io.mmfuse.serving.proto.ModelsGrpc;
import io.mmfuse.serving.proto.PredictRequest;
import io.mmfuse.serving.proto.PredictResponse;
import io.mmfuse.serving.proto.ReloadRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The server under load: overload, deadlines, hot reload while clients call, shutdown with requests in flight. */
class LoadTest {
  static Map<String, List<float[]>> expected = new ConcurrentHashMap<>();

  @BeforeAll
  static void train() throws Exception {
    Bundles.train();
    for (Path p : List.of(Bundles.a, Bundles.b)) {
      try (Predictor pr = Predictor.load(p, Bundles.REGISTRY)) {
        expected.put(manifestHash(p).substring(0, 12), pr.predictAll(ServingTest.asMaps(Bundles.examples)));
      }
    }
  }

  static String manifestHash(Path bundle) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(
        bundle.resolve("manifest.json"))));
  }

  static PredictRequest request(String model, int first, int n) {
    PredictRequest.Builder b = PredictRequest.newBuilder().setModel(model);
    for (int i = 0; i < n; i++) {
      b.addExamples(Bundles.examples.get((first + i) % Bundles.examples.size()));
    }
    return b.build();
  }

  /** Every answer matches the bundle its version names, example by example: never a mix. */
  static void checkFromOneModel(PredictResponse r, int first) {
    String hash = r.getModelVersion().substring(r.getModelVersion().indexOf('-') + 1);
    List<float[]> want = expected.get(hash);
    assertTrue(want != null, "version " + r.getModelVersion() + " is neither bundle");
    for (int i = 0; i < r.getPredictionsCount(); i++) {
      assertArrayEquals(want.get((first + i) % Bundles.examples.size()),
          ServingTest.floats(r.getPredictions(i).getOutputsList()), 1e-5f, r.getModelVersion() + ", example " + i);
    }
  }

  @Test
  void pastItsQueueTheServerRefusesAtOnceAndRecovers() throws Exception {
    try (ModelServer server = ModelServer.start(ServerOptions.builder().grpcPort(0).httpPort(0)
        .model("m", Bundles.a).batching(new BatchingPredictor.Options(2, Duration.ofMillis(1), 4)).build(),
        Bundles.REGISTRY, line -> {})) {
      ManagedChannel c = Clients.channel(server.grpcPort());
      try {
        ModelsGrpc.ModelsFutureStub stub = ModelsGrpc.newFutureStub(c).withDeadlineAfter(120, TimeUnit.SECONDS);
        List<ListenableFuture<PredictResponse>> calls = new ArrayList<>();
        for (int i = 0; i < 48; i++) {
          calls.add(stub.predict(request("m", i, 2)));
        }
        int ok = 0;
        int refused = 0;
        for (int i = 0; i < calls.size(); i++) {
          try {
            checkFromOneModel(calls.get(i).get(), i);
            ok++;
          } catch (ExecutionException e) {
            Status s = Status.fromThrowable(e.getCause());
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, s.getCode(), s.toString());
            assertTrue(s.getDescription().contains("queue is full"), s.getDescription());
            refused++;
          }
        }
        assertTrue(refused > 0 && ok > 0, ok + " answered, " + refused + " refused");
        // HTTP says 429 when the queue is full too.
        List<Future<Clients.Http>> http = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
          for (int i = 0; i < 32; i++) {
            http.add(pool.submit(() -> Clients.post(server.httpPort(), "/v1/models/m:predict",
                ServingTest.json(Bundles.examples.subList(0, 3)))));
          }
          int tooMany = 0;
          for (Future<Clients.Http> f : http) {
            Clients.Http h = f.get();
            assertTrue(h.status() == 200 || h.status() == 429, h.body());
            tooMany += h.status() == 429 ? 1 : 0;
          }
          assertTrue(tooMany > 0, "no 429 from 32 concurrent requests of 3 over a queue of 4");
        } finally {
          pool.shutdownNow();
        }
        // The load gone, every request is answered again.
        for (int i = 0; i < 4; i++) {
          checkFromOneModel(Clients.models(c).predict(request("m", i, 2)), i);
        }
        assertTrue(server.scrapeMetrics().contains("code=\"RESOURCE_EXHAUSTED\""));
      } finally {
        Clients.close(c);
      }
    }
  }

  @Test
  void aDeadlineThatPassesInTheQueueIsAnsweredDeadlineExceeded() throws Exception {
    try (ModelServer server = ModelServer.start(ServerOptions.builder().grpcPort(0).httpPort(0)
        .model("m", Bundles.a).batching(new BatchingPredictor.Options(2, Duration.ofMillis(1), 1024)).build(),
        Bundles.REGISTRY, line -> {})) {
      ManagedChannel c = Clients.channel(server.grpcPort());
      try {
        // Three requests of 128 examples, run two at a time: a backlog of hundreds of batches, long enough on a
        // slow machine for the calls below to wait behind it.
        List<ListenableFuture<PredictResponse>> busy = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          busy.add(ModelsGrpc.newFutureStub(c).predict(request("m", 0, 128)));
        }
        // Once the first batch has run, the rest of the examples are queued ahead of the next request.
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!server.scrapeMetrics().contains("mmfuse_batch_size_count{model=\"m\"}")
            && System.nanoTime() < until) {
          Thread.sleep(1);
        }
        // A call its client cancels leaves the queue before its batch runs.
        ListenableFuture<PredictResponse> dropped = ModelsGrpc.newFutureStub(c).predict(request("m", 0, 1));
        Thread.sleep(30);
        dropped.cancel(true);
        Clients.Http late = Clients.post(server.httpPort(), "/v1/models/m:predict",
            ServingTest.json(Bundles.examples.subList(0, 1)), "X-Timeout-Ms", "1");
        assertEquals(504, late.status(), late.body());
        assertEquals("DEADLINE_EXCEEDED", late.errorCode());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ModelsGrpc.newBlockingStub(c)
            .withDeadlineAfter(2, TimeUnit.MILLISECONDS).predict(request("m", 0, 1)));
        assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
        for (ListenableFuture<PredictResponse> b : busy) {
          assertEquals(128, b.get(120, TimeUnit.SECONDS).getPredictionsCount());
        }
        String metrics = server.scrapeMetrics();
        assertTrue(counter(metrics, "mmfuse_batcher_requests_total{model=\"m\",outcome=\"cancelled\"}") >= 1,
            metrics);
        assertTrue(counter(metrics, "mmfuse_batcher_requests_total{model=\"m\",outcome=\"expired\"}") >= 1,
            metrics);
        assertEquals(400, Clients.post(server.httpPort(), "/v1/models/m:predict",
            ServingTest.json(Bundles.examples.subList(0, 1)), "X-Timeout-Ms", "soon").status());
      } finally {
        Clients.close(c);
      }
    }
  }

  @Test
  void swappingBundlesUnderLoadFailsNoRequestAndNeverMixesModels() throws Exception {
    List<String> log = java.util.Collections.synchronizedList(new ArrayList<>());
    try (ModelServer server = ModelServer.start(ServerOptions.builder().grpcPort(0).httpPort(-1)
        .model("m", Bundles.a).admin(true).build(), Bundles.REGISTRY, log::add)) {
      ManagedChannel c = Clients.channel(server.grpcPort());
      ExecutorService clients = Executors.newFixedThreadPool(4);
      AtomicBoolean swapping = new AtomicBoolean(true);
      AtomicInteger answered = new AtomicInteger();
      Map<String, AtomicInteger> byVersion = new ConcurrentHashMap<>();
      try {
        List<Future<?>> running = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
          int thread = t;
          running.add(clients.submit(() -> {
            ModelsGrpc.ModelsBlockingStub stub = Clients.models(c);
            for (int i = 0; i < 2000 && (swapping.get() || i < 3); i++) {
              int first = thread * 3 + i;
              PredictResponse r = stub.predict(request("m", first, 2));
              checkFromOneModel(r, first);
              byVersion.computeIfAbsent(r.getModelVersion(), k -> new AtomicInteger()).incrementAndGet();
              answered.incrementAndGet();
            }
            return null;
          }));
        }
        AdminGrpc.AdminBlockingStub admin = AdminGrpc.newBlockingStub(c).withDeadlineAfter(120, TimeUnit.SECONDS);
        for (int swap = 0; swap < 6; swap++) {
          int before = answered.get();
          while (answered.get() < before + 8) {
            Thread.sleep(5);
          }
          Path next = swap % 2 == 0 ? Bundles.b : Bundles.a;
          admin.reload(ReloadRequest.newBuilder().setModel("m").setDirectory(next.toString()).build());
          if (swap == 2) {
            StatusRuntimeException bad = assertThrows(StatusRuntimeException.class, () -> admin.reload(
                ReloadRequest.newBuilder().setModel("m").setDirectory(Bundles.dir.resolve("none").toString())
                    .build()));
            assertEquals(Status.Code.FAILED_PRECONDITION, bad.getStatus().getCode());
            assertTrue(bad.getStatus().getDescription().contains("keeps serving"), bad.getStatus().getDescription());
          }
        }
        swapping.set(false);
        for (Future<?> f : running) {
          f.get(300, TimeUnit.SECONDS);
        }
        // Six swaps and one refused reload: the seventh load answers now.
        PredictResponse last = Clients.models(c).predict(request("m", 0, 2));
        checkFromOneModel(last, 0);
        assertTrue(last.getModelVersion().startsWith("7-"), last.getModelVersion());
      } finally {
        clients.shutdownNow();
        Clients.close(c);
      }
      assertTrue(byVersion.size() > 1, "answers came from one version only: " + byVersion);
      assertTrue(log.stream().anyMatch(l -> l.contains("did not load")), log.toString());
    }
  }

  @Test
  void aWatchedBundleThatIsReplacedIsReloaded() throws Exception {
    Path served = Files.createTempDirectory(Bundles.dir, "watched").resolve("m");
    copy(Bundles.a, served);
    try (ModelServer server = ModelServer.start(ServerOptions.builder().grpcPort(0).httpPort(-1)
        .model("m", served).watch(Duration.ofMillis(200)).build(), Bundles.REGISTRY, line -> {})) {
      String first = server.versions().get("m");
      Path fresh = served.resolveSibling("m.new");
      copy(Bundles.b, fresh);
      Files.move(served, served.resolveSibling("m.old"), StandardCopyOption.ATOMIC_MOVE);
      Files.move(fresh, served, StandardCopyOption.ATOMIC_MOVE);
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (server.versions().get("m").equals(first) && System.nanoTime() < until) {
        Thread.sleep(50);
      }
      ManagedChannel c = Clients.channel(server.grpcPort());
      try {
        PredictResponse r = Clients.models(c).predict(request("m", 0, 3));
        assertTrue(r.getModelVersion().endsWith(manifestHash(Bundles.b).substring(0, 12)), r.getModelVersion());
        checkFromOneModel(r, 0);
      } finally {
        Clients.close(c);
      }
    }
  }

  /** The value of one series in Prometheus' text format; 0 when it is not there. */
  static double counter(String metrics, String series) {
    for (String line : metrics.split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).strip());
      }
    }
    return 0;
  }

  static void copy(Path from, Path to) throws Exception {
    try (var files = Files.walk(from)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t);
        }
      }
    }
  }

  @Test
  void shutdownLetsRequestsInFlightFinishThenRefuses() throws Exception {
    ModelServer server = ModelServer.start(ServerOptions.builder().grpcPort(0).httpPort(0).model("m", Bundles.a)
        .batching(new BatchingPredictor.Options(8, Duration.ofMillis(1), 1024)).build(), Bundles.REGISTRY,
        line -> {});
    ManagedChannel c = Clients.channel(server.grpcPort());
    try {
      ModelsGrpc.ModelsFutureStub stub = ModelsGrpc.newFutureStub(c).withDeadlineAfter(120, TimeUnit.SECONDS);
      List<ListenableFuture<PredictResponse>> calls = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        calls.add(stub.predict(request("m", i, 8)));
      }
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!server.scrapeMetrics().contains("mmfuse_batch_size_count{model=\"m\"}")
          && System.nanoTime() < until) {
        Thread.sleep(2);
      }
      Thread closing = new Thread(server::close);
      closing.start();
      for (int i = 0; i < calls.size(); i++) {
        PredictResponse r = calls.get(i).get(120, TimeUnit.SECONDS);
        assertEquals(8, r.getPredictionsCount());
        checkFromOneModel(r, i);
      }
      closing.join(120_000);
      StatusRuntimeException after = assertThrows(StatusRuntimeException.class,
          () -> Clients.models(c).predict(request("m", 0, 1)));
      assertEquals(Status.Code.UNAVAILABLE, after.getStatus().getCode());
    } finally {
      Clients.close(c);
      server.close();
    }
  }
}
