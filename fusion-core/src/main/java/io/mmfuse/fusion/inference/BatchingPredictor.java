package io.mmfuse.fusion.inference;

import io.mmfuse.api.CheckpointException;
import io.mmfuse.api.DeadlineExceededException;
import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.api.MmfuseException;
import io.mmfuse.api.OverloadedException;
import io.mmfuse.api.TokenSequence;
import io.mmfuse.fusion.graph.Names;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * One model for many callers: requests from any number of threads are coalesced into batches, so that a service
 * gets the throughput of batched inference at the latency of a short wait.
 *
 * <ul>
 *   <li>A request is tokenized on the caller's thread (bad input is refused there, before it queues), then waits in
 *       a bounded queue. When the queue is full the request is refused at once with {@link OverloadedException}.
 *   <li>One dispatcher thread takes the oldest request and gathers more until the batch holds {@code maxBatch}
 *       requests or the oldest has waited {@code maxWait}; then the batch runs in one call of the model. Requests for
 *       another output (embeddings while predictions are batched) wait for the next batch.
 *   <li>A request whose deadline passes in the queue fails with {@link DeadlineExceededException} and is not run; a
 *       cancelled request leaves the batch before it runs. A batch that fails runs its requests one by one, so one
 *       bad request fails alone.
 *   <li>{@link #close()} stops accepting requests, answers every queued one, then closes the {@link Predictor} when
 *       this object owns it.
 * </ul>
 *
 * The plain {@link Predictor} stays the choice for a single caller: it has no queue to wait in.
 */
public final class BatchingPredictor implements AutoCloseable {
  /**
   * How requests are batched.
   *
   * @param maxBatch the most requests in one batch
   * @param maxWait the longest the oldest request of a batch waits for others
   * @param queueCapacity requests that may wait; more are refused at once
   */
  public record Options(int maxBatch, Duration maxWait, int queueCapacity) {
    public Options {
      if (maxBatch < 1 || maxWait == null || maxWait.isNegative() || queueCapacity < 1) {
        throw new InvalidConfigurationException("batching: max batch and queue capacity must be >= 1 and max wait"
            + " >= 0; found max batch " + maxBatch + ", max wait " + maxWait + ", queue " + queueCapacity);
      }
    }

    /** Batches of up to 16, waiting at most 2 ms, 1,024 requests queued. */
    public static Options defaults() {
      return new Options(16, Duration.ofMillis(2), 1024);
    }
  }

  /** Told of every batch run (for metrics); called on the dispatcher thread, so it must be quick. */
  public interface Listener {
    /**
     * A batch ran.
     *
     * @param size requests in it
     * @param queuedNanos how long its oldest request waited in the queue
     * @param runNanos how long the model took
     * @param queueDepth requests waiting when it started
     */
    void onBatch(int size, long queuedNanos, long runNanos, int queueDepth);
  }

  /**
   * Counts since the start.
   *
   * @param requests accepted into the queue
   * @param refused refused because the queue was full or closed
   * @param expired dropped because their deadline passed
   * @param cancelled dropped because their caller cancelled them
   * @param batches model calls
   * @param examples requests taken into them
   * @param queueDepth requests waiting now
   */
  public record Stats(long requests, long refused, long expired, long cancelled, long batches, long examples,
      int queueDepth) {}

  private record Request(Map<String, TokenSequence> tokens, String output, CompletableFuture<float[]> future,
      long enqueued, long deadline) {}

  private static final Listener NONE = (size, queued, run, depth) -> { };

  private final Predictor predictor;
  private final boolean owns;
  private final Options options;
  private final Listener listener;
  private final ArrayBlockingQueue<Request> queue;
  private final Thread dispatcher;
  private volatile boolean closing;
  private final LongAdder requests = new LongAdder();
  private final LongAdder refused = new LongAdder();
  private final LongAdder expired = new LongAdder();
  private final LongAdder cancelled = new LongAdder();
  private final LongAdder batches = new LongAdder();
  private final LongAdder examples = new LongAdder();

  private BatchingPredictor(Predictor predictor, boolean owns, Options options, Listener listener) {
    this.predictor = predictor;
    this.owns = owns;
    this.options = options;
    this.listener = listener == null ? NONE : listener;
    this.queue = new ArrayBlockingQueue<>(options.queueCapacity());
    this.dispatcher = new Thread(this::dispatch, "mmfuse-batcher");
    dispatcher.setDaemon(true);
    dispatcher.start();
  }

  /** Batches in front of {@code predictor}, which the caller keeps and closes after this. */
  public static BatchingPredictor over(Predictor predictor, Options options) {
    return new BatchingPredictor(predictor, false, options, null);
  }

  /** As {@link #over}, telling {@code listener} of each batch. */
  public static BatchingPredictor over(Predictor predictor, Options options, Listener listener) {
    return new BatchingPredictor(predictor, false, options, listener);
  }

  /** Batches in front of {@code predictor}, which this closes when it is closed. */
  public static BatchingPredictor owning(Predictor predictor, Options options, Listener listener) {
    return new BatchingPredictor(predictor, true, options, listener);
  }

  public Predictor predictor() {
    return predictor;
  }

  public Options options() {
    return options;
  }

  /** The predictions of one example (input name to value), once its batch has run. */
  public CompletableFuture<float[]> submit(Map<String, ?> example) {
    return submit(example, Names.PREDICTIONS, null);
  }

  /**
   * One output ({@link Names#PREDICTIONS}, {@link Names#EMBEDDINGS}, ...) of one example; {@code timeout} (null:
   * none) is its deadline from now. A bad example, an unknown output, a full or closed queue give a future that has
   * failed already.
   */
  public CompletableFuture<float[]> submit(Map<String, ?> example, String output, Duration timeout) {
    Map<String, TokenSequence> tokens;
    try {
      tokens = predictor.tokenize(example, "example");
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return submitTokenized(tokens, output, timeout);
  }

  /** As {@link #submit(Map, String, Duration)}, for an example tokenized by {@link Predictor#tokenize}. */
  public CompletableFuture<float[]> submitTokenized(Map<String, TokenSequence> tokens, String output,
      Duration timeout) {
    if (!predictor.hasOutput(output)) {
      return CompletableFuture.failedFuture(new CheckpointException("this bundle's serving signature has no '"
          + output + "' output"));
    }
    long now = System.nanoTime();
    long deadline = timeout == null ? Long.MAX_VALUE : now + Math.max(0, timeout.toNanos());
    Request r = new Request(tokens, output, new CompletableFuture<>(), now, deadline);
    if (closing) {
      refused.increment();
      return CompletableFuture.failedFuture(new OverloadedException("the model is shutting down; no new requests"));
    }
    if (!queue.offer(r)) {
      refused.increment();
      return CompletableFuture.failedFuture(new OverloadedException("the queue is full: " + options.queueCapacity()
          + " requests are waiting for the model; retry later"));
    }
    requests.increment();
    if (closing && !dispatcher.isAlive() && queue.remove(r)) {
      r.future().completeExceptionally(new OverloadedException("the model is shutting down; no new requests"));
    }
    return r.future();
  }

  /** The predictions of one example, waiting for its batch; errors are thrown as they are, not wrapped. */
  public float[] predict(Map<String, ?> example) {
    return await(submit(example));
  }

  /** The embedding of one example, waiting for its batch. */
  public float[] embed(Map<String, ?> example) {
    return await(submit(example, Names.EMBEDDINGS, null));
  }

  private static float[] await(CompletableFuture<float[]> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      f.cancel(false);
      throw new OverloadedException("interrupted while waiting for the model");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(e.getCause());
    } catch (CancellationException e) {
      throw new OverloadedException("the request was cancelled");
    }
  }

  public Stats stats() {
    return new Stats(requests.sum(), refused.sum(), expired.sum(), cancelled.sum(), batches.sum(), examples.sum(),
        queue.size());
  }

  private void dispatch() {
    List<Request> carried = new ArrayList<>();
    long maxWait = options.maxWait().toNanos();
    while (true) {
      Request first;
      try {
        first = carried.isEmpty() ? queue.poll(50, TimeUnit.MILLISECONDS) : carried.remove(0);
      } catch (InterruptedException e) {
        if (closing) {
          first = queue.poll();
        } else {
          continue;
        }
      }
      if (first == null) {
        if (closing && queue.isEmpty()) {
          return;
        }
        continue;
      }
      if (dropped(first)) {
        continue;
      }
      List<Request> batch = new ArrayList<>(options.maxBatch());
      batch.add(first);
      long until = first.enqueued() + maxWait;
      while (batch.size() < options.maxBatch() && carried.size() < options.maxBatch()) {
        Request r = queue.poll();
        if (r == null) {
          long left = until - System.nanoTime();
          if (left <= 0 || closing) {
            break;
          }
          try {
            r = queue.poll(left, TimeUnit.NANOSECONDS);
          } catch (InterruptedException e) {
            break;
          }
          if (r == null) {
            break;
          }
        }
        if (dropped(r)) {
          continue;
        }
        if (r.output().equals(first.output())) {
          batch.add(r);
        } else {
          carried.add(r);
        }
      }
      run(batch);
    }
  }

  /** Whether a request leaves before it runs: cancelled by its caller, or past its deadline (failed here). */
  private boolean dropped(Request r) {
    if (r.future().isDone()) {
      cancelled.increment();
      return true;
    }
    long now = System.nanoTime();
    if (now > r.deadline()) {
      expired.increment();
      r.future().completeExceptionally(new DeadlineExceededException(String.format(Locale.ROOT,
          "the deadline passed after %.1f ms in the queue, before the model ran the request",
          (now - r.enqueued()) / 1e6)));
      return true;
    }
    return false;
  }

  private void run(List<Request> batch) {
    int depth = queue.size();
    // Counted before the answers go out, so that a caller who has its answer sees its request counted.
    batches.increment();
    examples.add(batch.size());
    long start = System.nanoTime();
    try {
      answer(batch);
    } catch (MmfuseException e) {
      if (batch.size() == 1) {
        batch.get(0).future().completeExceptionally(e);
      } else {
        // One request the model cannot take fails alone: the others run without it.
        for (Request r : batch) {
          try {
            answer(List.of(r));
          } catch (RuntimeException one) {
            r.future().completeExceptionally(one);
          }
        }
      }
    } catch (RuntimeException | Error e) {
      batch.forEach(r -> r.future().completeExceptionally(e));
    }
    long end = System.nanoTime();
    listener.onBatch(batch.size(), start - batch.get(0).enqueued(), end - start, depth);
  }

  private void answer(List<Request> batch) {
    List<Map<String, TokenSequence>> tokens = new ArrayList<>(batch.size());
    batch.forEach(r -> tokens.add(r.tokens()));
    String output = batch.get(0).output();
    List<float[]> out = predictor.outputsTokenized(tokens, List.of(output)).get(output);
    for (int i = 0; i < batch.size(); i++) {
      batch.get(i).future().complete(out.get(i));
    }
  }

  /**
   * Stops accepting requests, answers every queued one (they run; none is dropped), then closes the predictor if
   * this owns it.
   */
  @Override
  public void close() {
    closing = true;
    dispatcher.interrupt();
    boolean interrupted = false;
    while (dispatcher.isAlive()) {
      try {
        dispatcher.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    Request left;
    while ((left = queue.poll()) != null) {
      left.future().completeExceptionally(new OverloadedException("the model shut down before it ran the request"));
    }
    if (owns) {
      predictor.close();
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
