package io.mmfuse.examples.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.mmfuse.serving.ModelServer;
import io.mmfuse.serving.ServerOptions;
import io.mmfuse.serving.proto.ListRequest;
import io.mmfuse.serving.proto.PredictRequest;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Bearer tokens and TLS with client certificates, over both protocols. */
class AccessTest {
  static final String TOKEN = "s3cret-token";

  @BeforeAll
  static void train() throws Exception {
    Bundles.train();
  }

  static Path tls(String file) throws Exception {
    return Path.of(AccessTest.class.getResource("/tls/" + file).toURI());
  }

  @Test
  void withATokenNothingButHealthIsServedWithoutIt() throws Exception {
    try (ModelServer server = ModelServer.start(ServerOptions.builder().grpcPort(0).httpPort(0)
        .model("emoji", Bundles.a).token(TOKEN).build(), Bundles.REGISTRY, line -> {})) {
      ManagedChannel c = Clients.channel(server.grpcPort());
      try {
        PredictRequest req = PredictRequest.newBuilder().setModel("emoji").addExamples(Bundles.examples.get(0))
            .build();
        StatusRuntimeException none = assertThrows(StatusRuntimeException.class,
            () -> Clients.models(c).predict(req));
        assertEquals(Status.Code.UNAUTHENTICATED, none.getStatus().getCode());
        assertTrue(none.getStatus().getDescription().contains("Bearer"));
        StatusRuntimeException wrong = assertThrows(StatusRuntimeException.class,
            () -> Clients.models(c, "guess").list(ListRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNAUTHENTICATED, wrong.getStatus().getCode());
        assertEquals(1, Clients.models(c, TOKEN).predict(req).getPredictionsCount());
        assertEquals(HealthCheckResponse.ServingStatus.SERVING, HealthGrpc.newBlockingStub(c)
            .withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()).getStatus());
      } finally {
        Clients.close(c);
      }
      int port = server.httpPort();
      String body = ServingTest.json(Bundles.examples.subList(0, 1));
      Clients.Http none = Clients.post(port, "/v1/models/emoji:predict", body);
      assertEquals(401, none.status());
      assertEquals("UNAUTHENTICATED", none.errorCode());
      assertEquals(401, Clients.get(port, "/metrics").status());
      assertEquals(401, Clients.get(port, "/v1/models", "Authorization", "Bearer nope").status());
      assertEquals(200, Clients.get(port, "/v1/health").status());
      assertEquals(200, Clients.post(port, "/v1/models/emoji:predict", body, "Authorization", "Bearer " + TOKEN)
          .status());
      assertEquals(200, Clients.get(port, "/metrics", "Authorization", "Bearer " + TOKEN).status());
    }
  }

  @Test
  void tlsWithClientCertificatesOnBothPorts() throws Exception {
    ServerOptions.Tls tls = new ServerOptions.Tls(tls("server.pem"), tls("server.key"), tls("ca.pem"));
    try (ModelServer server = ModelServer.start(ServerOptions.builder().grpcPort(0).httpPort(0)
        .model("emoji", Bundles.a).tls(tls).build(), Bundles.REGISTRY, line -> {})) {
      ManagedChannel withCert = Grpc.newChannelBuilderForAddress("localhost", server.grpcPort(),
          TlsChannelCredentials.newBuilder().trustManager(tls("ca.pem").toFile())
              .keyManager(tls("client.pem").toFile(), tls("client.key").toFile()).build()).build();
      ManagedChannel without = Grpc.newChannelBuilderForAddress("localhost", server.grpcPort(),
          TlsChannelCredentials.newBuilder().trustManager(tls("ca.pem").toFile()).build()).build();
      ManagedChannel plain = Clients.channel(server.grpcPort());
      try {
        assertEquals(1, Clients.models(withCert).list(ListRequest.getDefaultInstance()).getModelsCount());
        StatusRuntimeException noCert = assertThrows(StatusRuntimeException.class,
            () -> Clients.models(without).list(ListRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNAVAILABLE, noCert.getStatus().getCode());
        assertThrows(StatusRuntimeException.class, () -> Clients.models(plain).list(ListRequest.getDefaultInstance()));
      } finally {
        Clients.close(withCert);
        Clients.close(without);
        Clients.close(plain);
      }

      HttpClient https = HttpClient.newBuilder().sslContext(clientContext(true)).build();
      HttpResponse<String> ok = https.send(HttpRequest.newBuilder(URI.create("https://localhost:"
          + server.httpPort() + "/v1/models")).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, ok.statusCode(), ok.body());
      assertTrue(ok.body().contains("\"emoji\""));
      HttpClient noClientCert = HttpClient.newBuilder().sslContext(clientContext(false)).build();
      assertThrows(java.io.IOException.class, () -> noClientCert.send(HttpRequest.newBuilder(URI.create(
          "https://localhost:" + server.httpPort() + "/v1/models")).GET().build(),
          HttpResponse.BodyHandlers.ofString()));
    }
  }

  @Test
  void imageUrlsAreFetchedOnlyFromAllowedPrefixes() throws Exception {
    Path sample = Path.of(AccessTest.class.getResource("/emoji-sample/emoji.csv").toURI()).getParent();
    byte[] png = java.nio.file.Files.readAllBytes(sample.resolve("google/1f600.png"));
    com.sun.net.httpserver.HttpServer images = com.sun.net.httpserver.HttpServer.create(
        new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    images.createContext("/img/", x -> {
      x.sendResponseHeaders(200, png.length);
      try (var out = x.getResponseBody()) {
        out.write(png);
      }
    });
    images.start();
    String http = "http://127.0.0.1:" + images.getAddress().getPort() + "/img/";
    try (ModelServer server = ModelServer.start(ServerOptions.builder().grpcPort(-1).httpPort(0)
        .model("emoji", Bundles.a).allowUrlPrefix(http).allowUrlPrefix(sample.toUri().toString()).build(),
        Bundles.REGISTRY, line -> {})) {
      int port = server.httpPort();
      String b64 = java.util.Base64.getEncoder().encodeToString(png);
      Clients.Http bytes = Clients.post(port, "/v1/models/emoji:predict",
          "{\"examples\": [{\"image\": {\"b64\": \"" + b64 + "\"}}]}");
      Clients.Http fetched = Clients.post(port, "/v1/models/emoji:predict",
          "{\"examples\": [{\"image\": {\"url\": \"" + http + "1f600.png\"}}]}");
      Clients.Http file = Clients.post(port, "/v1/models/emoji:predict", "{\"examples\": [{\"image\": {\"url\": \""
          + sample.resolve("google/1f600.png").toUri() + "\"}}]}");
      assertEquals(200, bytes.status(), bytes.body());
      assertEquals(bytes.json().get("predictions"), fetched.json().get("predictions"), fetched.body());
      assertEquals(bytes.json().get("predictions"), file.json().get("predictions"), file.body());
      Clients.Http outside = Clients.post(port, "/v1/models/emoji:predict",
          "{\"examples\": [{\"image\": {\"url\": \"file:///etc/passwd\"}}]}");
      assertEquals(400, outside.status());
      assertTrue(outside.errorMessage().contains("starts with none of"), outside.body());
    } finally {
      images.stop(0);
    }
  }

  /** Trusts the test CA; with {@code clientCert}, presents the test client's certificate. */
  static SSLContext clientContext(boolean clientCert) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (InputStream in = AccessTest.class.getResourceAsStream("/tls/ca.pem")) {
      trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    KeyManagerFactory kmf = null;
    if (clientCert) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      try (InputStream in = AccessTest.class.getResourceAsStream("/tls/client.p12")) {
        ks.load(in, "test".toCharArray());
      }
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, "test".toCharArray());
    }
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return ctx;
  }
}
