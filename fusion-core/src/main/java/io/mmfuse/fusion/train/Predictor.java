package io.mmfuse.fusion.train;

import io.mmfuse.api.CheckpointException;
import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.ModalityTokenizer;
import io.mmfuse.api.TokenSequence;
import io.mmfuse.api.TokenizerContext;
import io.mmfuse.api.plugin.ModalityRegistry;
import io.mmfuse.api.proto.Example;
import io.mmfuse.api.proto.InputSpec;
import io.mmfuse.api.proto.ModelSpec;
import io.mmfuse.fusion.FusionConfig;
import io.mmfuse.fusion.InputConfig;
import io.mmfuse.fusion.InputFeed;
import io.mmfuse.fusion.TaskModel;
import io.mmfuse.runtime.RuntimeOptions;
import io.mmfuse.runtime.TensorFlowRuntime;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;

/**
 * Loads a model bundle and predicts on raw examples (strings, image paths or bytes, table rows as maps, or protobuf
 * example records): tokenizes with the bundle's own tokenizers and fitted state, batches, runs the SavedModel and
 * returns class probabilities (or values). Safe to share between threads; closes every tensor it creates. Close it
 * to free the SavedModel.
 *
 * <pre>{@code
 * try (Predictor p = Predictor.load(Path.of("model"), Plugins.load())) {
 *   float[] probs = p.predict(Map.of("table", Map.of("age", "42", "colour", "red")));
 * }
 * }</pre>
 */
public final class Predictor implements AutoCloseable {
  private final ModelSpec spec;
  private final Tokenizers tokenizers;
  private final FusionConfig config;
  private final SavedModelBundle bundle;
  private final int outputs;

  private final String runtimeWarning;

  private Predictor(ModelSpec spec, Tokenizers tokenizers, FusionConfig config, SavedModelBundle bundle,
      String runtimeWarning) {
    this.runtimeWarning = runtimeWarning;
    this.spec = spec;
    this.tokenizers = tokenizers;
    this.config = config;
    this.bundle = bundle;
    this.outputs = ModelSpecs.outputs(spec);
  }

  /**
   * Loads a bundle, checking its manifest, with the modality plugins of {@code registry}; runs where the bundle's
   * spec says ({@code runtime}; the CPU when it says nothing).
   */
  public static Predictor load(Path dir, ModalityRegistry registry) {
    return load(dir, registry, null);
  }

  /**
   * Loads a bundle to run with the given runtime options (device, threads, XLA); null: the bundle spec's. When
   * {@code auto} falls back to the CPU, {@link #runtimeWarning()} says why.
   */
  public static Predictor load(Path dir, ModalityRegistry registry, RuntimeOptions runtime) {
    ModelSpec spec = ModelBundle.verify(dir);
    RuntimeOptions options = runtime != null ? runtime : RuntimeOptions.fromSpec(spec.getRuntime());
    TensorFlowRuntime.Placement placement = TensorFlowRuntime.place(options);
    Map<String, ModalityTokenizer<?>> toks = new LinkedHashMap<>();
    for (InputSpec in : spec.getInputsList()) {
      toks.put(in.getName(), registry.tokenizer(new TokenizerContext(in, dir)));
    }
    Tokenizers tokenizers = new Tokenizers(toks);
    FusionConfig config = ModelSpecs.fusionConfig(spec, tokenizers.spaces());
    SavedModelBundle bundle;
    try {
      bundle = SavedModelBundle.loader(dir.resolve(ModelBundle.SAVED_MODEL).toString()).withTags("serve")
          .withConfigProto(placement.config()).load();
    } catch (RuntimeException e) {
      throw new CheckpointException("bundle " + dir + ": the SavedModel cannot be loaded: " + e.getMessage(), e);
    }
    return new Predictor(spec, tokenizers, config, bundle, placement.warning().orElse(null));
  }

  /** Why {@code --device auto} chose the CPU, if it did. */
  public java.util.Optional<String> runtimeWarning() {
    return java.util.Optional.ofNullable(runtimeWarning);
  }

  public ModelSpec spec() {
    return spec;
  }

  /** Class names in output order (empty for regression). */
  public List<String> classes() {
    return spec.getHeadOrBuilder().getClassesList();
  }

  /** Predicts one example given as input name to value; absent inputs are missing. */
  public float[] predict(Map<String, ?> example) {
    return predictAll(List.of(example)).get(0);
  }

  /** Predicts one protobuf example record. */
  public float[] predict(Example example) {
    Map<String, Object> m = new LinkedHashMap<>(example.getInputsMap());
    return predict(m);
  }

  /** Predicts a batch of examples; one array of outputs per example, in order. */
  public List<float[]> predictAll(List<? extends Map<String, ?>> examples) {
    List<Map<String, TokenSequence>> seqs = new ArrayList<>();
    for (int i = 0; i < examples.size(); i++) {
      seqs.add(tokenizers.tokenize(examples.get(i), "example " + (i + 1)));
    }
    List<float[]> out = new ArrayList<>();
    for (int b = 0; b < seqs.size(); b += 64) {
      float[] p = run(Tokenizers.feeds(config, seqs.subList(b, Math.min(seqs.size(), b + 64))));
      for (int i = 0; i < p.length / outputs; i++) {
        out.add(java.util.Arrays.copyOfRange(p, i * outputs, (i + 1) * outputs));
      }
    }
    return out;
  }

  private float[] run(Map<String, InputFeed> feeds) {
    List<Tensor> tensors = new ArrayList<>();
    try {
      Session.Runner runner = bundle.session().runner();
      for (InputConfig in : config.inputs()) {
        InputFeed f = feeds.get(in.name());
        f.validate(in);
        for (Object[] t : f.tensors(in)) {
          tensors.add((Tensor) t[1]);
          runner.feed((String) t[0], (Tensor) t[1]);
        }
      }
      try (Result r = runner.fetch(TaskModel.PREDICTIONS).run()) {
        TFloat32 p = (TFloat32) r.get(0);
        float[] out = new float[Math.toIntExact(p.shape().size())];
        p.copyTo(DataBuffers.of(out, false, false));
        return out;
      }
    } catch (InvalidInputException e) {
      throw e;
    } finally {
      tensors.forEach(Tensor::close);
    }
  }

  /**
   * What the model looked at for one example: the last layer's attention from the first (CLS) token, averaged over
   * heads, split by input in fused order. Padding slots are included with their (zero) weight.
   *
   * @param perInput attention weights of each input's tokens (an input's own CLS, if any, first)
   */
  public record Attention(Map<String, float[]> perInput) {}

  /** Returns the last layer's CLS attention for one example. */
  public Attention attention(Map<String, ?> example) {
    Map<String, TokenSequence> seq = tokenizers.tokenize(example, "example");
    Map<String, InputFeed> feeds = Tokenizers.feeds(config, List.of(seq));
    List<Tensor> tensors = new ArrayList<>();
    String probs = io.mmfuse.fusion.FusionGraph.opName(
        "encoder/layer_" + (config.encoder().layers() - 1) + "/attention/probs");
    try {
      Session.Runner runner = bundle.session().runner();
      for (InputConfig in : config.inputs()) {
        for (Object[] t : feeds.get(in.name()).tensors(in)) {
          tensors.add((Tensor) t[1]);
          runner.feed((String) t[0], (Tensor) t[1]);
        }
      }
      try (Result r = runner.fetch(probs).run()) {
        TFloat32 a = (TFloat32) r.get(0);
        int heads = (int) a.shape().get(1);
        int l = (int) a.shape().get(2);
        float[] all = new float[Math.toIntExact(a.shape().size())];
        a.copyTo(DataBuffers.of(all, false, false));
        float[] cls = new float[l];
        for (int h = 0; h < heads; h++) {
          for (int j = 0; j < l; j++) {
            cls[j] += all[(h * l) * l + j] / heads;
          }
        }
        Map<String, float[]> per = new LinkedHashMap<>();
        int at = config.globalCls() ? 1 : 0;
        for (InputConfig in : config.inputs()) {
          int n = feeds.get(in.name()).length() + (in.cls() ? 1 : 0);
          per.put(in.name(), java.util.Arrays.copyOfRange(cls, at, at + n));
          at += n;
        }
        return new Attention(per);
      }
    } finally {
      tensors.forEach(Tensor::close);
    }
  }

  @Override
  public void close() {
    bundle.close();
  }
}
