package io.mmfuse.benchmarks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.transformer.TransformerEncoderBlock;
import ai.djl.training.ParameterStore;
import io.mmfuse.examples.bench.Workloads;
import io.mmfuse.fusion.session.InputFeed;
import io.mmfuse.fusion.train.TrainingModel;
import io.mmfuse.runtime.RuntimeOptions;
import io.mmfuse.runtime.TensorFlowRuntime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * mm-small's forward pass (batch 16, 277 tokens: 64 text, 196 patches of 768 values projected, 16 table columns, a
 * CLS; width 256, 4 layers, 4 heads, feed-forward 1024, pooler) in mmfuse (TensorFlow) and the same encoder in
 * PyTorch through DJL: DJL's {@code TransformerEncoderBlock}s on the PyTorch engine with the same sizes, the patch
 * projection as a {@code Linear}, the token embeddings and the pooler included. Scores are batches per second:
 * multiply by 16 for samples per second. float32 on both sides (with bfloat16 parameters, this process aborted inside
 * native code when both engines were loaded; mmfuse's own bfloat16 figures come from {@code mmfuse bench}).
 *
 * <pre>benchmarks/run EncoderBenchmark</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(1)
@State(Scope.Benchmark)
public class EncoderBenchmark {
  private TrainingModel mmfuse;
  private Map<String, InputFeed> feeds;
  private NDManager manager;
  private Linear projection;
  private List<TransformerEncoderBlock> layers;
  private Linear pooler;
  private NDArray patches;
  private NDArray textTable;
  private ParameterStore store;

  @Setup
  public void setUp() {
    var w = Workloads.SMALL;
    mmfuse = TrainingModel.create(Workloads.config(w, io.mmfuse.api.proto.Precision.FLOAT32),
        io.mmfuse.api.proto.Task.CLASSIFICATION, 2, null, // no optimizer: the graph a bundle serves
        TensorFlowRuntime.place(RuntimeOptions.of("cpu"), List::of).config());
    mmfuse.initializeRandom(1);
    feeds = Workloads.feeds(w.batch(), 7);

    manager = NDManager.newBaseManager("PyTorch");
    DataType type = DataType.FLOAT32;
    int b = w.batch();
    projection = Linear.builder().setUnits(w.width()).build();
    projection.initialize(manager, type, new Shape(b, Workloads.PATCHES, Workloads.PATCH_FEATURES));
    layers = new ArrayList<>();
    for (int i = 0; i < w.layers(); i++) {
      TransformerEncoderBlock block = new TransformerEncoderBlock(w.width(), w.heads(), w.ffn(), 0f, Activation::gelu);
      block.initialize(manager, type, new Shape(b, Workloads.TOKENS, w.width()));
      layers.add(block);
    }
    pooler = Linear.builder().setUnits(w.width()).build();
    pooler.initialize(manager, type, new Shape(b, w.width()));
    patches = manager.randomNormal(new Shape(b, Workloads.PATCHES, Workloads.PATCH_FEATURES)).toType(type, false);
    // Text, table and CLS embeddings: looked up once (a gather costs nothing next to the encoder).
    textTable = manager.randomNormal(new Shape(b, Workloads.TOKENS - Workloads.PATCHES, w.width()))
        .toType(type, false);
    store = new ParameterStore(manager, false);
  }

  @TearDown
  public void tearDown() {
    mmfuse.close();
    manager.close();
  }

  @Benchmark
  public float[] mmfuseForward() {
    return mmfuse.predict(feeds);
  }

  @Benchmark
  public float djlPytorchForward() {
    try (NDManager m = manager.newSubManager()) {
      // Everything computed from these lands in m and is freed with it; they return to the base manager.
      patches.tempAttach(m);
      textTable.tempAttach(m);
      NDArray image = projection.forward(store, new NDList(patches), false).singletonOrThrow();
      NDArray x = textTable.concat(image, 1);
      for (TransformerEncoderBlock block : layers) {
        x = block.forward(store, new NDList(x), false).singletonOrThrow();
      }
      NDArray first = x.get(":, 0, :");
      NDArray pooled = pooler.forward(store, new NDList(first), false).singletonOrThrow().tanh();
      return pooled.toType(DataType.FLOAT32, false).getFloat(0, 0);
    }
  }
}
