package io.mmfuse.examples.cli;

import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.fusion.inference.BatchingPredictor;
import io.mmfuse.serving.ModelServer;
import io.mmfuse.serving.ServerOptions;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mmfuse serve}: model bundles behind gRPC and HTTP/JSON until stopped (Ctrl-C or SIGTERM drain and close;
 * SIGHUP reloads every bundle).
 */
@Command(name = "serve", description = "Serve model bundles over gRPC and HTTP/JSON, with dynamic batching, hot"
    + " reload and Prometheus metrics; binds to 127.0.0.1 unless --host says otherwise. Ctrl-C or SIGTERM stops it"
    + " gracefully; SIGHUP reloads every bundle (not in a process started with SIGHUP ignored, as nohup starts it:"
    + " use --watch or the admin call there).")
final class ServeCommand implements Callable<Integer> {
  /** What {@code serve} prints at start where SIGHUP cannot reach it. */
  static final String HUP_IGNORED = "mmfuse serve: warning: this process was started with SIGHUP ignored (nohup?),"
      + " so SIGHUP will not reload the bundles; start it without nohup (setsid, or a service manager), or reload"
      + " with --watch SECONDS or the admin call (--admin)";

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "NAME=DIR", description = "A bundle to serve under a"
      + " name; repeat for more.")
  List<String> models = new ArrayList<>();

  @Option(names = "--host", paramLabel = "ADDRESS", description = "The address to bind (default: 127.0.0.1).")
  String host = "127.0.0.1";

  @Option(names = "--port", paramLabel = "PORT", description = "The gRPC port (default: 8500; 0: any free one;"
      + " -1: no gRPC).")
  int port = 8500;

  @Option(names = "--http-port", paramLabel = "PORT", description = "The HTTP/JSON port (default: 8501; 0: any free"
      + " one; -1: no HTTP).")
  int httpPort = 8501;

  @Option(names = "--max-batch", paramLabel = "N", description = "The most examples a batch runs (default: 16).")
  int maxBatch = 16;

  @Option(names = "--max-wait-ms", paramLabel = "MS", description = "How long a batch waits to fill (default: 2).")
  long maxWaitMs = 2;

  @Option(names = "--queue", paramLabel = "N", description = "Examples that may wait per model; past it requests"
      + " are refused with RESOURCE_EXHAUSTED / HTTP 429 (default: 1024).")
  int queue = 1024;

  @Option(names = "--max-examples", paramLabel = "N", description = "The most examples a request may hold"
      + " (default: 256).")
  int maxExamples = 256;

  @Option(names = "--max-request-bytes", paramLabel = "N", description = "The most bytes a request may have"
      + " (default: 16777216).")
  long maxRequestBytes = 16L << 20;

  @Option(names = "--max-image-pixels", paramLabel = "N", description = "The most pixels an image's header may"
      + " declare (default: 89478485; a bundle's own max_pixels may be lower).")
  Long maxImagePixels;

  @Option(names = "--token-file", paramLabel = "FILE", description = "Require 'authorization: Bearer TOKEN' on"
      + " every call but health; TOKEN is the file's first line.")
  Path tokenFile;

  @Option(names = "--tls-cert", paramLabel = "PEM", description = "Serve TLS only, with this certificate chain.")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "PEM", description = "The certificate's private key (PKCS#8).")
  Path tlsKey;

  @Option(names = "--tls-client-ca", paramLabel = "PEM", description = "Require client certificates signed by this"
      + " CA.")
  Path tlsClientCa;

  @Option(names = "--allow-url", paramLabel = "PREFIX", description = "HTTP/JSON images may be given as {\"url\":"
      + " ...} starting with PREFIX (http://, https:// or file:); repeat for more. Default: none.")
  List<String> allowUrl = new ArrayList<>();

  @Option(names = "--watch", paramLabel = "SECONDS", description = "Check each bundle's manifest this often and"
      + " reload a changed one.")
  Double watchSeconds;

  @Option(names = "--admin", description = "Serve the admin calls (Admin/Reload, POST /v1/models/NAME:reload).")
  boolean admin;

  @Option(names = "--drain-seconds", paramLabel = "S", description = "How long shutdown waits for requests in"
      + " flight (default: 30).")
  int drainSeconds = 30;

  @Option(names = "--port-file", paramLabel = "FILE", description = "Once listening, write the bound ports here as"
      + " JSON ({\"grpc\": N, \"http\": M}).")
  Path portFile;

  @Option(names = "--plugins", paramLabel = "DIR", description = "Also load the modality plugin jars in DIR.")
  Path plugins;

  @picocli.CommandLine.Mixin RuntimeMixin runtime = new RuntimeMixin();

  @Override
  public Integer call() throws Exception {
    ServerOptions.Builder b = ServerOptions.builder().host(host).grpcPort(port).httpPort(httpPort)
        .batching(new BatchingPredictor.Options(maxBatch, Duration.ofMillis(maxWaitMs), queue))
        .maxExamples(maxExamples).maxRequestBytes(maxRequestBytes).admin(admin)
        .drainTimeout(Duration.ofSeconds(drainSeconds)).runtime(runtime::forBundle);
    for (String m : models) {
      int eq = m.indexOf('=');
      if (eq <= 0 || eq == m.length() - 1) {
        throw new InvalidConfigurationException("--model " + m + ": expected NAME=DIR");
      }
      b.model(m.substring(0, eq), Path.of(m.substring(eq + 1)));
    }
    if (tokenFile != null) {
      List<String> lines = Files.readAllLines(tokenFile, StandardCharsets.UTF_8);
      if (lines.isEmpty() || lines.get(0).isBlank()) {
        throw new InvalidConfigurationException("--token-file " + tokenFile + ": its first line is empty");
      }
      b.token(lines.get(0).strip());
    }
    if (tlsCert != null || tlsKey != null) {
      if (tlsCert == null || tlsKey == null) {
        throw new InvalidConfigurationException("TLS needs both --tls-cert and --tls-key");
      }
      b.tls(new ServerOptions.Tls(tlsCert, tlsKey, tlsClientCa));
    } else if (tlsClientCa != null) {
      throw new InvalidConfigurationException("--tls-client-ca needs --tls-cert and --tls-key");
    }
    allowUrl.forEach(b::allowUrlPrefix);
    if (watchSeconds != null) {
      b.watch(Duration.ofMillis((long) (watchSeconds * 1000)));
    }
    if (maxImagePixels != null) {
      if (maxImagePixels <= 0) {
        throw new InvalidConfigurationException("--max-image-pixels must be > 0, found " + maxImagePixels);
      }
      System.setProperty(io.mmfuse.api.Limits.IMAGE_PIXELS.property(), Long.toString(maxImagePixels));
    }
    ServerOptions options;
    try {
      options = b.build();
    } catch (IllegalArgumentException e) {
      throw new InvalidConfigurationException(e.getMessage());
    }
    PrintWriter err = spec.commandLine().getErr();
    try (LoadedPlugins loaded = new LoadedPlugins(plugins)) {
      ModelServer server = ModelServer.start(options, loaded.registry(), line -> {
        synchronized (err) {
          err.println(line);
          err.flush();
        }
      });
      Thread hook = new Thread(() -> {
        synchronized (err) {
          err.println("mmfuse serve: stopping: no new requests; those in flight finish (up to " + drainSeconds
              + " s)");
          err.flush();
        }
        server.close();
        synchronized (err) {
          err.println("mmfuse serve: stopped");
          err.flush();
        }
      }, "mmfuse-serve-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      try {
        sun.misc.SignalHandler before = sun.misc.Signal.handle(new sun.misc.Signal("HUP"),
            s -> new Thread(server::reloadAll, "mmfuse-reload").start());
        if (before == sun.misc.SignalHandler.SIG_IGN) {
          // A process started with SIGHUP ignored (nohup, some service managers) keeps it ignored: the JVM installs
          // no handler over an inherited SIG_IGN for the signals it shuts down on, and says so only by this answer.
          synchronized (err) {
            err.println(HUP_IGNORED);
            err.flush();
          }
        }
      } catch (IllegalArgumentException noSignal) {
        // No SIGHUP on this platform: reload by --watch or the admin call.
      }
      if (portFile != null) {
        io.mmfuse.api.internal.AtomicFiles.write(portFile, String.format(Locale.ROOT,
            "{\"grpc\": %d, \"http\": %d}%n", server.grpcPort(), server.httpPort())
            .getBytes(StandardCharsets.UTF_8));
      }
      PrintWriter out = spec.commandLine().getOut();
      out.printf(Locale.ROOT, "mmfuse serve: %s on %s: gRPC %s, HTTP %s%s%n", server.versions(), host,
          server.grpcPort() < 0 ? "off" : Integer.toString(server.grpcPort()),
          server.httpPort() < 0 ? "off" : Integer.toString(server.httpPort()),
          options.tls() != null ? " (TLS)" : "");
      out.flush();
      server.awaitTermination();
    }
    return 0;
  }
}
