package io.mmfuse.fusion.inference;

import io.mmfuse.api.CheckpointException;
import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.ModalityTokenizer;
import io.mmfuse.api.TokenSequence;
import io.mmfuse.api.TokenizerContext;
import io.mmfuse.api.plugin.ModalityRegistry;
import io.mmfuse.api.proto.Example;
import io.mmfuse.api.proto.InputSpec;
import io.mmfuse.api.proto.ModelSpec;
import io.mmfuse.fusion.bundle.BundleReader;
import io.mmfuse.fusion.data.Tokenizers;
import io.mmfuse.fusion.graph.FusionConfig;
import io.mmfuse.fusion.graph.FusionStrategies;
import io.mmfuse.fusion.graph.InputConfig;
import io.mmfuse.fusion.graph.ModelSpecs;
import io.mmfuse.fusion.graph.Names;
import io.mmfuse.fusion.session.Call;
import io.mmfuse.fusion.session.InputFeed;
import io.mmfuse.fusion.session.ModelSession;
import io.mmfuse.runtime.RuntimeOptions;
import io.mmfuse.runtime.TensorFlowRuntime;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Signature;

/**
 * Loads a model bundle and predicts on raw examples (strings, image paths or bytes, table rows as maps, or protobuf
 * example records): tokenizes with the bundle's own tokenizers and fitted state, batches, and runs the SavedModel
 * through its serving signature, which names every input and output. Safe to share between threads. Close it to
 * free the SavedModel.
 *
 * <pre>{@code
 * try (Predictor p = Predictor.load(Path.of("model"), Plugins.load())) {
 *   float[] probs = p.predict(Map.of("table", Map.of("age", "42", "colour", "red")));
 * }
 * }</pre>
 */
public final class Predictor implements AutoCloseable {
  static {
    // Before TensorFlow's native code loads: its INFO lines stay off standard error unless asked for.
    io.mmfuse.runtime.NativeLogging.quietByDefault();
  }

  private static final int BATCH = 64;

  private final ModelSpec spec;
  private final Tokenizers tokenizers;
  private final FusionConfig config;
  private final ModelSession session;
  private final Map<String, String> inputTensors;
  private final Map<String, String> outputTensors;
  private final int outputs;
  private final String runtimeWarning;

  private Predictor(ModelSpec spec, Tokenizers tokenizers, FusionConfig config, ModelSession session,
      Map<String, String> inputTensors, Map<String, String> outputTensors, String runtimeWarning) {
    this.spec = spec;
    this.tokenizers = tokenizers;
    this.config = config;
    this.session = session;
    this.inputTensors = inputTensors;
    this.outputTensors = outputTensors;
    this.outputs = ModelSpecs.outputs(spec);
    this.runtimeWarning = runtimeWarning;
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
    BundleReader reader = BundleReader.open(dir);
    ModelSpec spec = reader.spec();
    RuntimeOptions options = runtime != null ? runtime : RuntimeOptions.fromSpec(spec.getRuntime());
    TensorFlowRuntime.Placement placement =
        TensorFlowRuntime.forSequenceParts(TensorFlowRuntime.place(options), reader.sequenceParts());
    Map<String, ModalityTokenizer<?>> toks = new LinkedHashMap<>();
    for (InputSpec in : spec.getInputsList()) {
      toks.put(in.getName(), registry.tokenizer(new TokenizerContext(in, reader.directory())));
    }
    Tokenizers tokenizers = new Tokenizers(toks);
    FusionConfig config = ModelSpecs.fusionConfig(spec, tokenizers.spaces(), FusionStrategies.of(registry));
    SavedModelBundle bundle = reader.loadSavedModel(placement.config());
    try {
      Signature sig = bundle.signatures().stream().filter(x -> x.key().equals(Signature.DEFAULT_KEY)).findFirst()
          .orElseThrow(() -> new CheckpointException("bundle " + dir + ": its SavedModel has no serving signature '"
              + Signature.DEFAULT_KEY + "'"));
      Map<String, String> in = new HashMap<>();
      for (InputConfig input : config.inputs()) {
        for (Names.Feed f : input.feeds()) {
          String key = Names.signatureKey(input.name(), f);
          Signature.TensorDescription d = sig.getInputs().get(key);
          if (d == null) {
            throw new CheckpointException("bundle " + dir + ": its serving signature has no input '" + key
                + "'; the model spec and the SavedModel disagree");
          }
          in.put(Names.feed(input.name(), f), d.name);
        }
      }
      Map<String, String> out = new HashMap<>();
      sig.getOutputs().forEach((k, d) -> out.put(k, d.name));
      if (!out.containsKey(Names.PREDICTIONS)) {
        throw new CheckpointException("bundle " + dir + ": its serving signature has no output 'predictions'");
      }
      return new Predictor(spec, tokenizers, config, ModelSession.of(bundle), in, out,
          placement.warning().orElse(null));
    } catch (RuntimeException e) {
      bundle.close();
      throw e;
    }
  }

  /** Why {@code --device auto} chose the CPU, if it did. */
  public Optional<String> runtimeWarning() {
    return Optional.ofNullable(runtimeWarning);
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
    return predict(new LinkedHashMap<String, Object>(example.getInputsMap()));
  }

  /** Predicts a batch of examples; one array of outputs per example, in order. */
  public List<float[]> predictAll(List<? extends Map<String, ?>> examples) {
    return runAll(examples, Names.PREDICTIONS);
  }

  /**
   * The L2-normalized representation the head reads (the pooled first token), for search and clustering: one
   * example given as input name to value.
   */
  public float[] embed(Map<String, ?> example) {
    return embedAll(List.of(example)).get(0);
  }

  /** The embeddings of a batch of examples, in order. */
  public List<float[]> embedAll(List<? extends Map<String, ?>> examples) {
    if (!outputTensors.containsKey(Names.EMBEDDINGS)) {
      throw new CheckpointException("this bundle's serving signature has no 'embeddings' output; retrain it with"
          + " this version to get embeddings");
    }
    return runAll(examples, Names.EMBEDDINGS);
  }

  /**
   * Tokenizes one example with the bundle's tokenizers, for {@link #predictTokenized}: the part of prediction that
   * can run on other threads, ahead of the model; {@code where} names the example in errors.
   */
  public Map<String, TokenSequence> tokenize(Map<String, ?> example, String where) {
    return tokenizers.tokenize(example, where);
  }

  /** Predicts examples tokenized by {@link #tokenize}; one array of outputs per example, in order. */
  public List<float[]> predictTokenized(List<Map<String, TokenSequence>> tokenized) {
    return runTokenized(tokenized, Names.PREDICTIONS);
  }

  /**
   * The embedding of one side of an example: for a contrastive bundle, the side that {@code input} is on (its inputs
   * only, the others ignored); for any other bundle, {@code input} alone. Fails when those inputs are all missing.
   */
  public float[] embed(Map<String, ?> example, String input) {
    Map<String, TokenSequence> t = tokenize(side(example, input), "example");
    return embedTokenized(List.of(t), input).get(0);
  }

  /** Embeddings of whole examples tokenized by {@link #tokenize} ({@link #embedAll}), in order. */
  public List<float[]> embedTokenized(List<Map<String, TokenSequence>> tokenized) {
    if (!outputTensors.containsKey(Names.EMBEDDINGS)) {
      throw new CheckpointException("this bundle's serving signature has no 'embeddings' output; retrain it with"
          + " this version to get embeddings");
    }
    return runTokenized(tokenized, Names.EMBEDDINGS);
  }

  /** The spec's inputs on {@code input}'s side, for reading a data file that holds only those columns. */
  public ModelSpec sideSpec(String input) {
    List<String> keep = sideOf(input);
    ModelSpec.Builder b = spec.toBuilder().clearInputs();
    spec.getInputsList().stream().filter(i -> keep.contains(i.getName())).forEach(b::addInputs);
    return b.build();
  }

  /** The inputs an embedding of {@code input}'s side reads: its contrastive side, or the input alone. */
  public List<String> sideOf(String input) {
    config.input(input);
    if (spec.getHead().getTask() == io.mmfuse.api.proto.Task.CONTRASTIVE) {
      return spec.getHead().getSideAList().contains(input) ? spec.getHead().getSideAList()
          : spec.getHead().getSideBList();
    }
    return List.of(input);
  }

  /** The example with only the inputs of {@code input}'s side. */
  public Map<String, Object> side(Map<String, ?> example, String input) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (String in : sideOf(input)) {
      out.put(in, example.get(in));
    }
    return out;
  }

  /**
   * Embeddings of {@code input}'s side for examples tokenized by {@link #tokenize} (the other inputs' tokens are
   * left out), in order.
   */
  public List<float[]> embedTokenized(List<Map<String, TokenSequence>> tokenized, String input) {
    List<String> keep = sideOf(input);
    List<Map<String, TokenSequence>> only = new ArrayList<>(tokenized.size());
    for (Map<String, TokenSequence> t : tokenized) {
      Map<String, TokenSequence> m = new LinkedHashMap<>();
      t.forEach((k, v) -> m.put(k, keep.contains(k) ? v : null));
      only.add(m);
    }
    String output = embeddingOutput(input);
    if (!outputTensors.containsKey(output)) {
      throw new CheckpointException("this bundle's serving signature has no '" + output + "' output; retrain it"
          + " with this version to get embeddings");
    }
    return runTokenized(only, output);
  }

  /**
   * The output that embeds {@code input}'s side: {@link Names#EMBEDDINGS_B} for the second side of a contrastive
   * bundle, else {@link Names#EMBEDDINGS}.
   */
  public String embeddingOutput(String input) {
    return spec.getHead().getTask() == io.mmfuse.api.proto.Task.CONTRASTIVE
        && spec.getHead().getSideBList().contains(input) ? Names.EMBEDDINGS_B : Names.EMBEDDINGS;
  }

  /** Whether the bundle's serving signature has the output {@code name} ({@code predictions}, {@code embeddings}). */
  public boolean hasOutput(String name) {
    return outputTensors.containsKey(name);
  }

  /**
   * Several outputs of examples tokenized by {@link #tokenize}, from one run of the model per batch: by output name,
   * one array per example, in order.
   */
  public Map<String, List<float[]>> outputsTokenized(List<Map<String, TokenSequence>> tokenized,
      List<String> names) {
    for (String n : names) {
      if (!outputTensors.containsKey(n)) {
        throw new CheckpointException("this bundle's serving signature has no '" + n + "' output (it has "
            + new java.util.TreeSet<>(outputTensors.keySet()) + ")");
      }
    }
    Map<String, List<float[]>> out = new LinkedHashMap<>();
    names.forEach(n -> out.put(n, new ArrayList<>(tokenized.size())));
    for (int b = 0; b < tokenized.size(); b += BATCH) {
      List<Map<String, TokenSequence>> batch = tokenized.subList(b, Math.min(tokenized.size(), b + BATCH));
      try (Call call = session.call()) {
        call.feedInputs(config, Tokenizers.feeds(config, batch), inputTensors::get);
        names.forEach(n -> call.fetch(outputTensors.get(n)));
        call.run();
        for (int k = 0; k < names.size(); k++) {
          float[] p = call.floats(k);
          int width = p.length / batch.size();
          List<float[]> into = out.get(names.get(k));
          for (int i = 0; i < batch.size(); i++) {
            into.add(Arrays.copyOfRange(p, i * width, (i + 1) * width));
          }
        }
      }
    }
    return out;
  }

  /**
   * One traced run of the model on examples tokenized by {@link #tokenize}, fetching the predictions: TensorFlow's
   * step stats (each op, where it ran and for how long), for profiling the serving graph.
   */
  public org.tensorflow.proto.RunMetadata traceTokenized(List<Map<String, TokenSequence>> tokenized) {
    try (Call call = session.call()) {
      call.feedInputs(config, Tokenizers.feeds(config, tokenized), inputTensors::get);
      call.fetch(outputTensors.get(Names.PREDICTIONS));
      call.traced().run();
      return call.metadata();
    }
  }

  private List<float[]> runAll(List<? extends Map<String, ?>> examples, String output) {
    List<Map<String, TokenSequence>> seqs = new ArrayList<>();
    for (int i = 0; i < examples.size(); i++) {
      seqs.add(tokenizers.tokenize(examples.get(i), "example " + (i + 1)));
    }
    return runTokenized(seqs, output);
  }

  private List<float[]> runTokenized(List<Map<String, TokenSequence>> seqs, String output) {
    return outputsTokenized(seqs, List.of(output)).get(output);
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
    String tensor = outputTensors.get(Names.ATTENTION);
    if (tensor == null) {
      throw new InvalidInputException("this model has no attention output (an encoder of 0 layers, or a bundle"
          + " from an older version)");
    }
    Map<String, TokenSequence> seq = tokenizers.tokenize(example, "example");
    Map<String, InputFeed> feeds = Tokenizers.feeds(config, List.of(seq));
    try (Call call = session.call()) {
      call.feedInputs(config, feeds, inputTensors::get);
      call.fetch(tensor).run();
      long[] shape = call.shape(0);
      int heads = (int) shape[1];
      int l = (int) shape[2];
      float[] all = call.floats(0);
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
        per.put(in.name(), Arrays.copyOfRange(cls, at, at + n));
        at += n;
      }
      return new Attention(per);
    }
  }

  @Override
  public void close() {
    session.close();
  }
}
