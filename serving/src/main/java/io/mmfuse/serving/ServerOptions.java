package io.mmfuse.serving;

import io.mmfuse.fusion.inference.BatchingPredictor;
import io.mmfuse.runtime.RuntimeOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a {@link ModelServer} runs: where it listens, what it serves, how it batches, what it refuses and who may call.
 *
 * @param host the address both ports bind to (127.0.0.1 unless told otherwise)
 * @param grpcPort the gRPC port (0: any free one; -1: no gRPC)
 * @param httpPort the HTTP/JSON port (0: any free one; -1: no HTTP)
 * @param models bundle directory by model name
 * @param batching max batch, max wait and queue bound of each model's batching predictor
 * @param maxExamples the most examples one request may hold
 * @param maxRequestBytes the most bytes one request may have (a gRPC message, an HTTP body)
 * @param token when set, every call but health must carry {@code authorization: Bearer TOKEN}
 * @param tls when set, both ports speak TLS only
 * @param allowedUrlPrefixes HTTP/JSON images given as {@code {"url": ...}} are fetched only from these prefixes;
 *     empty: never
 * @param watchInterval when set, how often each bundle's manifest is checked; a changed one is reloaded
 * @param admin whether the admin calls (reload) are served
 * @param drainTimeout how long shutdown waits for requests in flight
 * @param runtime device, threads and XLA for the bundle in a directory (null: each bundle's own)
 * @param httpThreads the threads that answer HTTP requests
 */
public record ServerOptions(String host, int grpcPort, int httpPort, Map<String, Path> models,
    BatchingPredictor.Options batching, int maxExamples, long maxRequestBytes, String token, Tls tls,
    List<String> allowedUrlPrefixes, Duration watchInterval, boolean admin, Duration drainTimeout,
    java.util.function.Function<Path, RuntimeOptions> runtime, int httpThreads) {

  /**
   * TLS for both ports, from PEM files.
   *
   * @param certificateChain the server's certificate chain
   * @param privateKey its private key (PKCS#8, unencrypted)
   * @param clientCa when set, clients must present a certificate this CA signed
   */
  public record Tls(Path certificateChain, Path privateKey, Path clientCa) {}

  public ServerOptions {
    models = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(models));
    allowedUrlPrefixes = List.copyOf(allowedUrlPrefixes);
    if (models.isEmpty()) {
      throw new IllegalArgumentException("no model to serve: give at least one NAME=DIR");
    }
    for (String name : models.keySet()) {
      if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")) {
        throw new IllegalArgumentException("model name '" + name + "': expected letters, digits, '_', '.' or '-'"
            + " (at most 128, starting with a letter or digit)");
      }
    }
    if (maxExamples < 1) {
      throw new IllegalArgumentException("max examples must be >= 1, found " + maxExamples);
    }
    if (maxRequestBytes < 1024) {
      throw new IllegalArgumentException("max request bytes must be >= 1024, found " + maxRequestBytes);
    }
    if (grpcPort < -1 || grpcPort > 65535 || httpPort < -1 || httpPort > 65535) {
      throw new IllegalArgumentException("ports must be 0 to 65535 (or -1 for none), found " + grpcPort + " and "
          + httpPort);
    }
    if (grpcPort == -1 && httpPort == -1) {
      throw new IllegalArgumentException("neither a gRPC nor an HTTP port: nothing would be served");
    }
    if (token != null && token.isBlank()) {
      throw new IllegalArgumentException("the bearer token is blank");
    }
    if (httpThreads < 1) {
      throw new IllegalArgumentException("http threads must be >= 1, found " + httpThreads);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Options with the defaults: 127.0.0.1, ports 8500 (gRPC) and 8501 (HTTP), batches of 16 within 2 ms. */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int grpcPort = 8500;
    private int httpPort = 8501;
    private final Map<String, Path> models = new LinkedHashMap<>();
    private BatchingPredictor.Options batching = BatchingPredictor.Options.defaults();
    private int maxExamples = 256;
    private long maxRequestBytes = 16L << 20;
    private String token;
    private Tls tls;
    private final List<String> allowedUrlPrefixes = new ArrayList<>();
    private Duration watchInterval;
    private boolean admin;
    private Duration drainTimeout = Duration.ofSeconds(30);
    private java.util.function.Function<Path, RuntimeOptions> runtime;
    private int httpThreads = Math.max(8, 2 * Runtime.getRuntime().availableProcessors());

    public Builder host(String host) {
      this.host = host;
      return this;
    }

    public Builder grpcPort(int port) {
      this.grpcPort = port;
      return this;
    }

    public Builder httpPort(int port) {
      this.httpPort = port;
      return this;
    }

    public Builder model(String name, Path directory) {
      if (models.put(name, directory) != null) {
        throw new IllegalArgumentException("model name '" + name + "' is given twice");
      }
      return this;
    }

    public Builder batching(BatchingPredictor.Options batching) {
      this.batching = batching;
      return this;
    }

    public Builder maxExamples(int n) {
      this.maxExamples = n;
      return this;
    }

    public Builder maxRequestBytes(long n) {
      this.maxRequestBytes = n;
      return this;
    }

    public Builder token(String token) {
      this.token = token;
      return this;
    }

    public Builder tls(Tls tls) {
      this.tls = tls;
      return this;
    }

    public Builder allowUrlPrefix(String prefix) {
      allowedUrlPrefixes.add(prefix);
      return this;
    }

    public Builder watch(Duration interval) {
      this.watchInterval = interval;
      return this;
    }

    public Builder admin(boolean admin) {
      this.admin = admin;
      return this;
    }

    public Builder drainTimeout(Duration d) {
      this.drainTimeout = d;
      return this;
    }

    public Builder runtime(java.util.function.Function<Path, RuntimeOptions> runtime) {
      this.runtime = runtime;
      return this;
    }

    public Builder httpThreads(int n) {
      this.httpThreads = n;
      return this;
    }

    public ServerOptions build() {
      return new ServerOptions(host, grpcPort, httpPort, models, batching, maxExamples, maxRequestBytes, token, tls,
          allowedUrlPrefixes, watchInterval, admin, drainTimeout, runtime, httpThreads);
    }
  }
}
