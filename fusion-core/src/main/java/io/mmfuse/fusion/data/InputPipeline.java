package io.mmfuse.fusion.data;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * Work on rows (reading, decoding, tokenizing) done by a pool of worker threads ahead of the one that consumes it,
 * through a bounded window of chunks: at most {@code depth} chunks are in flight or waiting, so memory is bounded by
 * the window, not by the data. Results come back in the order of the rows asked for, whatever the number of threads,
 * so that a seeded run sees the same batches with 1 worker or 16. With 0 threads the work runs on the consuming
 * thread.
 */
public final class InputPipeline implements AutoCloseable {
  private final int threads;
  private final int depth;
  private final ExecutorService pool;

  /**
   * @param threads worker threads (0: none, the consumer does the work)
   * @param depth chunks at most in flight or done and waiting to be consumed (at least 1)
   */
  public InputPipeline(int threads, int depth) {
    if (threads < 0 || depth < 1) {
      throw new IllegalArgumentException("threads " + threads + ", depth " + depth);
    }
    this.threads = threads;
    this.depth = depth;
    AtomicInteger n = new AtomicInteger();
    this.pool = threads == 0 ? null : Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "mmfuse-input-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** Worker threads in use by default: every core (the workers wait while the window is full). */
  public static int defaultThreads() {
    return Runtime.getRuntime().availableProcessors();
  }

  public int threads() {
    return threads;
  }

  public int depth() {
    return depth;
  }

  /**
   * The results of {@code work} on each of {@code rows}, in order, computed ahead in chunks of {@code chunk} rows.
   * A failure of the work fails the consumer's call to next (unwrapped); close the stream to stop early.
   */
  public <T> Stream<T> map(List<Integer> rows, int chunk, IntFunction<T> work) {
    return new Stream<>(rows, Math.max(1, chunk), work);
  }

  @Override
  public void close() {
    if (pool != null) {
      pool.shutdown();
    }
  }

  /** Results in order; what the window holds tells whether input or consumer is the bottleneck. */
  public final class Stream<T> implements Iterator<T>, AutoCloseable {
    private final List<Integer> rows;
    private final int chunk;
    private final IntFunction<T> work;
    private final ArrayDeque<Future<List<T>>> window = new ArrayDeque<>();
    private int submitted;
    private Iterator<T> current = java.util.Collections.emptyIterator();
    private long waitNanos;

    private Stream(List<Integer> rows, int chunk, IntFunction<T> work) {
      this.rows = rows;
      this.chunk = chunk;
      this.work = work;
      fill();
    }

    private void fill() {
      while (pool != null && window.size() < depth && submitted < rows.size()) {
        List<Integer> part = rows.subList(submitted, Math.min(rows.size(), submitted + chunk));
        submitted += part.size();
        window.add(pool.submit(() -> run(part)));
      }
    }

    private List<T> run(List<Integer> part) {
      List<T> out = new ArrayList<>(part.size());
      for (int r : part) {
        out.add(work.apply(r));
      }
      return out;
    }

    @Override
    public boolean hasNext() {
      return current.hasNext() || (pool == null ? submitted < rows.size() : !window.isEmpty());
    }

    @Override
    public T next() {
      if (!current.hasNext()) {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        if (pool == null) {
          List<Integer> part = rows.subList(submitted, Math.min(rows.size(), submitted + chunk));
          submitted += part.size();
          current = run(part).iterator();
        } else {
          long t0 = System.nanoTime();
          Future<List<T>> head = window.poll();
          try {
            current = head.get().iterator();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new CancellationException("interrupted while waiting for input");
          } catch (ExecutionException e) {
            close();
            if (e.getCause() instanceof RuntimeException r) {
              throw r;
            }
            if (e.getCause() instanceof Error err) {
              throw err;
            }
            throw new IllegalStateException(e.getCause());
          } finally {
            waitNanos += System.nanoTime() - t0;
          }
          fill();
        }
      }
      return current.next();
    }

    /** Chunks done and waiting, of the window's {@link #depth()}: full means the consumer is the bottleneck. */
    public int ready() {
      int n = 0;
      for (Future<List<T>> f : window) {
        if (f.isDone()) {
          n++;
        }
      }
      return n;
    }

    /** Seconds the consumer has waited for input so far. */
    public double waitSeconds() {
      return waitNanos / 1e9;
    }

    /**
     * Cancels what waits to start; chunks already running finish, unread (no thread is interrupted: an interrupt
     * would close the data file the workers share).
     */
    @Override
    public void close() {
      for (Future<List<T>> f : window) {
        f.cancel(false);
      }
      window.clear();
      submitted = rows.size();
      current = java.util.Collections.emptyIterator();
    }
  }
}
