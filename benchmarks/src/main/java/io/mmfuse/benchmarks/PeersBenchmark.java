package io.mmfuse.benchmarks;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoopTranslator;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.mmfuse.examples.bench.Workloads;
import io.mmfuse.fusion.session.InputFeed;
import io.mmfuse.fusion.train.TrainingModel;
import io.mmfuse.runtime.RuntimeOptions;
import io.mmfuse.runtime.TensorFlowRuntime;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * mm-small's forward pass against what a Java user would pick instead, at batch 16 and for a single example: mmfuse
 * (TensorFlow, embeddings and pooler included), ONNX Runtime Java 1.22 (intra-op threads = cores, every graph
 * optimization) and PyTorch's own {@code nn.TransformerEncoder} as TorchScript (traced without gradients, so its
 * fused inference kernels) through DJL's PyTorch engine. Both peers are written by {@code
 * benchmarks/peers/export_peers.py} from one module, so they hold the same weights; setup checks that each returns
 * what PyTorch returned for the same inputs. Scores are calls per second (times the batch for samples per second).
 *
 * <pre>benchmarks/peers/run.sh</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(1)
@State(Scope.Benchmark)
public class PeersBenchmark {
  @Param({"16", "1"})
  public int batch;

  private TrainingModel mmfuse;
  private Map<String, InputFeed> feeds;
  private OrtEnvironment ort;
  private OrtSession onnx;
  private OnnxTensor onnxEmbedded;
  private OnnxTensor onnxPatches;
  private Model torch;
  private Predictor<NDList, NDList> torchScript;
  private NDManager manager;
  private NDList torchInputs;

  static float[] floats(Path file) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[b.remaining() / 4];
    b.asFloatBuffer().get(out);
    return out;
  }

  @Setup
  public void setUp() throws Exception {
    Path dir = Path.of(System.getProperty("mmfuse.peers", "benchmarks/target/peers"));
    int cores = Runtime.getRuntime().availableProcessors();
    var w = Workloads.SMALL;
    mmfuse = TrainingModel.create(Workloads.config(w, io.mmfuse.api.proto.Precision.FLOAT32),
        io.mmfuse.api.proto.Task.CLASSIFICATION, 2, null, // no optimizer: the graph a bundle serves
        TensorFlowRuntime.place(RuntimeOptions.of("cpu"), List::of).config());
    mmfuse.initializeRandom(1);
    feeds = Workloads.feeds(batch, 7);

    float[] embedded = floats(dir.resolve("embedded-b" + batch + ".f32"));
    float[] patches = floats(dir.resolve("patches-b" + batch + ".f32"));
    float[] expected = floats(dir.resolve("pooled-b" + batch + ".f32"));
    long[] embeddedShape = {batch, Workloads.TOKENS - Workloads.PATCHES, w.width()};
    long[] patchShape = {batch, Workloads.PATCHES, Workloads.PATCH_FEATURES};

    ort = OrtEnvironment.getEnvironment();
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    options.setIntraOpNumThreads(cores);
    options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
    onnx = ort.createSession(dir.resolve("encoder-b" + batch + ".onnx").toString(), options);
    onnxEmbedded = OnnxTensor.createTensor(ort, FloatBuffer.wrap(embedded), embeddedShape);
    onnxPatches = OnnxTensor.createTensor(ort, FloatBuffer.wrap(patches), patchShape);
    check("ONNX Runtime", onnxForward(), expected);

    System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(cores));
    torch = Model.newInstance("encoder-b" + batch, "PyTorch");
    torch.load(dir, "encoder-b" + batch);
    torchScript = torch.newPredictor(new NoopTranslator());
    manager = NDManager.newBaseManager("PyTorch");
    NDArray e = manager.create(embedded, new Shape(embeddedShape));
    NDArray p = manager.create(patches, new Shape(patchShape));
    torchInputs = new NDList(e, p);
    check("TorchScript", torchForward(), expected);
  }

  private static void check(String peer, float[] found, float[] expected) {
    if (found.length != expected.length) {
      throw new IllegalStateException(peer + ": " + found.length + " outputs; PyTorch gave " + expected.length);
    }
    for (int i = 0; i < found.length; i++) {
      if (Math.abs(found[i] - expected[i]) > 1e-4f) {
        throw new IllegalStateException(peer + ": output " + i + " is " + found[i] + "; PyTorch gave " + expected[i]);
      }
    }
  }

  @TearDown
  public void tearDown() throws OrtException {
    mmfuse.close();
    onnxEmbedded.close();
    onnxPatches.close();
    onnx.close();
    torchScript.close();
    torch.close();
    manager.close();
  }

  @Benchmark
  public float[] mmfuseForward() {
    return mmfuse.predict(feeds);
  }

  @Benchmark
  public float[] onnxRuntimeForward() throws OrtException {
    return onnxForward();
  }

  private float[] onnxForward() throws OrtException {
    try (OrtSession.Result r = onnx.run(Map.of("embedded", onnxEmbedded, "patches", onnxPatches))) {
      float[][] pooled = (float[][]) r.get(0).getValue();
      float[] flat = new float[pooled.length * pooled[0].length];
      for (int i = 0; i < pooled.length; i++) {
        System.arraycopy(pooled[i], 0, flat, i * pooled[i].length, pooled[i].length);
      }
      return flat;
    }
  }

  @Benchmark
  public float[] torchScriptForward() throws Exception {
    return torchForward();
  }

  private float[] torchForward() throws Exception {
    NDList out = torchScript.predict(torchInputs);
    try {
      return out.singletonOrThrow().toFloatArray();
    } finally {
      out.close();
    }
  }
}
