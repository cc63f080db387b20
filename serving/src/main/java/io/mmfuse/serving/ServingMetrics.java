package io.mmfuse.serving;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * The server's meters, in Prometheus' text format at {@code /metrics}: requests and errors by model, method,
 * protocol and code, request latency, batch sizes and run times, queue depth, model loads.
 */
final class ServingMetrics {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  PrometheusMeterRegistry registry() {
    return registry;
  }

  /** One finished request: its outcome and how long it took from arrival to answer. */
  void request(String model, String method, String protocol, io.grpc.Status.Code code, int examples, long nanos) {
    String m = model == null || model.isEmpty() ? "-" : model;
    Counter.builder("mmfuse.requests").description("Requests answered, by outcome")
        .tags("model", m, "method", method, "protocol", protocol, "code", code.name())
        .register(registry).increment();
    if (code != io.grpc.Status.Code.OK) {
      Counter.builder("mmfuse.errors").description("Requests answered with an error, by code")
          .tags("model", m, "method", method, "protocol", protocol, "code", code.name())
          .register(registry).increment();
    } else if (examples > 0) {
      Counter.builder("mmfuse.examples").description("Examples answered").tags("model", m, "method", method)
          .register(registry).increment(examples);
    }
    Timer.builder("mmfuse.request.latency").description("Time from a request's arrival to its answer")
        .tags("model", m, "method", method, "protocol", protocol).publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(30))
        .register(registry).record(nanos, TimeUnit.NANOSECONDS);
  }

  /** One batch the model ran. */
  void batch(String model, int size, long queuedNanos, long runNanos) {
    DistributionSummary.builder("mmfuse.batch.size").description("Examples per batch the model ran")
        .tags("model", model).publishPercentileHistogram().minimumExpectedValue(1.0).maximumExpectedValue(1024.0)
        .register(registry).record(size);
    Timer.builder("mmfuse.batch.run").description("Time the model took for one batch").tags("model", model)
        .publishPercentileHistogram().register(registry).record(runNanos, TimeUnit.NANOSECONDS);
    Timer.builder("mmfuse.batch.queued").description("Time a batch's first request waited in the queue")
        .tags("model", model).publishPercentileHistogram().register(registry)
        .record(queuedNanos, TimeUnit.NANOSECONDS);
  }

  /** The queue depth of a model name, read when scraped. */
  <T> void queueDepth(String model, T source, ToDoubleFunction<T> depth) {
    Gauge.builder("mmfuse.queue.depth", source, depth).description("Requests waiting for the model")
        .tags("model", model).strongReference(true).register(registry);
  }

  /**
   * A count the batcher keeps (requests refused, expired or cancelled in its queue), read when scraped; {@code
   * count} must never go down (across reloads it adds the closed models' counts).
   */
  <T> void batcherCount(String model, String outcome, T source, ToDoubleFunction<T> count) {
    io.micrometer.core.instrument.FunctionCounter.builder("mmfuse.batcher.requests", source, count)
        .description("Requests the batcher did not run, by why").tags("model", model, "outcome", outcome)
        .register(registry);
  }

  /** One load of a bundle under a name: how long and whether it is now served. */
  void load(String model, boolean ok, long nanos) {
    Timer.builder("mmfuse.model.load").description("Time to load and verify a bundle")
        .tags("model", model, "result", ok ? "ok" : "failed").register(registry).record(nanos, TimeUnit.NANOSECONDS);
  }

  String scrape() {
    return registry.scrape();
  }
}
