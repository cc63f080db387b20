package io.mmfuse.examples.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import io.mmfuse.api.proto.Example;
import io.mmfuse.api.proto.InputValue;
import io.mmfuse.fusion.inference.Predictor;
import io.mmfuse.serving.ModelServer;
import io.mmfuse.serving.ServerOptions;
import io.mmfuse.serving.proto.EmbedRequest;
import io.mmfuse.serving.proto.EmbedResponse;
import io.mmfuse.serving.proto.ListRequest;
import io.mmfuse.serving.proto.ModelsGrpc;
import io.mmfuse.serving.proto.PredictRequest;
import io.mmfuse.serving.proto.PredictResponse;
import io.mmfuse.serving.proto.ZeroShotRequest;
import io.mmfuse.serving.proto.ZeroShotResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A server on 127.0.0.1 with a classifier and a contrastive model: what clients get, good and bad. */
class ServingTest {
  static ModelServer server;
  static ManagedChannel channel;
  static Predictor a;
  static Predictor pairs;

  @BeforeAll
  static void start() throws Exception {
    Bundles.train();
    server = ModelServer.start(ServerOptions.builder().grpcPort(0).httpPort(0).model("emoji", Bundles.a)
        .model("pairs", Bundles.pairs).maxRequestBytes(256 << 10).maxExamples(32).build(), Bundles.REGISTRY,
        line -> {});
    channel = Clients.channel(server.grpcPort());
    a = Predictor.load(Bundles.a, Bundles.REGISTRY);
    pairs = Predictor.load(Bundles.pairs, Bundles.REGISTRY);
  }

  @AfterAll
  static void stop() throws Exception {
    Clients.close(channel);
    server.close();
    a.close();
    pairs.close();
  }

  static List<Map<String, Object>> asMaps(List<Example> examples) {
    List<Map<String, Object>> out = new ArrayList<>();
    examples.forEach(e -> out.add(new LinkedHashMap<>(e.getInputsMap())));
    return out;
  }

  static String json(List<Example> examples) {
    return io.mmfuse.serving.JsonExamples.toJson(examples).toString();
  }


  static float[] floats(List<Float> v) {
    float[] out = new float[v.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = v.get(i);
    }
    return out;
  }

  @Test
  void grpcAndHttpPredictGiveWhatThePredictorGives() throws Exception {
    List<float[]> expected = a.predictAll(asMaps(Bundles.examples));
    PredictResponse r = Clients.models(channel).predict(PredictRequest.newBuilder().setModel("emoji")
        .addAllExamples(Bundles.examples).build());
    assertEquals(server.versions().get("emoji"), r.getModelVersion());
    assertEquals(expected.size(), r.getPredictionsCount());
    for (int i = 0; i < expected.size(); i++) {
      assertArrayEquals(expected.get(i), floats(r.getPredictions(i).getOutputsList()), 1e-5f, "example " + i);
      int best = 0;
      for (int c = 1; c < expected.get(i).length; c++) {
        best = expected.get(i)[c] > expected.get(i)[best] ? c : best;
      }
      assertEquals(a.classes().get(best), r.getPredictions(i).getPrediction());
      assertEquals(expected.get(i)[best], r.getPredictions(i).getProbabilitiesOrThrow(a.classes().get(best)),
          1e-6f);
    }

    Clients.Http h = Clients.post(server.httpPort(), "/v1/models/emoji:predict", json(Bundles.examples));
    assertEquals(200, h.status(), h.body());
    JsonArray preds = h.json().getAsJsonArray("predictions");
    assertEquals(expected.size(), preds.size());
    for (int i = 0; i < expected.size(); i++) {
      JsonObject p = preds.get(i).getAsJsonObject();
      assertEquals(r.getPredictions(i).getPrediction(), p.get("prediction").getAsString());
      JsonObject probs = p.getAsJsonObject("probabilities");
      for (int c = 0; c < a.classes().size(); c++) {
        assertEquals(expected.get(i)[c], probs.get(a.classes().get(c)).getAsFloat(), 1e-5f);
      }
    }

    // Missing inputs are missing, over both protocols.
    float[] nameOnly = a.predict(Map.of("name", "cat face"));
    Clients.Http one = Clients.post(server.httpPort(), "/v1/models/emoji:predict",
        "{\"examples\": [{\"name\": \"cat face\", \"image\": null}]}");
    JsonObject probs = one.json().getAsJsonArray("predictions").get(0).getAsJsonObject()
        .getAsJsonObject("probabilities");
    for (int c = 0; c < a.classes().size(); c++) {
      assertEquals(nameOnly[c], probs.get(a.classes().get(c)).getAsFloat(), 1e-5f);
    }
  }

  /** The examples without the inputs the contrastive model lacks. */
  static List<Example> pictureAndName() {
    return Bundles.examples.stream().map(e -> e.toBuilder().removeInputs("table").build()).toList();
  }

  @Test
  void embedAndZeroShotGiveWhatThePredictorGives() throws Exception {
    List<float[]> expected = a.embedAll(asMaps(Bundles.examples));
    EmbedResponse e = Clients.models(channel).embed(EmbedRequest.newBuilder().setModel("emoji")
        .addAllExamples(Bundles.examples).build());
    for (int i = 0; i < expected.size(); i++) {
      assertArrayEquals(expected.get(i), floats(e.getEmbeddings(i).getValuesList()), 1e-5f);
    }

    List<String> labels = List.of("grinning face", "dog face", "red apple", "soccer ball");
    List<float[]> labelVectors = new ArrayList<>();
    for (String l : labels) {
      labelVectors.add(pairs.embed(Map.of("name", "a picture of " + l), "name"));
    }
    ZeroShotResponse z = Clients.models(channel).zeroShot(ZeroShotRequest.newBuilder().setModel("pairs")
        .setInput("image").addAllLabels(labels).setTemplate("a picture of {}").addAllExamples(pictureAndName())
        .build());
    assertEquals(Bundles.examples.size(), z.getResultsCount());
    for (int i = 0; i < Bundles.examples.size(); i++) {
      float[] v = pairs.embed(asMaps(pictureAndName()).get(i), "image");
      int best = 0;
      for (int c = 0; c < labels.size(); c++) {
        float s = 0;
        for (int j = 0; j < v.length; j++) {
          s += v[j] * labelVectors.get(c)[j];
        }
        assertEquals(s, z.getResults(i).getScoresOrThrow(labels.get(c)), 1e-4f);
        float bs = z.getResults(i).getScoresOrThrow(labels.get(best));
        best = s > bs ? c : best;
      }
      assertEquals(labels.get(best), z.getResults(i).getLabel());
    }
    Clients.Http h = Clients.post(server.httpPort(), "/v1/models/pairs:zeroShot", "{\"input\": \"image\","
        + " \"labels\": [\"grinning face\", \"dog face\"], " + json(pictureAndName().subList(0, 2)).substring(1));
    assertEquals(200, h.status(), h.body());
    assertEquals(2, h.json().getAsJsonArray("results").size());

    StatusRuntimeException notContrastive = assertThrows(StatusRuntimeException.class, () -> Clients.models(channel)
        .zeroShot(ZeroShotRequest.newBuilder().setModel("emoji").setInput("image").addAllLabels(labels)
            .addAllExamples(Bundles.examples).build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, notContrastive.getStatus().getCode());
    assertTrue(notContrastive.getStatus().getDescription().contains("not contrastive"));
  }

  @Test
  void listHealthAndReflectionWork() throws Exception {
    var list = Clients.models(channel).list(ListRequest.getDefaultInstance());
    assertEquals(List.of("emoji", "pairs"), list.getModelsList().stream().map(m -> m.getName()).toList());
    assertEquals("image", list.getModels(0).getInputsOrThrow("image"));
    assertEquals(a.classes(), list.getModels(0).getClassesList());

    HealthCheckResponse health = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService(ModelsGrpc.SERVICE_NAME).build());
    assertEquals(HealthCheckResponse.ServingStatus.SERVING, health.getStatus());
    assertEquals(200, Clients.get(server.httpPort(), "/v1/health").status());

    List<ServerReflectionResponse> answers = new ArrayList<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> req = ServerReflectionGrpc.newStub(channel)
        .serverReflectionInfo(new StreamObserver<>() {
          @Override
          public void onNext(ServerReflectionResponse r) {
            answers.add(r);
          }

          @Override
          public void onError(Throwable t) {
            done.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            done.complete(null);
          }
        });
    req.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    req.onNext(ServerReflectionRequest.newBuilder().setFileContainingSymbol("mmfuse.serving.v1.Models").build());
    req.onCompleted();
    done.get(20, TimeUnit.SECONDS);
    List<String> services = answers.get(0).getListServicesResponse().getServiceList().stream()
        .map(s -> s.getName()).toList();
    assertTrue(services.containsAll(List.of("mmfuse.serving.v1.Models", "grpc.health.v1.Health")), services.toString());
    var files = answers.get(1).getFileDescriptorResponse().getFileDescriptorProtoList();
    List<String> names = new ArrayList<>();
    for (ByteString f : files) {
      names.add(com.google.protobuf.DescriptorProtos.FileDescriptorProto.parseFrom(f).getName());
    }
    assertTrue(names.containsAll(List.of("mmfuse/serving.proto", "mmfuse/spec.proto")), names.toString());
  }

  @Test
  void badRequestsGetTheirStatusAndAMessageAndTheServerKeepsServing() throws Exception {
    ModelsGrpc.ModelsBlockingStub stub = Clients.models(channel);
    Example good = Bundles.examples.get(0);

    StatusRuntimeException malformed = assertThrows(StatusRuntimeException.class, () -> Clients.raw(channel,
        "mmfuse.serving.v1.Models/Predict", new byte[] {0x12, 0x7f, 0x01, 0x02}));
    assertEquals(Status.Code.INVALID_ARGUMENT, malformed.getStatus().getCode());
    assertTrue(malformed.getStatus().getDescription().contains("not a valid protobuf"),
        malformed.getStatus().getDescription());

    StatusRuntimeException unknownModel = assertThrows(StatusRuntimeException.class, () -> stub.predict(
        PredictRequest.newBuilder().setModel("nope").addExamples(good).build()));
    assertEquals(Status.Code.NOT_FOUND, unknownModel.getStatus().getCode());
    assertTrue(unknownModel.getStatus().getDescription().contains("'nope'"));

    StatusRuntimeException unknownInput = assertThrows(StatusRuntimeException.class, () -> stub.predict(
        PredictRequest.newBuilder().setModel("emoji").addExamples(good.toBuilder().putInputs("colour",
            InputValue.newBuilder().setText("red").build())).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, unknownInput.getStatus().getCode());
    assertTrue(unknownInput.getStatus().getDescription().contains("no input 'colour'"));

    StatusRuntimeException wrongType = assertThrows(StatusRuntimeException.class, () -> stub.predict(
        PredictRequest.newBuilder().setModel("emoji").addExamples(Example.newBuilder().putInputs("image",
            InputValue.newBuilder().setText("/etc/passwd").build())).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, wrongType.getStatus().getCode());
    assertTrue(wrongType.getStatus().getDescription().contains("input 'image'")
        && wrongType.getStatus().getDescription().contains("TEXT"), wrongType.getStatus().getDescription());
    Clients.Http wrongJson = Clients.post(server.httpPort(), "/v1/models/emoji:predict",
        "{\"examples\": [{\"name\": 42}]}");
    assertEquals(400, wrongJson.status());
    assertTrue(wrongJson.errorMessage().contains("input 'name' is text: expected a string, found a number"),
        wrongJson.body());
    Clients.Http path = Clients.post(server.httpPort(), "/v1/models/emoji:predict",
        "{\"examples\": [{\"image\": {\"url\": \"file:///etc/passwd\"}}]}");
    assertEquals(400, path.status());
    assertTrue(path.errorMessage().contains("fetches no URLs"), path.body());

    byte[] png = Bundles.examples.get(0).getInputsOrThrow("image").getImage().toByteArray();
    byte[] corrupt = java.util.Arrays.copyOf(png, png.length);
    for (int i = 40; i < corrupt.length - 20; i++) {
      corrupt[i] = (byte) (i * 31);
    }
    StatusRuntimeException badImage = assertThrows(StatusRuntimeException.class, () -> stub.predict(
        PredictRequest.newBuilder().setModel("emoji").addExamples(Example.newBuilder().putInputs("image",
            InputValue.newBuilder().setImage(ByteString.copyFrom(corrupt)).build())).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, badImage.getStatus().getCode());
    assertTrue(badImage.getStatus().getDescription().contains("corrupt PNG"), badImage.getStatus().getDescription());

    StatusRuntimeException bomb = assertThrows(StatusRuntimeException.class, () -> stub.predict(
        PredictRequest.newBuilder().setModel("emoji").addExamples(Example.newBuilder().putInputs("image",
            InputValue.newBuilder().setImage(ByteString.copyFrom(pngHeader(20_000, 20_000))).build())).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, bomb.getStatus().getCode());
    assertTrue(bomb.getStatus().getDescription().contains("20000x20000"), bomb.getStatus().getDescription());

    byte[] big = new byte[300 << 10];
    StatusRuntimeException tooBig = assertThrows(StatusRuntimeException.class, () -> stub.predict(
        PredictRequest.newBuilder().setModel("emoji").addExamples(Example.newBuilder().putInputs("image",
            InputValue.newBuilder().setImage(ByteString.copyFrom(big)).build())).build()));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, tooBig.getStatus().getCode());
    Clients.Http tooBigHttp = Clients.post(server.httpPort(), "/v1/models/emoji:predict",
        "{\"examples\": [{\"name\": \"" + "x".repeat(300 << 10) + "\"}]}");
    assertEquals(413, tooBigHttp.status());
    assertTrue(tooBigHttp.errorMessage().contains("the limit is 262,144"), tooBigHttp.body());

    PredictRequest.Builder many = PredictRequest.newBuilder().setModel("emoji");
    for (int i = 0; i < 33; i++) {
      many.addExamples(Example.newBuilder().putInputs("name", InputValue.newBuilder().setText("x").build()));
    }
    StatusRuntimeException tooMany = assertThrows(StatusRuntimeException.class, () -> stub.predict(many.build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, tooMany.getStatus().getCode());
    assertTrue(tooMany.getStatus().getDescription().contains("33 examples; the limit is 32"));

    Clients.Http notJson = Clients.post(server.httpPort(), "/v1/models/emoji:predict", "{\"examples\": [");
    assertEquals(400, notJson.status());
    assertTrue(notJson.errorMessage().startsWith("the body is not JSON"), notJson.body());
    assertEquals(404, Clients.post(server.httpPort(), "/v1/models/nope:predict", json(Bundles.examples)).status());
    assertEquals(404, Clients.get(server.httpPort(), "/v2/anything").status());
    assertEquals(405, Clients.get(server.httpPort(), "/v1/models/emoji:predict").status());

    // Still serving, and the errors were counted by code.
    assertEquals(1, stub.predict(PredictRequest.newBuilder().setModel("emoji").addExamples(good).build())
        .getPredictionsCount());
    String metrics = Clients.get(server.httpPort(), "/metrics").body();
    assertTrue(metrics.contains("mmfuse_errors_total{code=\"INVALID_ARGUMENT\",method=\"Predict\",model=\"emoji\","
        + "protocol=\"grpc\"}"), metrics);
    assertTrue(metrics.contains("mmfuse_errors_total{code=\"NOT_FOUND\""), metrics);
    assertTrue(metrics.contains("mmfuse_batch_size_bucket{model=\"emoji\""), metrics);
    assertTrue(metrics.contains("mmfuse_request_latency_seconds_bucket{method=\"Predict\""), metrics);
    assertTrue(metrics.contains("mmfuse_queue_depth{model=\"emoji\"}"), metrics);
    assertTrue(metrics.contains("mmfuse_model_load_seconds_count{model=\"emoji\",result=\"ok\"} 1"), metrics);
  }

  /** The start of a PNG whose header declares {@code w} x {@code h} pixels; no pixel data follows. */
  static byte[] pngHeader(int w, int h) {
    java.nio.ByteBuffer ihdr = java.nio.ByteBuffer.allocate(17);
    ihdr.put("IHDR".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(w).putInt(h)
        .put(new byte[] {8, 2, 0, 0, 0});
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(ihdr.array());
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + 4 + 17 + 4 + 12);
    b.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}).putInt(13).put(ihdr.array())
        .putInt((int) crc.getValue());
    java.nio.ByteBuffer idat = java.nio.ByteBuffer.allocate(4).put("IDAT".getBytes(
        java.nio.charset.StandardCharsets.US_ASCII));
    crc.reset();
    crc.update(idat.array());
    b.putInt(0).put(idat.array()).putInt((int) crc.getValue());
    return b.array();
  }

  @Test
  void aLabelSetMustBeDistinct() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> Clients.models(channel).zeroShot(
        ZeroShotRequest.newBuilder().setModel("pairs").setInput("image").addAllLabels(List.of("a", "a"))
            .addExamples(pictureAndName().get(0)).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("repeats"), e.getStatus().getDescription());
  }
}
