package io.mmfuse.examples.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.DeadlineExceededException;
import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.OverloadedException;
import io.mmfuse.fusion.data.Dataset;
import io.mmfuse.fusion.graph.Names;
import io.mmfuse.fusion.inference.BatchingPredictor;
import io.mmfuse.fusion.inference.Predictor;
import io.mmfuse.fusion.train.Trainer;
import io.mmfuse.fusion.train.TrainingConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Many callers through one model: coalesced batches, a bounded queue, deadlines, cancellation, shutdown. */
class BatchingPredictorTest {
  @TempDir static Path dir;
  static Predictor predictor;
  static List<Map<String, Object>> examples;

  @BeforeAll
  static void train() throws Exception {
    Dataset d = Dataset.read(ResumeAndDeterminismTest.data(dir, "y"), "y", null);
    new Trainer(TrainingConfig.builder().optEpochs(1).build(), TrainingTest.REGISTRY)
        .fit(io.mmfuse.api.proto.ModelSpec.getDefaultInstance(), d, dir, dir.resolve("m"));
    predictor = Predictor.load(dir.resolve("m"), TrainingTest.REGISTRY);
    examples = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      examples.add(new java.util.LinkedHashMap<>(d.examples().get(i)));
    }
  }

  @AfterAll
  static void close() {
    predictor.close();
  }

  @Test
  void aBundleSaysItsGraphRunsTheTokensInPartsAndOneWrittenWithoutThatStillLoadsAndPredicts() throws Exception {
    Path bundle = dir.resolve("m");
    assertEquals(io.mmfuse.fusion.graph.FusionGraph.SEQUENCE_PARTS,
        io.mmfuse.fusion.bundle.BundleReader.open(bundle).sequenceParts());
    // A bundle written before graphs said so: the same bundle with the constant taken out of its graph.
    Path old = dir.resolve("m-older");
    for (Path f : io.mmfuse.fusion.internal.Checksums.files(bundle)) {
      Path to = old.resolve(bundle.relativize(f).toString());
      java.nio.file.Files.createDirectories(to.getParent());
      java.nio.file.Files.copy(f, to);
    }
    Path pb = old.resolve("saved_model/saved_model.pb");
    org.tensorflow.proto.SavedModel.Builder model =
        org.tensorflow.proto.SavedModel.parseFrom(java.nio.file.Files.readAllBytes(pb)).toBuilder();
    org.tensorflow.proto.GraphDef.Builder graph = model.getMetaGraphsBuilder(0).getGraphDefBuilder();
    int before = graph.getNodeCount();
    for (int i = graph.getNodeCount() - 1; i >= 0; i--) {
      if (graph.getNode(i).getName().equals(Names.SEQUENCE_PARTS)) {
        graph.removeNode(i);
      }
    }
    assertEquals(before - 1, graph.getNodeCount());
    String oldSum = io.mmfuse.fusion.internal.Checksums.sha256(pb);
    java.nio.file.Files.write(pb, model.build().toByteArray());
    Path manifest = old.resolve("manifest.json");
    java.nio.file.Files.writeString(manifest, java.nio.file.Files.readString(manifest)
        .replace(oldSum, io.mmfuse.fusion.internal.Checksums.sha256(pb)));
    assertEquals(1, io.mmfuse.fusion.bundle.BundleReader.open(old).sequenceParts());
    try (Predictor older = Predictor.load(old, TrainingTest.REGISTRY)) {
      assertArrayEquals(predictor.predict(examples.get(0)), older.predict(examples.get(0)), 1e-6f);
    }
  }

  /** A listener that holds the dispatcher after its first batch until released: the queue then fills as asked. */
  static final class Gate implements BatchingPredictor.Listener {
    final CountDownLatch held = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final List<Integer> sizes = java.util.Collections.synchronizedList(new ArrayList<>());

    @Override
    public void onBatch(int size, long queuedNanos, long runNanos, int queueDepth) {
      sizes.add(size);
      held.countDown();
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Test
  void manyCallersGetWhatThePredictorGivesEachInFewerModelCalls() throws Exception {
    List<float[]> alone = new ArrayList<>();
    List<float[]> embedAlone = new ArrayList<>();
    for (Map<String, Object> e : examples) {
      alone.add(predictor.predict(e));
      embedAlone.add(predictor.embed(e));
    }
    ExecutorService callers = Executors.newFixedThreadPool(8);
    try (BatchingPredictor b = BatchingPredictor.over(predictor,
        new BatchingPredictor.Options(16, Duration.ofMillis(20), 1024))) {
      List<Future<List<CompletableFuture<float[]>>>> perThread = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int thread = t;
        perThread.add(callers.submit(() -> {
          List<CompletableFuture<float[]>> mine = new ArrayList<>();
          for (int i = 0; i < examples.size(); i++) {
            String output = (i + thread) % 4 == 0 ? Names.EMBEDDINGS : Names.PREDICTIONS;
            mine.add(b.submit(examples.get(i), output, null));
          }
          return mine;
        }));
      }
      for (int t = 0; t < 8; t++) {
        List<CompletableFuture<float[]>> mine = perThread.get(t).get();
        for (int i = 0; i < examples.size(); i++) {
          boolean embedding = (i + t) % 4 == 0;
          assertArrayEquals((embedding ? embedAlone : alone).get(i), mine.get(i).get(30, TimeUnit.SECONDS), 1e-5f,
              "thread " + t + ", example " + i);
        }
      }
      BatchingPredictor.Stats s = b.stats();
      assertEquals(8 * examples.size(), s.examples());
      assertTrue(s.batches() < s.examples() / 2, "requests were coalesced: " + s);
      assertArrayEquals(alone.get(3), b.predict(examples.get(3)), 1e-5f, "the blocking call");
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void aFullQueueRefusesAtOnceAndRecovers() throws Exception {
    Gate gate = new Gate();
    try (BatchingPredictor b = BatchingPredictor.over(predictor, new BatchingPredictor.Options(1, Duration.ZERO, 4),
        gate)) {
      CompletableFuture<float[]> first = b.submit(examples.get(0));
      assertTrue(gate.held.await(30, TimeUnit.SECONDS));
      List<CompletableFuture<float[]>> queued = new ArrayList<>();
      for (int i = 1; i <= 4; i++) {
        queued.add(b.submit(examples.get(i)));
      }
      CompletableFuture<float[]> over = b.submit(examples.get(5));
      assertTrue(over.isCompletedExceptionally(), "refused at once, not queued");
      ExecutionException e = assertThrows(ExecutionException.class, over::get);
      assertTrue(e.getCause() instanceof OverloadedException, e.toString());
      assertTrue(e.getCause().getMessage().contains("the queue is full: 4 requests are waiting"), e.getMessage());
      gate.release.countDown();
      assertArrayEquals(predictor.predict(examples.get(0)), first.get(30, TimeUnit.SECONDS), 1e-5f);
      for (int i = 0; i < 4; i++) {
        assertArrayEquals(predictor.predict(examples.get(i + 1)), queued.get(i).get(30, TimeUnit.SECONDS), 1e-5f);
      }
      assertArrayEquals(predictor.predict(examples.get(5)), b.predict(examples.get(5)), 1e-5f, "accepted again");
      assertEquals(1, b.stats().refused());
    }
  }

  @Test
  void expiredAndCancelledRequestsLeaveTheirBatchAndTheOthersRun() throws Exception {
    Gate gate = new Gate();
    try (BatchingPredictor b = BatchingPredictor.over(predictor,
        new BatchingPredictor.Options(8, Duration.ofMillis(1), 64), gate)) {
      b.submit(examples.get(0));
      assertTrue(gate.held.await(30, TimeUnit.SECONDS));
      CompletableFuture<float[]> late = b.submit(examples.get(1), Names.PREDICTIONS, Duration.ofMillis(1));
      CompletableFuture<float[]> cancelled = b.submit(examples.get(2));
      CompletableFuture<float[]> kept = b.submit(examples.get(3));
      cancelled.cancel(false);
      Thread.sleep(20);
      gate.release.countDown();
      assertArrayEquals(predictor.predict(examples.get(3)), kept.get(30, TimeUnit.SECONDS), 1e-5f);
      ExecutionException e = assertThrows(ExecutionException.class, () -> late.get(30, TimeUnit.SECONDS));
      assertTrue(e.getCause() instanceof DeadlineExceededException, e.toString());
      assertTrue(e.getCause().getMessage().contains("the deadline passed after"), e.getMessage());
      BatchingPredictor.Stats s = b.stats();
      assertEquals(1, s.expired(), s.toString());
      assertEquals(1, s.cancelled(), s.toString());
      assertEquals(List.of(1, 1), gate.sizes, "the second batch held only the request that was still wanted");
    }
  }

  @Test
  void badInputFailsAtOnceOnTheCallersThread() {
    try (BatchingPredictor b = BatchingPredictor.over(predictor, BatchingPredictor.Options.defaults())) {
      Map<String, Object> bad = new java.util.LinkedHashMap<>(examples.get(0));
      bad.replaceAll((k, v) -> 42L);
      CompletableFuture<float[]> f = b.submit(bad);
      assertTrue(f.isCompletedExceptionally());
      InvalidInputException e = assertThrows(InvalidInputException.class, () -> b.predict(bad));
      assertTrue(e.getMessage().contains("example"), e.getMessage());
      assertTrue(b.submit(examples.get(0), "no_such_output", null).isCompletedExceptionally());
      assertEquals(0, b.stats().requests());
    }
  }

  @Test
  void closeAnswersWhatIsQueuedThenRefuses() throws Exception {
    Gate gate = new Gate();
    BatchingPredictor b = BatchingPredictor.over(predictor, new BatchingPredictor.Options(2, Duration.ZERO, 16),
        gate);
    b.submit(examples.get(0));
    assertTrue(gate.held.await(30, TimeUnit.SECONDS));
    List<CompletableFuture<float[]>> queued = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      queued.add(b.submit(examples.get(i)));
    }
    Thread closer = new Thread(b::close);
    closer.start();
    Thread.sleep(50);
    CompletableFuture<float[]> after = b.submit(examples.get(6));
    assertTrue(after.isCompletedExceptionally());
    assertTrue(assertThrows(ExecutionException.class, after::get).getCause().getMessage()
        .contains("shutting down"));
    gate.release.countDown();
    closer.join(30_000);
    for (int i = 0; i < 5; i++) {
      assertArrayEquals(predictor.predict(examples.get(i + 1)), queued.get(i).getNow(null), 1e-5f,
          "answered before close returned");
    }
    assertTrue(predictor.predict(examples.get(0)).length > 0, "over() leaves the predictor open");
  }
}
