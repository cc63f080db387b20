package io.mmfuse.fusion.session;

import org.tensorflow.Graph;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.proto.ConfigProto;

/**
 * A TensorFlow session and what owns its graph: a graph this process built, or a loaded SavedModel. Every run goes
 * through a {@link Call}, which owns that run's tensors. Calls may run on many threads at once. Close it to free the
 * native session and graph.
 */
public final class ModelSession implements AutoCloseable {
  static {
    // Before TensorFlow's native code loads: its INFO lines stay off standard error unless asked for.
    io.mmfuse.runtime.NativeLogging.quietByDefault();
  }

  private final Session session;
  private final AutoCloseable owner;

  private ModelSession(Session session, AutoCloseable owner) {
    this.session = session;
    this.owner = owner;
  }

  /** A session over a graph built here; the session then owns the graph (null config: TensorFlow's defaults). */
  public static ModelSession create(Graph graph, ConfigProto config) {
    Session s = config == null ? new Session(graph) : new Session(graph, config);
    return new ModelSession(s, () -> {
      try {
        s.close();
      } finally {
        graph.close();
      }
    });
  }

  /** The session of a loaded SavedModel, which it then owns. */
  public static ModelSession of(SavedModelBundle bundle) {
    return new ModelSession(bundle.session(), bundle::close);
  }

  /** A new call: feed, fetch, run, read, close. */
  public Call call() {
    return new Call(session);
  }

  /** Runs one op for its effect. */
  public void run(String op) {
    try (Call c = call()) {
      c.target(op).run();
    }
  }

  /** Saves every variable to a checkpoint prefix. */
  public void save(java.nio.file.Path prefix) {
    session.save(prefix.toString());
  }

  /** Restores every variable from a checkpoint prefix. */
  public void restore(java.nio.file.Path prefix) {
    session.restore(prefix.toString());
  }

  /** The TensorFlow session, for exporting it. */
  public Session session() {
    return session;
  }

  @Override
  public void close() {
    try {
      owner.close();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
