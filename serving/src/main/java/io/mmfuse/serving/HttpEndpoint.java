package io.mmfuse.serving;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.grpc.Status;
import io.mmfuse.api.Limits;
import io.mmfuse.api.proto.Example;
import io.mmfuse.api.proto.ModelSpec;
import io.mmfuse.serving.proto.ModelInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * The HTTP/JSON side, on the JDK's own HTTP server ({@code com.sun.net.httpserver}): the same calls as gRPC, as JSON,
 * plus {@code /metrics} in Prometheus' text format and {@code /v1/health}.
 *
 * <pre>
 * GET  /v1/health                         (never needs the token)
 * GET  /metrics
 * GET  /v1/models
 * GET  /v1/models/NAME
 * POST /v1/models/NAME:predict            {"examples": [{"INPUT": value, ...}, ...]}
 * POST /v1/models/NAME:embed              {"examples": [...], "input": "INPUT"}
 * POST /v1/models/NAME:zeroShot           {"examples": [...], "input": "INPUT", "labels": [...], "template": "..."}
 * POST /v1/models/NAME:reload             {"directory": "DIR"}   (with --admin)
 * </pre>
 *
 * A request's deadline is its {@code X-Timeout-Ms} header.
 */
final class HttpEndpoint {
  static final String TIMEOUT_HEADER = "X-Timeout-Ms";

  static {
    // The JDK server writes a response's headers and body apart; with Nagle's algorithm on, a client's delayed ACK
    // holds each small answer about 40 ms (measured: 56 ms against 9 over gRPC for one example). Read once, when
    // the first server is made.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  private final HttpServer server;
  private final ExecutorService executor;
  private final Inference inference;
  private final ServingMetrics metrics;
  private final ServerOptions options;
  private final ModelServer owner;
  private final JsonExamples json;
  private final byte[] expected;
  private final AtomicBoolean draining = new AtomicBoolean();
  private final AtomicInteger inFlight = new AtomicInteger();

  HttpEndpoint(ServerOptions options, Inference inference, ServingMetrics metrics, ModelServer owner)
      throws IOException {
    this.options = options;
    this.inference = inference;
    this.metrics = metrics;
    this.owner = owner;
    this.json = new JsonExamples(options.allowedUrlPrefixes());
    this.expected = options.token() == null ? null
        : ("Bearer " + options.token()).getBytes(StandardCharsets.UTF_8);
    InetSocketAddress address = new InetSocketAddress(options.host(), options.httpPort());
    if (options.tls() != null) {
      SSLContext ctx = Pem.context(options.tls());
      HttpsServer s = HttpsServer.create(address, 128);
      boolean clientCerts = options.tls().clientCa() != null;
      s.setHttpsConfigurator(new HttpsConfigurator(ctx) {
        @Override
        public void configure(HttpsParameters params) {
          SSLParameters p = ctx.getDefaultSSLParameters();
          p.setNeedClientAuth(clientCerts);
          params.setSSLParameters(p);
        }
      });
      server = s;
    } else {
      server = HttpServer.create(address, 128);
    }
    AtomicInteger n = new AtomicInteger();
    executor = Executors.newFixedThreadPool(options.httpThreads(), r -> {
      Thread t = new Thread(r, "mmfuse-http-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  /**
   * Answers new requests 503 at once, waits up to {@code drain} for those in flight, then closes the port. (The
   * JDK 17 server's own {@code stop(delay)} waits the whole delay even when nothing is in flight.)
   */
  void stop(Duration drain) {
    draining.set(true);
    long until = System.nanoTime() + drain.toNanos();
    while (inFlight.get() > 0 && System.nanoTime() < until) {
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    server.stop(0);
    executor.shutdownNow();
  }

  private void handle(HttpExchange x) throws IOException {
    inFlight.incrementAndGet();
    long t0 = System.nanoTime();
    String path = x.getRequestURI().getRawPath();
    String model = "";
    String method = "-";
    int examples = 0;
    try {
      if (path.equals("/v1/health")) {
        method = "Health";
        requireMethod(x, "GET");
        JsonObject o = new JsonObject();
        o.addProperty("status", draining.get() ? "NOT_SERVING" : "SERVING");
        send(x, draining.get() ? 503 : 200, o);
        return;
      }
      if (draining.get()) {
        throw new ServingException(Status.Code.UNAVAILABLE, "the server is shutting down");
      }
      checkToken(x);
      if (path.equals("/metrics")) {
        method = "Metrics";
        requireMethod(x, "GET");
        byte[] body = metrics.scrape().getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        x.sendResponseHeaders(200, body.length);
        try (OutputStream out = x.getResponseBody()) {
          out.write(body);
        }
        return;
      }
      if (path.equals("/v1/models") || path.equals("/v1/models/")) {
        method = "List";
        requireMethod(x, "GET");
        JsonArray a = new JsonArray();
        inference.registry().current().values().forEach(m -> a.add(info(GrpcEndpoint.info(m))));
        JsonObject o = new JsonObject();
        o.add("models", a);
        send(x, 200, o);
        metrics.request("", method, "http", Status.Code.OK, 0, System.nanoTime() - t0);
        return;
      }
      if (!path.startsWith("/v1/models/")) {
        throw new ServingException(Status.Code.NOT_FOUND, "no such path: " + path + "; see GET /v1/models");
      }
      String rest = java.net.URLDecoder.decode(path.substring("/v1/models/".length()), StandardCharsets.UTF_8);
      int colon = rest.lastIndexOf(':');
      model = colon < 0 ? rest : rest.substring(0, colon);
      String verb = colon < 0 ? "" : rest.substring(colon + 1);
      if (verb.isEmpty()) {
        method = "Get";
        requireMethod(x, "GET");
        send(x, 200, info(GrpcEndpoint.info(inference.registry().peek(model))));
        metrics.request(model, method, "http", Status.Code.OK, 0, System.nanoTime() - t0);
        return;
      }
      method = switch (verb) {
        case "predict" -> "Predict";
        case "embed" -> "Embed";
        case "zeroShot" -> "ZeroShot";
        case "reload" -> "Reload";
        default -> throw new ServingException(Status.Code.NOT_FOUND, "no call '" + verb + "'; expected predict,"
            + " embed, zeroShot" + (options.admin() ? " or reload" : ""));
      };
      requireMethod(x, "POST");
      JsonObject body = body(x);
      if (method.equals("Reload")) {
        if (!options.admin()) {
          throw new ServingException(Status.Code.PERMISSION_DENIED, "reload is an admin call; this server was"
              + " started without --admin");
        }
        String dir = string(body, "directory");
        ModelServer.Loaded r = owner.reload(model, dir == null || dir.isEmpty() ? null : Path.of(dir));
        JsonObject o = new JsonObject();
        o.addProperty("model_version", r.version());
        o.addProperty("previous_version", r.previousVersion());
        o.addProperty("load_seconds", r.loadTime().toNanos() / 1e9);
        send(x, 200, o);
        metrics.request(model, method, "http", Status.Code.OK, 0, System.nanoTime() - t0);
        return;
      }
      ModelSpec spec = inference.registry().peek(model).predictor.spec();
      List<Example> ex = json.examples(body, spec, options.maxExamples());
      examples = ex.size();
      Duration timeout = timeout(x);
      JsonObject o = new JsonObject();
      switch (method) {
        case "Predict" -> {
          Inference.Reply<float[]> r = await(inference.predict(model, ex, timeout));
          o.addProperty("model_version", r.version());
          JsonArray a = new JsonArray();
          r.items().forEach(v -> a.add(Answers.json(r.labels(), v)));
          o.add("predictions", a);
        }
        case "Embed" -> {
          Inference.Reply<float[]> r = await(inference.embed(model, ex, string(body, "input"), timeout));
          o.addProperty("model_version", r.version());
          JsonArray a = new JsonArray();
          r.items().forEach(v -> a.add(Answers.array(v)));
          o.add("embeddings", a);
        }
        default -> {
          List<String> labels = new ArrayList<>();
          JsonElement l = body.get("labels");
          if (l == null || !l.isJsonArray()) {
            throw JsonExamples.bad("zeroShot needs \"labels\": an array of strings; found " + JsonExamples.kind(l));
          }
          for (JsonElement e : l.getAsJsonArray()) {
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
              throw JsonExamples.bad("\"labels\" must hold strings, found " + JsonExamples.kind(e));
            }
            labels.add(e.getAsString());
          }
          Inference.Reply<Inference.Scores> r = await(inference.zeroShot(model, ex, string(body, "input"), labels,
              string(body, "template"), timeout));
          o.addProperty("model_version", r.version());
          JsonArray a = new JsonArray();
          for (Inference.Scores s : r.items()) {
            JsonObject one = new JsonObject();
            one.addProperty("label", s.label());
            JsonObject scores = new JsonObject();
            s.scores().forEach(scores::addProperty);
            one.add("scores", scores);
            a.add(one);
          }
          o.add("results", a);
        }
      }
      send(x, 200, o);
      metrics.request(model, method, "http", Status.Code.OK, examples, System.nanoTime() - t0);
    } catch (RuntimeException e) {
      ServingException s = ServingException.of(e);
      metrics.request(model, method, "http", s.code(), examples, System.nanoTime() - t0);
      JsonObject err = new JsonObject();
      err.addProperty("code", s.code().name());
      err.addProperty("message", s.detail());
      JsonObject o = new JsonObject();
      o.add("error", err);
      if (s.code() == Status.Code.UNAUTHENTICATED) {
        x.getResponseHeaders().set("WWW-Authenticate", "Bearer");
      }
      try {
        send(x, s.httpStatus(), o);
      } catch (IOException gone) {
        // The client went away.
      }
    } finally {
      inFlight.decrementAndGet();
      x.close();
    }
  }

  private static <T> T await(CompletableFuture<T> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      f.cancel(false);
      Thread.currentThread().interrupt();
      throw new ServingException(Status.Code.CANCELLED, "the server is shutting down");
    } catch (java.util.concurrent.ExecutionException e) {
      throw ServingException.of(e.getCause());
    }
  }

  private void checkToken(HttpExchange x) {
    if (expected == null) {
      return;
    }
    String got = x.getRequestHeaders().getFirst("Authorization");
    if (got == null || !MessageDigest.isEqual(expected, got.getBytes(StandardCharsets.UTF_8))) {
      throw new ServingException(Status.Code.UNAUTHENTICATED, got == null
          ? "this server needs 'Authorization: Bearer TOKEN'; the request has none"
          : "the bearer token is not this server's");
    }
  }

  private static void requireMethod(HttpExchange x, String method) {
    if (!x.getRequestMethod().equals(method)) {
      x.getResponseHeaders().set("Allow", method);
      throw new ServingException(Status.Code.UNIMPLEMENTED, 405, x.getRequestURI().getPath() + " takes " + method
          + ", not " + x.getRequestMethod(), null);
    }
  }

  private Duration timeout(HttpExchange x) {
    String t = x.getRequestHeaders().getFirst(TIMEOUT_HEADER);
    if (t == null) {
      return null;
    }
    try {
      long ms = Long.parseLong(t.strip());
      if (ms > 0) {
        return Duration.ofMillis(ms);
      }
    } catch (NumberFormatException ignored) {
      // Below.
    }
    throw JsonExamples.bad(TIMEOUT_HEADER + ": expected a whole number of milliseconds > 0, found '" + t + "'");
  }

  /** The request body as a JSON object, refused past the size limit before it is all read. */
  private JsonObject body(HttpExchange x) throws IOException {
    long max = options.maxRequestBytes();
    String length = x.getRequestHeaders().getFirst("Content-Length");
    if (length != null) {
      long declared;
      try {
        declared = Long.parseLong(length.strip());
      } catch (NumberFormatException e) {
        throw JsonExamples.bad("Content-Length '" + length + "' is not a number");
      }
      if (declared > max) {
        discard(x, max);
        throw tooLarge(declared);
      }
    }
    byte[] bytes;
    InputStream in = x.getRequestBody();
    bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
    if (bytes.length > max) {
      discard(x, max);
      throw tooLarge(bytes.length);
    }
    JsonElement e;
    try {
      e = Limits.parseJson(new String(bytes, StandardCharsets.UTF_8));
    } catch (RuntimeException bad) {
      String m = bad instanceof io.mmfuse.api.MmfuseException mm ? mm.detail() : bad.getMessage();
      throw JsonExamples.bad("the body is not JSON: " + m);
    }
    if (e == null || !e.isJsonObject()) {
      throw JsonExamples.bad("the body must be a JSON object, found " + JsonExamples.kind(e));
    }
    return e.getAsJsonObject();
  }

  /**
   * Reads and drops what is left of a body refused for its size, so that the client, still sending, reads the 413
   * rather than a reset connection; past 8 times the limit the connection is dropped instead.
   */
  private static void discard(HttpExchange x, long max) {
    try {
      InputStream in = x.getRequestBody();
      long budget = Math.max(1 << 20, 8 * max);
      byte[] sink = new byte[64 << 10];
      int n;
      while (budget > 0 && (n = in.read(sink, 0, (int) Math.min(sink.length, budget))) > 0) {
        budget -= n;
      }
    } catch (IOException ignored) {
      // The client went away.
    }
  }

  private ServingException tooLarge(long found) {
    return new ServingException(Status.Code.RESOURCE_EXHAUSTED, 413, String.format(java.util.Locale.ROOT,
        "the request body has %s bytes; the limit is %,d (--max-request-bytes)",
        found > options.maxRequestBytes() ? String.format(java.util.Locale.ROOT, "%,d", found) : "more than",
        options.maxRequestBytes()), null);
  }

  private static String string(JsonObject body, String key) {
    JsonElement e = body.get(key);
    if (e == null || e.isJsonNull()) {
      return null;
    }
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
      throw JsonExamples.bad("\"" + key + "\" must be a string, found " + JsonExamples.kind(e));
    }
    return e.getAsString();
  }

  private static JsonObject info(ModelInfo m) {
    JsonObject o = new JsonObject();
    o.addProperty("name", m.getName());
    o.addProperty("version", m.getVersion());
    o.addProperty("task", m.getTask());
    JsonObject inputs = new JsonObject();
    m.getInputsMap().forEach(inputs::addProperty);
    o.add("inputs", inputs);
    JsonArray classes = new JsonArray();
    m.getClassesList().forEach(classes::add);
    o.add("classes", classes);
    JsonArray outputs = new JsonArray();
    m.getOutputsList().forEach(outputs::add);
    o.add("outputs", outputs);
    return o;
  }

  private static void send(HttpExchange x, int status, JsonObject body) throws IOException {
    byte[] b = body.toString().getBytes(StandardCharsets.UTF_8);
    x.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    x.sendResponseHeaders(status, b.length);
    try (OutputStream out = x.getResponseBody()) {
      out.write(b);
    }
  }
}
