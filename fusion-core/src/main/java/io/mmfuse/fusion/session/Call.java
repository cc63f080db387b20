package io.mmfuse.fusion.session;

import io.mmfuse.api.InvalidInputException;
import io.mmfuse.fusion.graph.FusionConfig;
import io.mmfuse.fusion.graph.InputConfig;
import io.mmfuse.fusion.graph.Names;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * One run of a session, and the scope of every tensor it touches: the tensors it feeds are created by it (or handed
 * to it) and the results it fetches stay readable until it is closed, which frees all of them at once. Not
 * thread-safe; a session runs many calls at once, each in its own scope.
 *
 * <pre>{@code
 * try (Call call = session.call()) {
 *   call.feedInputs(config, feeds).fetch(Names.PREDICTIONS).run();
 *   float[] p = call.floats(0);
 * }
 * }</pre>
 */
public final class Call implements AutoCloseable {
  private final Session.Runner runner;
  private final List<Tensor> owned = new ArrayList<>();
  private Result result;
  private RunMetadata metadata;
  private RunOptions options;

  Call(Session session) {
    this.runner = session.runner();
  }

  /** Feeds a tensor, which this call then owns and closes. */
  public Call feed(String name, Tensor tensor) {
    owned.add(tensor);
    runner.feed(name, tensor);
    return this;
  }

  /** Feeds a float32 tensor of this shape. */
  public Call feedFloats(String name, float[] data, long... shape) {
    return feed(name, TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(data, true, false)));
  }

  /** Feeds an int32 tensor of this shape. */
  public Call feedInts(String name, int[] data, long... shape) {
    return feed(name, TInt32.tensorOf(Shape.of(shape), DataBuffers.of(data, true, false)));
  }

  /** Feeds a float32 scalar. */
  public Call feedScalar(String name, float value) {
    return feed(name, TFloat32.scalarOf(value));
  }

  /** Feeds every input of a fused model under its graph op names; returns the batch size. */
  public int feedInputs(FusionConfig config, Map<String, InputFeed> feeds) {
    return feedInputs(config, feeds, UnaryOperator.identity());
  }

  /**
   * Checks the feeds of every input of the model (each one's tensors against its configuration, one batch size, the
   * fusion strategy's lengths) and feeds them, each under the name {@code tensorName} gives for its graph op name;
   * returns the batch size. Nothing is fed when a check fails.
   */
  public int feedInputs(FusionConfig config, Map<String, InputFeed> feeds, UnaryOperator<String> tensorName) {
    int batch = -1;
    Map<String, Integer> lengths = new LinkedHashMap<>();
    for (InputConfig in : config.inputs()) {
      InputFeed f = feeds.get(in.name());
      if (f == null) {
        throw new InvalidInputException("no feed for input '" + in.name() + "'");
      }
      f.validate(in);
      if (batch >= 0 && f.batch() != batch) {
        throw new InvalidInputException("input '" + in.name() + "' has " + f.batch() + " examples; others have "
            + batch);
      }
      batch = f.batch();
      lengths.put(in.name(), f.length());
    }
    config.fusion().validateLengths(lengths);
    for (InputConfig in : config.inputs()) {
      feeds.get(in.name()).feedTo(this, in, tensorName);
    }
    return batch;
  }

  /** Fetches a tensor by name ({@code op} or {@code op:index}). */
  public Call fetch(String name) {
    runner.fetch(name);
    return this;
  }

  /** Fetches an operand of the graph. */
  public Call fetch(Operand<?> operand) {
    runner.fetch(operand);
    return this;
  }

  /** Runs an op for its effect. */
  public Call target(String op) {
    runner.addTarget(op);
    return this;
  }

  /** Runs an op for its effect. */
  public Call target(Op op) {
    runner.addTarget(op);
    return this;
  }

  /** Traces the run: where each op ran and for how long ({@link #metadata()}). */
  public Call traced() {
    this.options = io.mmfuse.runtime.TensorFlowRuntime.fullTrace();
    return this;
  }

  /** Runs with these options (a trace level, partition graphs); {@link #metadata()} then holds what they asked. */
  public Call options(RunOptions runOptions) {
    this.options = runOptions;
    return this;
  }

  /** Runs the call once; its fetches are then readable by position. */
  public Call run() {
    if (result != null) {
      throw new IllegalStateException("a call runs once");
    }
    if (options != null) {
      runner.setOptions(options);
      result = runner.runAndFetchMetadata();
      metadata = result.getMetadata().orElse(null);
    } else {
      result = runner.run();
    }
    return this;
  }

  /** The run's metadata, after a {@link #traced()} run or one with {@link #options}. */
  public RunMetadata metadata() {
    if (metadata == null) {
      throw new IllegalStateException("the call was not traced");
    }
    return metadata;
  }

  private Tensor fetched(int i) {
    if (result == null) {
      throw new IllegalStateException("the call has not run");
    }
    return result.get(i);
  }

  /** The shape of fetch {@code i}. */
  public long[] shape(int i) {
    return fetched(i).shape().asArray();
  }

  /** The values of float fetch {@code i}, row-major. */
  public float[] floats(int i) {
    TFloat32 t = (TFloat32) fetched(i);
    float[] out = new float[Math.toIntExact(t.shape().size())];
    t.copyTo(DataBuffers.of(out, false, false));
    return out;
  }

  /** The value of scalar float fetch {@code i}. */
  public float scalar(int i) {
    return ((TFloat32) fetched(i)).getFloat();
  }

  /** Frees the results and every tensor the call fed. */
  @Override
  public void close() {
    try {
      if (result != null) {
        result.close();
      }
    } finally {
      owned.forEach(Tensor::close);
      owned.clear();
    }
  }
}
