package io.mmfuse.serving;

import io.mmfuse.fusion.inference.BatchingPredictor;
import io.mmfuse.fusion.inference.Predictor;
import io.mmfuse.fusion.train.LabelEncoder;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One loaded bundle under a name, counted by its users: the registry holds one reference while it serves the name,
 * and each request one while it runs. The last to let go closes the model, so a swapped-out bundle finishes what it
 * holds and is closed after.
 */
final class ServedModel {
  final String name;
  final Path directory;
  final String version;
  final Predictor predictor;
  final BatchingPredictor batcher;
  final LabelEncoder labels;
  final long loadNanos;
  private final AtomicInteger users = new AtomicInteger(1);
  private final AtomicBoolean closed = new AtomicBoolean();
  private final java.util.concurrent.CompletableFuture<Void> shut = new java.util.concurrent.CompletableFuture<>();

  ServedModel(String name, Path directory, String version, BatchingPredictor batcher, long loadNanos) {
    this.name = name;
    this.directory = directory;
    this.version = version;
    this.batcher = batcher;
    this.predictor = batcher.predictor();
    this.labels = LabelEncoder.of(predictor.spec().getHead());
    this.loadNanos = loadNanos;
  }

  /** Takes a reference; false when the model has closed (its name now serves another). */
  boolean retain() {
    while (true) {
      int u = users.get();
      if (u == 0) {
        return false;
      }
      if (users.compareAndSet(u, u + 1)) {
        return true;
      }
    }
  }

  /**
   * Lets a reference go; the last one closes the model, after its queue has drained, on a thread of its own (the
   * last holder may be the batcher's own thread, answering a request).
   */
  void release() {
    if (users.decrementAndGet() == 0 && closed.compareAndSet(false, true)) {
      Thread t = new Thread(() -> {
        try {
          batcher.close();
        } finally {
          shut.complete(null);
        }
      }, "mmfuse-close-" + name);
      t.setDaemon(true);
      t.start();
    }
  }

  /** Completes once the model has closed. */
  java.util.concurrent.CompletableFuture<Void> closed() {
    return shut;
  }
}
