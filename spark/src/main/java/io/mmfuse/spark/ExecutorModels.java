package io.mmfuse.spark;

import io.mmfuse.api.plugin.ModalityRegistry;
import io.mmfuse.api.plugin.Plugins;
import io.mmfuse.fusion.inference.Predictor;
import io.mmfuse.runtime.RuntimeOptions;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkEnv;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models of this JVM (an executor, or the driver in local mode): one thread-safe {@link Predictor} per bundle
 * URI, manifest hash and runtime, loaded by the first task that needs it while the others wait for it, then shared
 * by every task and every stage for the JVM's life. Never per partition, never per row, and never serialized: tasks
 * carry only the bundle's {@link BundleRef}.
 */
public final class ExecutorModels {
  private ExecutorModels() {}

  private static final Logger LOG = LoggerFactory.getLogger(ExecutorModels.class);

  private record Key(String uri, String manifestHash, RuntimeOptions runtime) {}

  /** A model slot, loaded once under its own lock (loading one bundle does not hold up another). */
  private static final class Slot {
    private Predictor predictor;
  }

  private static final Map<Key, Slot> SLOTS = new ConcurrentHashMap<>();
  private static final AtomicInteger LOADS = new AtomicInteger();
  private static volatile ModalityRegistry registry;

  /** The modality plugins on this JVM's class path (loaded once). */
  static ModalityRegistry registry() {
    ModalityRegistry r = registry;
    if (r == null) {
      synchronized (ExecutorModels.class) {
        if (registry == null) {
          registry = Plugins.load(ExecutorModels.class.getClassLoader());
        }
        r = registry;
      }
    }
    return r;
  }

  /**
   * The predictor of a bundle, loaded on first use; a load adds one to {@code loads} (the job's count of loads, on
   * the driver) and logs one line.
   */
  static Predictor predictor(BundleRef bundle, RuntimeOptions runtime, LongAccumulator loads) {
    Slot slot = SLOTS.computeIfAbsent(new Key(bundle.uri(), bundle.manifestHash(), runtime), k -> new Slot());
    synchronized (slot) {
      if (slot.predictor == null) {
        long t0 = System.nanoTime();
        Path dir = bundle.local(HadoopConf.get(), Path.of(System.getProperty("java.io.tmpdir"), "mmfuse-bundles"));
        slot.predictor = Predictor.load(dir, registry(), runtime);
        LOADS.incrementAndGet();
        if (loads != null) {
          loads.add(1);
        }
        LOG.info("mmfuse: executor {} loaded bundle {} (manifest {}) in {} ms, intra-op threads {}, inter-op {}{}",
            SparkEnv.get() != null ? SparkEnv.get().executorId() : "-", bundle.uri(),
            bundle.manifestHash().substring(0, 12), (System.nanoTime() - t0) / 1_000_000, runtime.intraOpThreads(),
            runtime.interOpThreads(), runtime.device().equals("cpu") ? "" : ", device " + runtime.device()
                + " (visible " + runtime.visibleDevices() + ")");
      }
      return slot.predictor;
    }
  }

  /** How many bundles this JVM has loaded. */
  public static int loads() {
    return LOADS.get();
  }

  /** Closes and forgets every model of this JVM (for a driver in local mode that is done with them). */
  public static void closeAll() {
    for (Map.Entry<Key, Slot> e : SLOTS.entrySet()) {
      synchronized (e.getValue()) {
        if (e.getValue().predictor != null) {
          e.getValue().predictor.close();
          e.getValue().predictor = null;
        }
      }
    }
    SLOTS.clear();
  }
}
