package io.mmfuse.serving;

import io.grpc.Status;
import io.mmfuse.api.CheckpointException;
import io.mmfuse.api.plugin.ModalityRegistry;
import io.mmfuse.fusion.bundle.BundleReader;
import io.mmfuse.fusion.inference.BatchingPredictor;
import io.mmfuse.fusion.inference.Predictor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A model server: model bundles by name behind gRPC and HTTP/JSON, each name with its own batching predictor.
 *
 * <pre>{@code
 * ServerOptions o = ServerOptions.builder().model("emoji", Path.of("model")).grpcPort(0).httpPort(0).build();
 * try (ModelServer server = ModelServer.start(o, Plugins.load())) {
 *   System.out.println("gRPC on " + server.grpcPort() + ", HTTP on " + server.httpPort());
 *   server.awaitTermination();
 * }
 * }</pre>
 *
 * A name is pointed at a new bundle by {@link #reload} (the admin call, SIGHUP in {@code mmfuse serve}, or a watched
 * manifest that changes): the new bundle loads beside the old one, which serves until the new one is ready and then
 * finishes the requests it holds. {@link #close} stops taking requests, lets those in flight finish, and closes the
 * models.
 */
public final class ModelServer implements AutoCloseable {
  /** A bundle now served under a name, with the version it replaced (null: none) and how long it took to load. */
  public record Loaded(String name, String version, String previousVersion, Duration loadTime) {}

  /**
   * gRPC's Netty transport logs each message over the size limit as a warning with its stack; the client gets
   * RESOURCE_EXHAUSTED and the metrics count it, so that logger keeps severe errors only (held here: a logger's level
   * lives as long as the logger).
   */
  private static final java.util.logging.Logger NETTY_STREAM = quiet(
      "io.grpc.netty.shaded.io.grpc.netty.NettyServerStream");

  private static java.util.logging.Logger quiet(String name) {
    java.util.logging.Logger l = java.util.logging.Logger.getLogger(name);
    l.setLevel(java.util.logging.Level.SEVERE);
    return l;
  }

  private final ServerOptions options;
  private final ModalityRegistry plugins;
  private final Consumer<String> log;
  private final ServingMetrics metrics = new ServingMetrics();
  private final ModelRegistry registry;
  private final AtomicLong loads = new AtomicLong();
  /** The models loaded and not yet closed, and the batcher counts of the closed ones, by name. */
  private final java.util.Queue<ServedModel> served = new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final Map<String, AtomicLong[]> retired = new ConcurrentHashMap<>();
  private final Map<String, String> seenManifest = new ConcurrentHashMap<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final CountDownLatch terminated = new CountDownLatch(1);
  private GrpcEndpoint grpc;
  private HttpEndpoint http;
  private ScheduledExecutorService watcher;

  private ModelServer(ServerOptions options, ModalityRegistry plugins, Consumer<String> log) {
    this.options = options;
    this.plugins = plugins;
    this.log = log;
    this.registry = new ModelRegistry(this::load);
  }

  /** Loads every model and starts listening; standard error gets the server's events. */
  public static ModelServer start(ServerOptions options, ModalityRegistry plugins) throws IOException {
    return start(options, plugins, System.err::println);
  }

  /** As {@link #start(ServerOptions, ModalityRegistry)}, telling {@code log} of loads, reloads and failures. */
  public static ModelServer start(ServerOptions options, ModalityRegistry plugins, Consumer<String> log)
      throws IOException {
    ModelServer s = new ModelServer(options, plugins, log);
    s.registry.loadAll(options.models());
    try {
      for (String name : options.models().keySet()) {
        s.metrics.queueDepth(name, s.registry, r -> {
          ServedModel m = r.current().get(name);
          return m == null ? 0 : m.batcher.stats().queueDepth();
        });
        s.metrics.batcherCount(name, "refused", s, x -> x.count(name, BatchingPredictor.Stats::refused, 0));
        s.metrics.batcherCount(name, "expired", s, x -> x.count(name, BatchingPredictor.Stats::expired, 1));
        s.metrics.batcherCount(name, "cancelled", s, x -> x.count(name, BatchingPredictor.Stats::cancelled, 2));
      }
      Inference inference = new Inference(s.registry, options.maxExamples());
      if (options.grpcPort() >= 0) {
        s.grpc = new GrpcEndpoint(options, inference, s.metrics, s);
      }
      if (options.httpPort() >= 0) {
        s.http = new HttpEndpoint(options, inference, s.metrics, s);
      }
      if (options.watchInterval() != null) {
        s.watcher = Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "mmfuse-bundle-watch");
          t.setDaemon(true);
          return t;
        });
        long ms = Math.max(100, options.watchInterval().toMillis());
        s.watcher.scheduleWithFixedDelay(s::checkBundles, ms, ms, TimeUnit.MILLISECONDS);
      }
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
    return s;
  }

  /** The gRPC port (the one bound when the options asked for 0); -1 without gRPC. */
  public int grpcPort() {
    return grpc == null ? -1 : grpc.port();
  }

  /** The HTTP port; -1 without HTTP. */
  public int httpPort() {
    return http == null ? -1 : http.port();
  }

  public ServerOptions options() {
    return options;
  }

  /** The version each name serves now. */
  public Map<String, String> versions() {
    Map<String, String> out = new LinkedHashMap<>();
    registry.current().forEach((k, v) -> out.put(k, v.version));
    return out;
  }

  /** The meters in Prometheus' text format, as {@code GET /metrics} gives them. */
  public String scrapeMetrics() {
    return metrics.scrape();
  }

  /**
   * Points {@code name} at the bundle in {@code directory} (null: its bundle, read again). On failure the old model
   * keeps serving and the error says why.
   */
  public Loaded reload(String name, Path directory) {
    String before = registry.peek(name).version;
    try {
      ModelRegistry.Reload r = registry.reload(name, directory);
      Loaded l = new Loaded(name, r.model().version, r.previousVersion(), Duration.ofNanos(r.model().loadNanos));
      log.accept(String.format(java.util.Locale.ROOT, "mmfuse serve: model '%s' now serves version %s from %s"
          + " (loaded in %.2f s)%s", name, l.version(), r.model().directory, l.loadTime().toNanos() / 1e9,
          l.previousVersion() == null ? "" : "; version " + l.previousVersion() + " finishes its requests"));
      return l;
    } catch (RuntimeException e) {
      ServingException s = ServingException.of(e);
      String m = "model '" + name + "' keeps serving version " + before + ": the new bundle"
          + (directory == null ? "" : " at " + directory) + " did not load: " + s.detail();
      log.accept("mmfuse serve: " + m);
      throw new ServingException(s.code() == Status.Code.INTERNAL ? Status.Code.FAILED_PRECONDITION : s.code(), m,
          e);
    }
  }

  /** Reloads every name from its bundle (what SIGHUP does); failures are logged and leave the old models. */
  public void reloadAll() {
    for (String name : registry.current().keySet()) {
      try {
        reload(name, null);
      } catch (RuntimeException ignored) {
        // Logged by reload.
      }
    }
  }

  private ServedModel load(String name, Path dir) {
    long t0 = System.nanoTime();
    try {
      String manifest = manifestHash(dir);
      seenManifest.put(name, manifest);
      Predictor p = Predictor.load(dir, plugins,
          options.runtime() == null ? null : options.runtime().apply(dir));
      p.runtimeWarning().ifPresent(w -> log.accept("mmfuse serve: model '" + name + "': " + w));
      BatchingPredictor b = BatchingPredictor.owning(p, options.batching(),
          (size, queued, run, depth) -> metrics.batch(name, size, queued, run));
      ServedModel m = new ServedModel(name, dir, loads.incrementAndGet() + "-" + manifest.substring(0, 12), b,
          System.nanoTime() - t0);
      metrics.load(name, true, System.nanoTime() - t0);
      served.add(m);
      m.closed().thenRun(() -> retire(m));
      return m;
    } catch (RuntimeException e) {
      metrics.load(name, false, System.nanoTime() - t0);
      throw e;
    }
  }

  /** Folds a closed model's batcher counts into its name's, under the lock {@link #count} reads them with. */
  private synchronized void retire(ServedModel m) {
    BatchingPredictor.Stats st = m.batcher.stats();
    AtomicLong[] r = retired.computeIfAbsent(m.name,
        k -> new AtomicLong[] {new AtomicLong(), new AtomicLong(), new AtomicLong()});
    r[0].addAndGet(st.refused());
    r[1].addAndGet(st.expired());
    r[2].addAndGet(st.cancelled());
    served.remove(m);
  }

  /** A batcher count of every model a name has served: the closed ones' and the current one's. */
  private synchronized double count(String name, java.util.function.ToLongFunction<BatchingPredictor.Stats> which,
      int index) {
    AtomicLong[] r = retired.get(name);
    long sum = r == null ? 0 : r[index].get();
    for (ServedModel m : served) {
      if (m.name.equals(name)) {
        sum += which.applyAsLong(m.batcher.stats());
      }
    }
    return sum;
  }

  /** SHA-256 of a bundle's manifest, which names the checksum of every other file in it. */
  static String manifestHash(Path dir) {
    Path f = dir.resolve(BundleReader.MANIFEST_FILE);
    try {
      byte[] bytes = io.mmfuse.api.Limits.read(f, io.mmfuse.api.Limits.CONFIG_BYTES,
          x -> new CheckpointException("bundle " + dir + ": " + BundleReader.MANIFEST_FILE + " " + x));
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.nio.file.NoSuchFileException e) {
      throw new CheckpointException("bundle " + dir + ": " + BundleReader.MANIFEST_FILE + " is missing; not a model"
          + " bundle");
    } catch (IOException e) {
      throw new CheckpointException("bundle " + dir + ": cannot read " + BundleReader.MANIFEST_FILE + ": " + e, e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The watcher's round: a name whose bundle's manifest changed since it was last loaded is reloaded. */
  private void checkBundles() {
    for (Map.Entry<String, ServedModel> e : registry.current().entrySet()) {
      String hash;
      try {
        if (!Files.isRegularFile(e.getValue().directory.resolve(BundleReader.MANIFEST_FILE))) {
          continue;
        }
        hash = manifestHash(e.getValue().directory);
      } catch (RuntimeException gone) {
        continue;
      }
      if (!hash.equals(seenManifest.get(e.getKey()))) {
        try {
          reload(e.getKey(), null);
        } catch (RuntimeException failed) {
          // Logged; tried again when the manifest changes again.
          seenManifest.put(e.getKey(), hash);
        }
      }
    }
  }

  /** Blocks until the server has been closed. */
  public void awaitTermination() throws InterruptedException {
    terminated.await();
  }

  /**
   * Graceful shutdown: health turns NOT_SERVING, no new request is taken, those in flight finish (up to the drain
   * timeout), then the models close.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      try {
        terminated.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return;
    }
    try {
      if (watcher != null) {
        watcher.shutdownNow();
      }
      if (grpc != null) {
        grpc.stopAccepting();
      }
      if (http != null) {
        http.stop(options.drainTimeout());
      }
      if (grpc != null) {
        try {
          if (!grpc.awaitTermination(options.drainTimeout())) {
            grpc.shutdownNow();
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          grpc.shutdownNow();
        }
      }
      try {
        registry.closeAll().get(options.drainTimeout().toMillis() + 5_000, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        log.accept("mmfuse serve: a model did not close in time: " + e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    } finally {
      terminated.countDown();
    }
  }
}
