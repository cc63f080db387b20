package io.mmfuse.serving;

import io.grpc.Status;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The names served and the bundle each one serves now. A reload loads the new bundle beside the old one, swaps it in
 * atomically once it has loaded, and lets the old one go; requests hold the model they started on to the end.
 */
final class ModelRegistry implements AutoCloseable {
  /** Loads a bundle under a name; throws what went wrong. */
  interface Loader {
    ServedModel load(String name, Path directory);
  }

  /** A request's hold on one model; closing it lets the model go. */
  static final class Lease implements AutoCloseable {
    final ServedModel model;
    private boolean released;

    Lease(ServedModel model) {
      this.model = model;
    }

    @Override
    public synchronized void close() {
      if (!released) {
        released = true;
        model.release();
      }
    }
  }

  /** What a reload did. */
  record Reload(ServedModel model, String previousVersion) {}

  private final Loader loader;
  private final Map<String, AtomicReference<ServedModel>> models = new ConcurrentHashMap<>();
  private final Map<String, Object> locks = new ConcurrentHashMap<>();

  ModelRegistry(Loader loader) {
    this.loader = loader;
  }

  /** Loads every name; on a failure closes what it loaded and throws. */
  void loadAll(Map<String, Path> bundles) {
    try {
      for (Map.Entry<String, Path> e : bundles.entrySet()) {
        reload(e.getKey(), e.getValue());
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  private AtomicReference<ServedModel> ref(String name) {
    AtomicReference<ServedModel> ref = models.get(name == null ? "" : name);
    if (ref == null) {
      throw new ServingException(Status.Code.NOT_FOUND, "no model named '" + name + "'; this server has "
          + new TreeMap<>(models).keySet());
    }
    return ref;
  }

  /** The model a name serves now, unheld (for its spec); NOT_FOUND for a name this server does not have. */
  ServedModel peek(String name) {
    ServedModel m = ref(name).get();
    if (m == null) {
      throw new ServingException(Status.Code.UNAVAILABLE, "model '" + name + "' is shutting down");
    }
    return m;
  }

  /** The model a name serves now, held until the lease is closed. */
  Lease acquire(String name) {
    AtomicReference<ServedModel> ref = ref(name);
    while (true) {
      ServedModel m = ref.get();
      if (m != null && m.retain()) {
        return new Lease(m);
      }
      if (m == null) {
        throw new ServingException(Status.Code.UNAVAILABLE, "model '" + name + "' is shutting down");
      }
      Thread.onSpinWait();
    }
  }

  /**
   * Points {@code name} at the bundle in {@code directory} (null: the one it serves now, read again). The old model
   * keeps serving until the new one has loaded; if it fails to load, the old one stays and the error is thrown.
   */
  Reload reload(String name, Path directory) {
    synchronized (locks.computeIfAbsent(name, n -> new Object())) {
      AtomicReference<ServedModel> ref = models.get(name);
      ServedModel old = ref == null ? null : ref.get();
      Path dir = directory != null ? directory : old != null ? old.directory : null;
      if (dir == null) {
        throw new ServingException(Status.Code.NOT_FOUND, "no model named '" + name + "' to reload");
      }
      ServedModel fresh = loader.load(name, dir);
      if (ref == null) {
        models.put(name, new AtomicReference<>(fresh));
        return new Reload(fresh, null);
      }
      ServedModel previous = ref.getAndSet(fresh);
      if (previous != null) {
        previous.release();
      }
      return new Reload(fresh, previous == null ? null : previous.version);
    }
  }

  /** The models served now, by name (unheld: for listing). */
  Map<String, ServedModel> current() {
    Map<String, ServedModel> out = new TreeMap<>();
    models.forEach((k, v) -> {
      ServedModel m = v.get();
      if (m != null) {
        out.put(k, m);
      }
    });
    return out;
  }

  /** Lets every model go; each closes once the requests that hold it have finished. */
  @Override
  public void close() {
    closeAll();
  }

  /** As {@link #close}, giving what completes when every model has closed. */
  java.util.concurrent.CompletableFuture<Void> closeAll() {
    List<ServedModel> all = new ArrayList<>();
    for (AtomicReference<ServedModel> ref : models.values()) {
      ServedModel m = ref.getAndSet(null);
      if (m != null) {
        all.add(m);
      }
    }
    all.forEach(ServedModel::release);
    return java.util.concurrent.CompletableFuture.allOf(all.stream().map(ServedModel::closed)
        .toArray(java.util.concurrent.CompletableFuture[]::new));
  }
}
