package io.mmfuse.serving;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.mmfuse.api.proto.InputSpec;
import io.mmfuse.serving.proto.AdminGrpc;
import io.mmfuse.serving.proto.EmbedRequest;
import io.mmfuse.serving.proto.EmbedResponse;
import io.mmfuse.serving.proto.Embedding;
import io.mmfuse.serving.proto.ListRequest;
import io.mmfuse.serving.proto.ListResponse;
import io.mmfuse.serving.proto.ModelInfo;
import io.mmfuse.serving.proto.ModelsGrpc;
import io.mmfuse.serving.proto.PredictRequest;
import io.mmfuse.serving.proto.PredictResponse;
import io.mmfuse.serving.proto.ReloadRequest;
import io.mmfuse.serving.proto.ReloadResponse;
import io.mmfuse.serving.proto.ZeroShotRequest;
import io.mmfuse.serving.proto.ZeroShotResponse;
import io.mmfuse.serving.proto.ZeroShotResult;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The gRPC side: the Models and Admin services over {@link Inference}, the standard health service and server
 * reflection, a bearer-token check in front of all but health, TLS when asked.
 */
final class GrpcEndpoint {
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  static final String HEALTH_SERVICE = "grpc.health.v1.Health";

  private final Server server;
  private final HealthStatusManager health = new HealthStatusManager();

  GrpcEndpoint(ServerOptions options, Inference inference, ServingMetrics metrics, ModelServer owner)
      throws IOException {
    ServerCredentials credentials = InsecureServerCredentials.create();
    if (options.tls() != null) {
      TlsServerCredentials.Builder tls = TlsServerCredentials.newBuilder()
          .keyManager(options.tls().certificateChain().toFile(), options.tls().privateKey().toFile());
      if (options.tls().clientCa() != null) {
        tls.trustManager(options.tls().clientCa().toFile()).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
      }
      credentials = tls.build();
    }
    NettyServerBuilder b = NettyServerBuilder.forAddress(new InetSocketAddress(options.host(), options.grpcPort()),
        credentials)
        .maxInboundMessageSize((int) Math.min(Integer.MAX_VALUE, options.maxRequestBytes()))
        .maxInboundMetadataSize(64 << 10);
    ServerInterceptor auth = new TokenCheck(options.token(), metrics);
    b.addService(ServerInterceptors.intercept(strict(new ModelsService(inference, metrics).bindService()), auth));
    if (options.admin()) {
      b.addService(ServerInterceptors.intercept(strict(new AdminService(owner, metrics).bindService()), auth));
    }
    b.addService(health.getHealthService());
    b.addService(ServerInterceptors.intercept(ProtoReflectionServiceV1.newInstance(), auth));
    health.setStatus("", io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
    health.setStatus(ModelsGrpc.SERVICE_NAME, io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
    this.server = b.build().start();
  }

  int port() {
    return server.getPort();
  }

  /** Health answers NOT_SERVING and no new call is taken; calls in flight go on. */
  void stopAccepting() {
    health.enterTerminalState();
    server.shutdown();
  }

  boolean awaitTermination(Duration d) throws InterruptedException {
    return server.awaitTermination(d.toMillis(), TimeUnit.MILLISECONDS);
  }

  void shutdownNow() {
    server.shutdownNow();
  }

  /**
   * The service with its requests parsed by the handler rather than by gRPC, so that a message that is not valid
   * protobuf is answered with INVALID_ARGUMENT and what is wrong (gRPC's own parse failure reaches the client as
   * UNKNOWN, as if the server had failed).
   */
  static ServerServiceDefinition strict(ServerServiceDefinition def) {
    ServiceDescriptor sd = def.getServiceDescriptor();
    ServiceDescriptor.Builder sb = ServiceDescriptor.newBuilder(sd.getName())
        .setSchemaDescriptor(sd.getSchemaDescriptor());
    java.util.List<ServerMethodDefinition<byte[], ?>> methods = new java.util.ArrayList<>();
    for (ServerMethodDefinition<?, ?> m : def.getMethods()) {
      ServerMethodDefinition<byte[], ?> raw = rawRequests(m);
      sb.addMethod(raw.getMethodDescriptor());
      methods.add(raw);
    }
    ServerServiceDefinition.Builder out = ServerServiceDefinition.builder(sb.build());
    methods.forEach(out::addMethod);
    return out.build();
  }

  private static <Q, R> ServerMethodDefinition<byte[], R> rawRequests(ServerMethodDefinition<Q, R> m) {
    MethodDescriptor<Q, R> typed = m.getMethodDescriptor();
    MethodDescriptor<byte[], R> raw = typed.toBuilder(BYTES, typed.getResponseMarshaller()).build();
    ServerCallHandler<Q, R> inner = m.getServerCallHandler();
    return ServerMethodDefinition.create(raw, (call, headers) -> {
      ServerCall.Listener<Q> listener = inner.startCall(new TypedCall<>(call, typed), headers);
      return new ServerCall.Listener<byte[]>() {
        private boolean refused;

        @Override
        public void onMessage(byte[] message) {
          Q request;
          try {
            request = typed.parseRequest(new java.io.ByteArrayInputStream(message));
          } catch (RuntimeException e) {
            refused = true;
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            call.close(Status.INVALID_ARGUMENT.withDescription("the request to " + typed.getFullMethodName()
                + " is not a valid protobuf message: " + cause.getMessage()), new Metadata());
            return;
          }
          listener.onMessage(request);
        }

        @Override
        public void onHalfClose() {
          if (!refused) {
            listener.onHalfClose();
          }
        }

        @Override
        public void onCancel() {
          listener.onCancel();
        }

        @Override
        public void onComplete() {
          listener.onComplete();
        }

        @Override
        public void onReady() {
          if (!refused) {
            listener.onReady();
          }
        }
      };
    });
  }

  private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new java.io.ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw Status.INTERNAL.withDescription("reading the request: " + e).asRuntimeException();
      }
    }
  };

  /** A call whose requests arrive as bytes, as the typed handler sees it. */
  private static final class TypedCall<Q, R> extends ServerCall<Q, R> {
    private final ServerCall<byte[], R> call;
    private final MethodDescriptor<Q, R> method;

    TypedCall(ServerCall<byte[], R> call, MethodDescriptor<Q, R> method) {
      this.call = call;
      this.method = method;
    }

    @Override
    public void request(int n) {
      call.request(n);
    }

    @Override
    public void sendHeaders(Metadata headers) {
      call.sendHeaders(headers);
    }

    @Override
    public void sendMessage(R message) {
      call.sendMessage(message);
    }

    @Override
    public boolean isReady() {
      return call.isReady();
    }

    @Override
    public void close(Status status, Metadata trailers) {
      call.close(status, trailers);
    }

    @Override
    public boolean isCancelled() {
      return call.isCancelled();
    }

    @Override
    public void setMessageCompression(boolean enabled) {
      call.setMessageCompression(enabled);
    }

    @Override
    public void setCompression(String compressor) {
      call.setCompression(compressor);
    }

    @Override
    public io.grpc.Attributes getAttributes() {
      return call.getAttributes();
    }

    @Override
    public String getAuthority() {
      return call.getAuthority();
    }

    @Override
    public MethodDescriptor<Q, R> getMethodDescriptor() {
      return method;
    }
  }

  /** Refuses every call but health without {@code authorization: Bearer TOKEN} when a token is set. */
  private static final class TokenCheck implements ServerInterceptor {
    private final byte[] expected;
    private final ServingMetrics metrics;

    TokenCheck(String token, ServingMetrics metrics) {
      this.expected = token == null ? null : ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
      this.metrics = metrics;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
        ServerCallHandler<Q, R> next) {
      if (expected == null || HEALTH_SERVICE.equals(call.getMethodDescriptor().getServiceName())) {
        return next.startCall(call, headers);
      }
      String got = headers.get(AUTHORIZATION);
      if (got == null || !MessageDigest.isEqual(expected, got.getBytes(StandardCharsets.UTF_8))) {
        metrics.request("", call.getMethodDescriptor().getBareMethodName(), "grpc", Status.Code.UNAUTHENTICATED, 0,
            0);
        call.close(Status.UNAUTHENTICATED.withDescription(got == null
            ? "this server needs 'authorization: Bearer TOKEN'; the call has no authorization"
            : "the bearer token is not this server's"), new Metadata());
        return new ServerCall.Listener<>() {};
      }
      return next.startCall(call, headers);
    }
  }

  /** Time left before the call's deadline; null when it has none. */
  static Duration timeLeft() {
    Deadline d = Context.current().getDeadline();
    return d == null ? null : Duration.ofNanos(Math.max(0, d.timeRemaining(TimeUnit.NANOSECONDS)));
  }

  /**
   * Answers {@code observer} from {@code start}'s future, recording the outcome; a cancelled call cancels the future
   * (its examples leave the queue).
   */
  static <T, R> void answer(StreamObserver<R> observer, ServingMetrics metrics, String model, String method,
      int examples, java.util.function.Supplier<CompletableFuture<T>> start, Function<T, R> reply) {
    long t0 = System.nanoTime();
    CompletableFuture<T> f;
    try {
      f = start.get();
    } catch (RuntimeException e) {
      fail(observer, metrics, model, method, examples, t0, e);
      return;
    }
    if (observer instanceof ServerCallStreamObserver<R> s) {
      s.setOnCancelHandler(() -> f.cancel(false));
    }
    f.whenComplete((v, err) -> {
      if (err != null) {
        fail(observer, metrics, model, method, examples, t0, err);
        return;
      }
      R r;
      try {
        r = reply.apply(v);
      } catch (RuntimeException e) {
        fail(observer, metrics, model, method, examples, t0, e);
        return;
      }
      try {
        observer.onNext(r);
        observer.onCompleted();
        metrics.request(model, method, "grpc", Status.Code.OK, examples, System.nanoTime() - t0);
      } catch (StatusRuntimeException e) {
        // The call was cancelled meanwhile.
        metrics.request(model, method, "grpc", Status.Code.CANCELLED, examples, System.nanoTime() - t0);
      }
    });
  }

  private static void fail(StreamObserver<?> observer, ServingMetrics metrics, String model, String method,
      int examples, long t0, Throwable err) {
    ServingException e = ServingException.of(err);
    metrics.request(model, method, "grpc", e.code(), examples, System.nanoTime() - t0);
    try {
      observer.onError(Status.fromCode(e.code()).withDescription(e.detail()).asRuntimeException());
    } catch (RuntimeException alreadyClosed) {
      // Cancelled by the client: nobody to tell.
    }
  }

  static ModelInfo info(ServedModel m) {
    ModelInfo.Builder b = ModelInfo.newBuilder().setName(m.name).setVersion(m.version).setTask(m.predictor.spec().getHead().getTask().name())
        .addAllClasses(m.predictor.classes());
    for (InputSpec in : m.predictor.spec().getInputsList()) {
      b.putInputs(in.getName(), in.getModality());
    }
    for (String o : new String[] {io.mmfuse.fusion.graph.Names.PREDICTIONS, io.mmfuse.fusion.graph.Names.EMBEDDINGS,
        io.mmfuse.fusion.graph.Names.EMBEDDINGS_B}) {
      if (m.predictor.hasOutput(o)) {
        b.addOutputs(o);
      }
    }
    return b.build();
  }

  private static final class ModelsService extends ModelsGrpc.ModelsImplBase {
    private final Inference inference;
    private final ServingMetrics metrics;

    ModelsService(Inference inference, ServingMetrics metrics) {
      this.inference = inference;
      this.metrics = metrics;
    }

    @Override
    public void list(ListRequest request, StreamObserver<ListResponse> observer) {
      answer(observer, metrics, "", "List", 0, () -> {
        ListResponse.Builder b = ListResponse.newBuilder();
        inference.registry().current().values().forEach(m -> b.addModels(info(m)));
        return CompletableFuture.completedFuture(b.build());
      }, r -> r);
    }

    @Override
    public void predict(PredictRequest request, StreamObserver<PredictResponse> observer) {
      Duration left = timeLeft();
      answer(observer, metrics, request.getModel(), "Predict", request.getExamplesCount(),
          () -> inference.predict(request.getModel(), request.getExamplesList(), left), r -> {
            PredictResponse.Builder b = PredictResponse.newBuilder().setModelVersion(r.version());
            r.items().forEach(v -> b.addPredictions(Answers.proto(r.labels(), v)));
            return b.build();
          });
    }

    @Override
    public void embed(EmbedRequest request, StreamObserver<EmbedResponse> observer) {
      Duration left = timeLeft();
      answer(observer, metrics, request.getModel(), "Embed", request.getExamplesCount(),
          () -> inference.embed(request.getModel(), request.getExamplesList(), request.getInput(), left), r -> {
            EmbedResponse.Builder b = EmbedResponse.newBuilder().setModelVersion(r.version());
            for (float[] v : r.items()) {
              Embedding.Builder e = Embedding.newBuilder();
              for (float x : v) {
                e.addValues(x);
              }
              b.addEmbeddings(e);
            }
            return b.build();
          });
    }

    @Override
    public void zeroShot(ZeroShotRequest request, StreamObserver<ZeroShotResponse> observer) {
      Duration left = timeLeft();
      answer(observer, metrics, request.getModel(), "ZeroShot", request.getExamplesCount(),
          () -> inference.zeroShot(request.getModel(), request.getExamplesList(), request.getInput(),
              request.getLabelsList(), request.getTemplate(), left), r -> {
            ZeroShotResponse.Builder b = ZeroShotResponse.newBuilder().setModelVersion(r.version());
            r.items().forEach(s -> b.addResults(ZeroShotResult.newBuilder().setLabel(s.label())
                .putAllScores(s.scores())));
            return b.build();
          });
    }
  }

  private static final class AdminService extends AdminGrpc.AdminImplBase {
    private final ModelServer owner;
    private final ServingMetrics metrics;

    AdminService(ModelServer owner, ServingMetrics metrics) {
      this.owner = owner;
      this.metrics = metrics;
    }

    @Override
    public void reload(ReloadRequest request, StreamObserver<ReloadResponse> observer) {
      answer(observer, metrics, request.getModel(), "Reload", 0, () -> CompletableFuture.supplyAsync(() ->
          owner.reload(request.getModel(), request.getDirectory().isEmpty() ? null
              : Path.of(request.getDirectory()))), r -> ReloadResponse.newBuilder()
          .setModelVersion(r.version())
          .setPreviousVersion(r.previousVersion() == null ? "" : r.previousVersion())
          .setLoadSeconds(r.loadTime().toNanos() / 1e9).build());
    }
  }
}
