package io.mmfuse.fusion.graph;

import io.mmfuse.api.CheckpointException;
import io.mmfuse.api.proto.PositionLayout;
import io.mmfuse.api.proto.TokenKind;
import io.mmfuse.fusion.hf.HfCheckpoints;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.index.Indices;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Assign;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.math.Mean;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Builds the TensorFlow graph of a fused model from a {@link FusionConfig}: per-input embeddings, fusion, the shared
 * encoder, pooler. One builder for every architecture: Hugging Face checkpoints are imported by mapping their weight
 * names and layouts onto this graph's variables ({@link HfCheckpoints}).
 *
 * <p>Feeds (graph names use '.' where these use '/'), per input {@code n}: discrete {@code n/ids} int32 [B,T] (and {@code n/scales} float [B,T] when scaled);
 * continuous {@code n/features} float [B,T,F]; positions {@code n/positions} int32 [B,T] (sequence) or
 * {@code n/pos_index} int32 [B,T,4] with {@code n/pos_weight} float [B,T,4] (grid: bilinear mix of four table rows);
 * {@code n/segments} int32 [B,T] where the input has segments; {@code n/mask} float [B,T]. Dropout is active only
 * when {@code training} is fed 1. Fetches: {@code last_hidden_state} [B,L,H], {@code pooler_output} [B,H].
 *
 * <p>Attention does no work a fused kernel would skip: one matmul for Q, K and V together, one transpose to
 * [3,B,heads,L,d], the mask built once as a [B,1,1,L] bias shared by all layers; for training, Q scaled before the
 * score matmul; in a graph that only predicts ({@link #buildForInference}), the scale and the mask applied inside
 * oneDNN's fused batch matmul.
 */
public final class FusionGraph {
  static {
    // Before TensorFlow's native code loads: its INFO lines stay off standard error unless asked for.
    io.mmfuse.runtime.NativeLogging.quietByDefault();
  }


  /** One learned tensor, its initial-value feed and the op that assigns it. */
  public record Parameter(String name, long[] shape, Variable<TFloat32> variable, Placeholder<TFloat32> value,
      Assign<TFloat32> assign, Operand<TFloat32> read, boolean decays) {
    public long size() {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      return n;
    }
  }

  private final FusionConfig config;
  private final Ops tf;
  private final Map<String, Parameter> parameters = new LinkedHashMap<>();
  private final Map<String, Lookup> lookups = new LinkedHashMap<>();
  private final java.util.Set<String> gatheredTwice = new java.util.HashSet<>();
  private final Operand<TFloat32> training;
  private final Operand<TInt32> dropoutSeed;
  private Operand<TFloat32> lastHiddenState;
  private Operand<TFloat32> pooled;
  private Operand<TFloat32> fusedMask;
  private Operand<TFloat32> attention;
  private long seed = 1;
  private final boolean inference;
  private final int sequenceParts;
  /** While the encoder builds its second and later parts: a parameter asked for again is the one built before. */
  private boolean reuseParameters;

  /**
   * How many parts a graph that only predicts on the CPU splits each example's tokens into, through every layer: each
   * part's ops run one after another on a thread of their own (the session's inter-op threads, each op on one
   * intra-op thread, {@code TensorFlowRuntime.forSequenceParts}), the parts meeting only where attention reads every
   * token's keys and values. On a 2-core CPU, one example through mm-small's encoder ran 1.2x to 1.4x (oneDNN's
   * kernels) and 1.7x (Eigen's) faster than with the whole sequence in each op and both threads splitting every op;
   * a batch of 16 ran as fast. See docs/performance.md.
   */
  public static final int SEQUENCE_PARTS = 2;

  private FusionGraph(FusionConfig config, Graph graph, org.tensorflow.DeviceSpec device, boolean inference) {
    this.config = config;
    this.inference = inference;
    boolean gpu = device != null && device.deviceType() == org.tensorflow.DeviceSpec.DeviceType.GPU;
    this.sequenceParts = inference && !gpu && config.encoder().layers() > 0 ? SEQUENCE_PARTS : 1;
    io.mmfuse.runtime.TensorFlowRuntime.requireAsciiNodeNumbers();
    this.tf = device == null ? Ops.create(graph) : Ops.create(graph).withDevice(device);
    this.training = tf.withName(Names.TRAINING).placeholderWithDefault(tf.constant(0.0f), Shape.scalar());
    this.dropoutSeed = tf.withName(Names.DROPOUT_SEED).placeholderWithDefault(tf.constant(new int[] {0, 0}),
        Shape.of(2));
  }

  /** Builds the model's graph into {@code graph}. */
  public static FusionGraph build(FusionConfig config, Graph graph) {
    return build(config, graph, null);
  }

  /** Builds the model's graph with every op placed on {@code device} (null: TensorFlow places them). */
  public static FusionGraph build(FusionConfig config, Graph graph, org.tensorflow.DeviceSpec device) {
    return build(config, graph, device, false);
  }

  /**
   * Builds the model's graph for predictions only: no gradient will be taken through it, so it is built from ops
   * that are faster but whose gradients TF Java cannot build well: attention that oneDNN fuses ({@link #scores}), and
   * grid positions mixed by one sparse-dense product. It has no dropout ops, whatever the configuration's rates. It
   * computes what {@link #build(FusionConfig, Graph)} does outside training, to float32 rounding.
   */
  public static FusionGraph buildForInference(FusionConfig config, Graph graph) {
    return build(config, graph, null, true);
  }

  /** As {@link #buildForInference(FusionConfig, Graph)}, with every op placed on {@code device} (null: anywhere). */
  public static FusionGraph buildForInference(FusionConfig config, Graph graph, org.tensorflow.DeviceSpec device) {
    return build(config, graph, device, true);
  }

  private static FusionGraph build(FusionConfig config, Graph graph, org.tensorflow.DeviceSpec device,
      boolean inference) {
    FusionStrategy strategy = config.fusion();
    strategy.validate(config);
    FusionGraph g = new FusionGraph(config, graph, device, inference);
    g.buildModel(strategy);
    if (g.sequenceParts > 1) {
      // For whoever loads this graph to choose its threads (TensorFlowRuntime.forSequenceParts).
      g.tf.withName(Names.SEQUENCE_PARTS).constant(g.sequenceParts);
    }
    return g;
  }

  public FusionConfig config() {
    return config;
  }

  public Ops ops() {
    return tf;
  }

  /** The learned tensors by name, in creation order. */
  public Map<String, Parameter> parameters() {
    return parameters;
  }

  /**
   * The one lookup of a token embedding table: the rows gathered [B, T, width] and the ids they were gathered by
   * [B, T]. An optimizer that takes the gradient at {@code rows} updates only the rows the batch used.
   */
  public record Lookup(Operand<TFloat32> rows, Operand<TInt32> ids) {}

  /** The lookups of the token embedding tables, by parameter name ({@code embed/INPUT/tokens}). */
  public Map<String, Lookup> lookups() {
    return lookups;
  }

  public Operand<TFloat32> lastHiddenState() {
    return lastHiddenState;
  }

  /** The pooled first token, or null when the encoder has no pooler. */
  public Operand<TFloat32> pooled() {
    return pooled;
  }

  public Operand<TFloat32> fusedMask() {
    return fusedMask;
  }

  public Operand<TFloat32> training() {
    return training;
  }

  /** How many parts the encoder runs each example's tokens in ({@link #SEQUENCE_PARTS} or 1). */
  public int sequenceParts() {
    return sequenceParts;
  }

  /** The last layer's attention probabilities [B, heads, L, L]. */
  public Operand<TFloat32> attention() {
    return attention;
  }

  /**
   * Adds a learned tensor to the model, for what wraps the encoder (a task head): it is initialized, loaded, read
   * and exported with the encoder's own parameters. Dense kernels ({@code decays}) get weight decay in training.
   */
  public Variable<TFloat32> addParameter(String name, boolean decays, long... shape) {
    return param(name, decays, shape);
  }

  /** Normal(0, 0.02) matrices and tables, zero biases and LayerNorm offsets, unit LayerNorm gains. */
  public Map<String, Weight> randomWeights(long seed) {
    java.util.Random random = new java.util.Random(seed);
    Map<String, Weight> weights = new LinkedHashMap<>();
    for (Parameter p : parameters.values()) {
      float[] data = new float[Math.toIntExact(p.size())];
      String n = p.name();
      if (n.endsWith("/gamma")) {
        Arrays.fill(data, 1f);
      } else if (!n.endsWith("/bias") && !n.endsWith("/beta")) {
        for (int i = 0; i < data.length; i++) {
          data[i] = (float) (random.nextGaussian() * 0.02);
        }
      }
      weights.put(n, new Weight(p.shape(), data));
    }
    return weights;
  }

  // ------------------------------------------------------------------------------------------------------------

  private Variable<TFloat32> param(String name, boolean decays, long... shape) {
    Parameter existing = parameters.get(name);
    if (existing != null) {
      if (reuseParameters && Arrays.equals(existing.shape(), shape)) {
        return existing.variable();
      }
      throw new IllegalStateException("parameter " + name + " is created twice");
    }
    String op = Names.op(name);
    Variable<TFloat32> v = tf.withName(op).variable(Shape.of(shape), TFloat32.class);
    Placeholder<TFloat32> p =
        tf.withName(op + ".init_value").placeholder(TFloat32.class, Placeholder.shape(Shape.of(shape)));
    Assign<TFloat32> a = tf.withName(op + ".init").assign(v, p);
    // Fetching a variable itself returns a reference tensor, which TF Java 1.1.0 does not free: read a copy.
    Operand<TFloat32> read = tf.withName(op + ".read").identity(v);
    parameters.put(name, new Parameter(name, shape.clone(), v, p, a, read, decays));
    return v;
  }

  private Placeholder<TFloat32> floatFeed(InputConfig in, Names.Feed feed, long... shape) {
    return tf.withName(Names.feed(in.name(), feed)).placeholder(TFloat32.class, Placeholder.shape(Shape.of(shape)));
  }

  private Placeholder<TInt32> intFeed(InputConfig in, Names.Feed feed, long... shape) {
    return tf.withName(Names.feed(in.name(), feed)).placeholder(TInt32.class, Placeholder.shape(Shape.of(shape)));
  }

  private Operand<TFloat32> dropout(Operand<TFloat32> x, float rate) {
    // A graph that only predicts never drops: no mask ops, whatever rate the model trained with.
    if (rate <= 0 || inference) {
      return x;
    }
    // keep = 1 - rate * training; with training = 0, floor(1 + u) = 1 for u in [0, 1): the identity.
    Operand<TFloat32> keep = tf.math.sub(tf.constant(1f), tf.math.mul(training, tf.constant(rate)));
    // Stateless: the mask is a function of the fed seed and this site, so a resumed run draws what it would have.
    Operand<TInt32> siteSeed = tf.math.add(dropoutSeed, tf.constant(new int[] {0, (int) seed++}));
    Operand<TFloat32> u = tf.random.statelessRandomUniform(tf.shape(x), siteSeed, TFloat32.class);
    return tf.math.div(tf.math.mul(x, tf.math.floor(tf.math.add(keep, u))), keep);
  }

  private Operand<TFloat32> layerNorm(String name, Operand<TFloat32> x) {
    int h = config.encoder().width();
    Variable<TFloat32> gamma = param(name + "/gamma", false, h);
    Variable<TFloat32> beta = param(name + "/beta", false, h);
    Operand<TInt32> axis = tf.constant(-1);
    Operand<TFloat32> mean = tf.math.mean(x, axis, Mean.keepDims(true));
    Operand<TFloat32> centered = tf.math.sub(x, mean);
    Operand<TFloat32> var = tf.math.mean(tf.math.square(centered), axis, Mean.keepDims(true));
    Operand<TFloat32> inv = tf.math.rsqrt(tf.math.add(var, tf.constant(config.encoder().layerNormEps())));
    return tf.math.add(tf.math.mul(tf.math.mul(centered, inv), gamma), beta);
  }

  /** x [N, in] times kernel [in, out] plus bias. */
  private Operand<TFloat32> dense(String name, Operand<TFloat32> x, int in, int out) {
    Variable<TFloat32> w = param(name + "/kernel", true, in, out);
    Variable<TFloat32> b = param(name + "/bias", false, out);
    // BiasAdd, not Add: Grappler's remapper fuses MatMul + BiasAdd (+ GELU) into one oneDNN kernel.
    return tf.nn.biasAdd(matMul(x, w), b);
  }

  private boolean mixed() {
    return config.encoder().precision() == io.mmfuse.api.proto.Precision.MIXED_BFLOAT16;
  }

  /** a [N, K] times b [K, M], in bfloat16 under mixed precision (float32 in and out; casts have gradients). */
  private Operand<TFloat32> matMul(Operand<TFloat32> a, Operand<TFloat32> b) {
    if (!mixed()) {
      return tf.linalg.matMul(a, b);
    }
    return tf.dtypes.cast(tf.linalg.matMul(bf16(a), bf16(b)), TFloat32.class);
  }

  /**
   * Batched a [B, heads, L, d or L] times b [B, heads, L, d] (b transposed when {@code adjointB}), in bfloat16 under
   * mixed precision. Built as {@code Einsum}, which TensorFlow's oneDNN build runs as {@code _MklEinsum} forward and,
   * through Einsum's own gradient, backward. TF Java's {@code batchMatMul} is {@code BatchMatMulV3}, which oneDNN
   * does not take: this model's attention ran 2.3x slower with it. {@code BatchMatMulV2} (through the raw op builder)
   * was as fast forward, but its gradient is built from V3 again.
   */
  private Operand<TFloat32> batchMatMul(Operand<TFloat32> a, Operand<TFloat32> b, boolean adjointB) {
    if (!mixed()) {
      return einsum(a, b, adjointB);
    }
    return tf.dtypes.cast(einsum(bf16(a), bf16(b), adjointB), TFloat32.class);
  }

  /** Whether attention is built for oneDNN's fused batch matmul: a graph that only predicts, in float32. */
  private boolean fusedAttention() {
    return inference && !mixed();
  }

  /**
   * Attention scores [B, heads, L, L] from q and k [B, heads, L, d], scaled and masked by {@code bias}. For training,
   * q is scaled first and the product is {@link #batchMatMul}'s Einsum. A graph that only predicts writes it as
   * {@code AddV2(Mul(BatchMatMulV2(q, k'), scale), bias)}, which Grappler's remapper turns into one
   * {@code _MklFusedBatchMatMulV2} that scales and masks as it writes the scores: two passes over them fewer per layer.
   */
  private Operand<TFloat32> scores(Operand<TFloat32> q, Operand<TFloat32> k, Operand<TFloat32> scale,
      Operand<TFloat32> bias) {
    if (!fusedAttention()) {
      return tf.math.add(batchMatMul(tf.math.mul(q, scale), k, true), bias);
    }
    Operand<TFloat32> scaled = tf.math.mul(batchMatMulV2(q, k, true), scale);
    return tf.scope().opBuilder("AddV2", "AddV2").addInput(scaled.asOutput()).addInput(bias.asOutput()).build()
        .output(0);
  }

  /** {@code BatchMatMulV2} (TF Java's {@code batchMatMul} is V3, which oneDNN does not take), float32. */
  private Operand<TFloat32> batchMatMulV2(Operand<TFloat32> a, Operand<TFloat32> b, boolean adjointB) {
    return tf.scope().opBuilder("BatchMatMulV2", "BatchMatMulV2").addInput(a.asOutput()).addInput(b.asOutput())
        .setAttr("adj_x", false).setAttr("adj_y", adjointB).build().output(0);
  }

  private <T extends org.tensorflow.types.family.TNumber> Operand<T> einsum(Operand<T> a, Operand<T> b,
      boolean adjointB) {
    return tf.linalg.einsum(List.of(a, b), adjointB ? "bhqd,bhkd->bhqk" : "bhqk,bhkd->bhqd");
  }

  private Operand<TBfloat16> bf16(Operand<TFloat32> x) {
    return tf.dtypes.cast(x, TBfloat16.class);
  }

  private Operand<TFloat32> activation(Operand<TFloat32> x) {
    switch (config.encoder().activation()) {
      case RELU:
        return tf.nn.relu(x);
      case GELU_TANH: {
        Operand<TFloat32> cube = tf.math.mul(tf.math.mul(x, x), x);
        Operand<TFloat32> inner =
            tf.math.mul(tf.constant((float) Math.sqrt(2 / Math.PI)),
                tf.math.add(x, tf.math.mul(tf.constant(0.044715f), cube)));
        return tf.math.mul(tf.math.mul(tf.constant(0.5f), x), tf.math.add(tf.constant(1f), tf.math.tanh(inner)));
      }
      default: {
        Operand<TFloat32> erf = tf.math.erf(tf.math.mul(x, tf.constant((float) (1 / Math.sqrt(2)))));
        return tf.math.mul(tf.math.mul(tf.constant(0.5f), x), tf.math.add(tf.constant(1f), erf));
      }
    }
  }

  // ------------------------------------------------------------------------------------------------------------

  private void buildModel(FusionStrategy strategy) {
    int h = config.encoder().width();
    List<FusionStrategy.Embedded> embedded = new ArrayList<>();
    Variable<TFloat32> types =
        config.modalityTypes() ? param("embed/modality_types", false, config.inputs().size(), h) : null;
    for (int i = 0; i < config.inputs().size(); i++) {
      InputConfig in = config.inputs().get(i);
      FusionStrategy.Embedded e = embed(in);
      if (types != null) {
        Operand<TFloat32> type = tf.stridedSlice(types, Indices.at(i));
        e = new FusionStrategy.Embedded(e.name(), tf.math.add(e.embeddings(), type), e.mask());
      }
      embedded.add(e);
    }
    Operand<TFloat32> globalCls = null;
    if (config.globalCls()) {
      Variable<TFloat32> cls = param("embed/global_cls", false, h);
      Operand<TFloat32> first = embedded.get(0).mask();
      // [B, 1, H]: the CLS vector broadcast over the batch.
      Operand<TFloat32> zeros = tf.expandDims(tf.expandDims(tf.math.mul(
          tf.slice(first, tf.constant(new int[] {0, 0}), tf.constant(new int[] {-1, 1})), tf.constant(0f)),
          tf.constant(-1)), tf.constant(-1));
      globalCls = tf.math.add(tf.reshape(zeros, tf.constant(new int[] {-1, 1, 1})), cls);
    }
    if (strategy instanceof SideFusion sides && sides.towers() == 2) {
      twoTowers(sides, embedded);
      return;
    }
    FusionStrategy.Fused fused = strategy.fuse(tf, embedded, globalCls);
    fusedMask = tf.withName(Names.FUSED_MASK).identity(fused.mask());
    encode(fused.embeddings(), fused.mask(), fused.allowed(), fused.pooling() == null);
    if (fused.pooling() != null) {
      pooled = tf.withName(Names.POOLER_OUTPUT).identity(fused.pooling().pool(tf, this, lastHiddenState,
          fused.mask()));
    }
  }

  /**
   * Two towers: side A's inputs through the encoder, side B's through a second one of the same shape (parameters
   * under {@code tower_b/}); the last hidden state is side A's tokens then side B's, pooled per side as {@link
   * SideFusion} pools one tower.
   */
  private void twoTowers(SideFusion sides, List<FusionStrategy.Embedded> embedded) {
    List<Operand<TFloat32>> hidden = new ArrayList<>();
    List<Operand<TFloat32>> masks = new ArrayList<>();
    List<Operand<TFloat32>> pooledSides = new ArrayList<>();
    for (int side = 0; side < 2; side++) {
      List<Operand<TFloat32>> xs = new ArrayList<>();
      List<Operand<TFloat32>> ms = new ArrayList<>();
      for (int i = 0; i < embedded.size(); i++) {
        if (sides.side(i) == side) {
          xs.add(embedded.get(i).embeddings());
          ms.add(embedded.get(i).mask());
        }
      }
      Operand<TFloat32> x = xs.size() == 1 ? xs.get(0) : tf.concat(xs, tf.constant(1));
      Operand<TFloat32> m = ms.size() == 1 ? ms.get(0) : tf.concat(ms, tf.constant(1));
      Operand<TFloat32> out = encoder(side == 0 ? "" : "tower_b/", x, m, null, side == 0);
      hidden.add(out);
      masks.add(m);
      Operand<TFloat32> sum = tf.reduceSum(tf.math.mul(out, tf.expandDims(m, tf.constant(-1))), tf.constant(1));
      Operand<TFloat32> count = tf.math.maximum(tf.reduceSum(m, tf.constant(1),
          org.tensorflow.op.core.ReduceSum.keepDims(true)), tf.constant(1f));
      pooledSides.add(tf.math.div(sum, count));
    }
    fusedMask = tf.withName(Names.FUSED_MASK).concat(masks, tf.constant(1));
    lastHiddenState = tf.withName(Names.LAST_HIDDEN_STATE).concat(hidden, tf.constant(1));
    pooled = tf.withName(Names.POOLER_OUTPUT).concat(pooledSides, tf.constant(1));
  }

  private FusionStrategy.Embedded embed(InputConfig in) {
    int h = config.encoder().width();
    String p = "embed/" + in.name();
    Placeholder<TFloat32> mask = floatFeed(in, Names.Feed.MASK, -1, -1);
    Operand<TFloat32> x;
    if (in.kind() == TokenKind.DISCRETE) {
      Placeholder<TInt32> ids = intFeed(in, Names.Feed.IDS, -1, -1);
      Variable<TFloat32> table = param(p + "/tokens", false, in.vocabularySize(), h);
      x = tf.gather(table, ids, tf.constant(0));
      // A table gathered twice (not built today) has no single lookup: its updates stay dense.
      if (!gatheredTwice.contains(p + "/tokens") && lookups.putIfAbsent(p + "/tokens", new Lookup(x, ids)) != null) {
        lookups.remove(p + "/tokens");
        gatheredTwice.add(p + "/tokens");
      }
      if (in.scaled()) {
        Placeholder<TFloat32> scales = floatFeed(in, Names.Feed.SCALES, -1, -1);
        x = tf.math.mul(x, tf.expandDims(scales, tf.constant(-1)));
      }
    } else {
      Placeholder<TFloat32> features = floatFeed(in, Names.Feed.FEATURES, -1, -1, in.featureWidth());
      Operand<TFloat32> flat = tf.reshape(features, tf.constant(new int[] {-1, in.featureWidth()}));
      Operand<TFloat32> projected = sequenceParts > 1
          ? inParts(flat, rows -> dense(p + "/projection", rows, in.featureWidth(), h))
          : dense(p + "/projection", flat, in.featureWidth(), h);
      x = tf.reshape(projected, tf.concat(List.of(tf.shape(mask), tf.constant(new int[] {h})), tf.constant(0)));
    }
    if (in.maxPositions() > 0) {
      Variable<TFloat32> table = param(p + "/positions", false, in.maxPositions(), h);
      if (in.layout() == PositionLayout.GRID) {
        Placeholder<TInt32> index = intFeed(in, Names.Feed.POS_INDEX, -1, -1, 4);
        Placeholder<TFloat32> weight = floatFeed(in, Names.Feed.POS_WEIGHT, -1, -1, 4);
        Operand<TFloat32> mixed;
        if (inference) {
          // One sparse-dense product [B*T, positions] x table, 4 entries a row: no [B, T, 4, H] tensor of gathered
          // rows to weight and sum (the gather and the sum took 9 of 230 ms of a batch of 16 mm-small examples,
          // the product 0.4). Its gradient is not one TF Java builds, hence for inference only.
          Operand<TInt32> flat = tf.reshape(index, tf.constant(new int[] {-1}));
          Operand<TInt32> nnz = tf.size(flat);
          Operand<TInt32> rowOf = tf.math.floorDiv(tf.range(tf.constant(0), nnz, tf.constant(1)), tf.constant(4));
          Operand<TInt32> indices = tf.stack(List.of(rowOf, flat), org.tensorflow.op.core.Stack.axis(1L));
          Operand<org.tensorflow.types.TInt64> shape = tf.stack(List.of(
              tf.dtypes.cast(tf.math.floorDiv(nnz, tf.constant(4)), org.tensorflow.types.TInt64.class),
              tf.constant((long) in.maxPositions())));
          Operand<TFloat32> flatMixed = tf.sparse.sparseTensorDenseMatMul(indices,
              tf.reshape(weight, tf.constant(new int[] {-1})), shape, table);
          mixed = tf.reshape(flatMixed, tf.shape(x));
        } else {
          Operand<TFloat32> rows = tf.gather(table, index, tf.constant(0));
          mixed = tf.reduceSum(tf.math.mul(rows, tf.expandDims(weight, tf.constant(-1))), tf.constant(2));
        }
        x = tf.math.add(x, mixed);
      } else {
        Placeholder<TInt32> positions = intFeed(in, Names.Feed.POSITIONS, -1, -1);
        x = tf.math.add(x, tf.gather(table, positions, tf.constant(0)));
      }
    }
    if (in.missingToken()) {
      // 1 at the slot of a missing input's one token: that slot holds the learned [MISSING] vector instead.
      Placeholder<TFloat32> missing = floatFeed(in, Names.Feed.MISSING, -1, -1);
      Variable<TFloat32> vector = param(p + "/missing", false, h);
      Operand<TFloat32> ind = tf.expandDims(missing, tf.constant(-1));
      x = tf.math.add(tf.math.mul(x, tf.math.sub(tf.constant(1f), ind)), tf.math.mul(ind, vector));
    }
    if (in.segments() > 0) {
      Placeholder<TInt32> segments = intFeed(in, Names.Feed.SEGMENTS, -1, -1);
      Variable<TFloat32> table = param(p + "/segments", false, in.segments(), h);
      x = tf.math.add(x, tf.gather(table, segments, tf.constant(0)));
    }
    Operand<TFloat32> m = mask;
    if (in.cls()) {
      Variable<TFloat32> cls = param(p + "/cls", false, h);
      Variable<TFloat32> clsPosition = param(p + "/cls_position", false, h);
      Operand<TFloat32> ones = tf.onesLike(tf.slice(mask, tf.constant(new int[] {0, 0}), tf.constant(new int[] {-1, 1})));
      Operand<TFloat32> clsToken =
          tf.math.mul(tf.expandDims(ones, tf.constant(-1)), tf.math.add(cls, clsPosition));
      x = tf.concat(List.of(clsToken, x), tf.constant(1));
      m = tf.concat(List.of(ones, mask), tf.constant(1));
    }
    if (in.embeddingNorm()) {
      x = layerNorm(p + "/norm", x);
    }
    x = dropout(x, config.encoder().dropout());
    return new FusionStrategy.Embedded(in.name(), x, m);
  }

  private void encode(Operand<TFloat32> x3, Operand<TFloat32> mask, Operand<TFloat32> allowed,
      boolean defaultPooler) {
    lastHiddenState = tf.withName(Names.LAST_HIDDEN_STATE).identity(encoder("", x3, mask, allowed, true));
    if (config.encoder().pooler() && defaultPooler) {
      int h = config.encoder().width();
      Operand<TFloat32> first = tf.reshape(
          tf.slice(lastHiddenState, tf.constant(new int[] {0, 0, 0}), tf.constant(new int[] {-1, 1, -1})),
          tf.constant(new int[] {-1, h}));
      pooled = tf.withName(Names.POOLER_OUTPUT).math.tanh(dense("pooler", first, h, h));
    }
  }

  /**
   * {@code f} of {@code rows} [N, ...] in {@link #sequenceParts} parts of rows, side by side, concatenated back: for a
   * row-wise op that would otherwise run alone while the other parts' threads wait (an image's patch projection, the
   * largest product before the encoder).
   */
  private Operand<TFloat32> inParts(Operand<TFloat32> rows,
      java.util.function.Function<Operand<TFloat32>, Operand<TFloat32>> f) {
    Operand<TInt32> n = tf.gather(tf.shape(rows), tf.constant(0), tf.constant(0));
    List<Operand<TFloat32>> out = new ArrayList<>();
    boolean reuse = reuseParameters;
    reuseParameters = true;
    try {
      for (org.tensorflow.Output<TFloat32> part : tf.splitV(rows, partSizes(n), tf.constant(0), (long) sequenceParts)
          .output()) {
        out.add(f.apply(part));
      }
    } finally {
      reuseParameters = reuse;
    }
    return tf.concat(out, tf.constant(0));
  }

  /** The sizes of {@link #sequenceParts} parts of {@code n} things: part p holds ceil((n - p) / parts). */
  private Operand<TInt32> partSizes(Operand<TInt32> n) {
    List<Operand<TInt32>> sizes = new ArrayList<>();
    for (int p = 0; p < sequenceParts; p++) {
      sizes.add(tf.math.floorDiv(tf.math.add(n, tf.constant(sequenceParts - 1 - p)), tf.constant(sequenceParts)));
    }
    return tf.stack(sizes);
  }

  /** The padding bias [B, 1, 1, L] with the forbidden pairs of {@code block} [rows, L]: [B, 1, rows, L]. */
  private Operand<TFloat32> withBlock(Operand<TFloat32> bias, Operand<TFloat32> block) {
    return tf.math.minimum(bias, tf.expandDims(tf.expandDims(block, tf.constant(0)), tf.constant(0)));
  }

  /**
   * The encoder's layers over {@code x3} [B, L, H]: parameters under {@code prefix + "encoder/"}; {@code named}:
   * the encoder whose attention is the {@link Names#ATTENTION} output. Returns the last hidden state [B, L, H].
   */
  private Operand<TFloat32> encoder(String prefix, Operand<TFloat32> x3, Operand<TFloat32> mask,
      Operand<TFloat32> allowed, boolean named) {
    EncoderConfig e = config.encoder();
    int h = e.width();
    int heads = e.heads();
    int d = h / heads;
    // [B, L] -> additive bias [B, 1, 1, L]: 0 for real tokens, the most negative float for padding (as HF does).
    Operand<TFloat32> bias = tf.math.mul(tf.math.sub(tf.constant(1f), mask), tf.constant(-Float.MAX_VALUE));
    bias = tf.expandDims(tf.expandDims(bias, tf.constant(1)), tf.constant(1));
    // [L, L]: a forbidden pair gets the most negative float too (the minimum with the padding bias, not the sum,
    // which would overflow to -inf and turn a row with nothing to see into NaN).
    Operand<TFloat32> block = allowed == null ? null
        : tf.math.mul(tf.math.sub(tf.constant(1f), allowed), tf.constant(-Float.MAX_VALUE));
    // The tokens in parts along L (sequenceParts > 1): each part a row-local chain of ops, attention the only place
    // where a part reads the others (every token's keys and values). One part: the whole sequence, no split ops.
    int parts = sequenceParts;
    List<Operand<TFloat32>> xs = new ArrayList<>();
    List<Operand<TInt32>> shapes = new ArrayList<>();
    List<Operand<TFloat32>> biases = new ArrayList<>();
    if (parts == 1) {
      xs.add(x3);
      shapes.add(tf.shape(mask));
      biases.add(block == null ? bias : withBlock(bias, block));
    } else {
      // Part p has ceil((L - p) / parts) tokens: sizes differ by at most one, and a part may be empty.
      Operand<TInt32> sizeSplits = partSizes(tf.gather(tf.shape(mask), tf.constant(1), tf.constant(0)));
      for (org.tensorflow.Output<TFloat32> part : tf.splitV(x3, sizeSplits, tf.constant(1), (long) parts).output()) {
        xs.add(part);
        shapes.add(tf.slice(tf.shape(part), tf.constant(new int[] {0}), tf.constant(new int[] {2})));
      }
      // Each part's queries see their own rows of the allowed pairs. (The rows split from [L, L] before the minimum:
      // split from the [B, 1, L, L] bias, a later part's rows came out of oneDNN's fused attention wrong.)
      List<org.tensorflow.Output<TFloat32>> blocks =
          block == null ? null : tf.splitV(block, sizeSplits, tf.constant(0), (long) parts).output();
      for (int p = 0; p < parts; p++) {
        biases.add(block == null ? bias : withBlock(bias, blocks.get(p)));
      }
    }
    List<Operand<TInt32>> qkvShapes = new ArrayList<>();
    for (int p = 0; p < parts; p++) {
      qkvShapes.add(tf.concat(List.of(shapes.get(p), tf.constant(new int[] {3, heads, d})), tf.constant(0)));
      xs.set(p, tf.reshape(xs.get(p), tf.constant(new int[] {-1, h})));
    }
    Operand<TFloat32> scale = tf.constant((float) (1 / Math.sqrt(d)));
    reuseParameters = parts > 1;
    try {
      for (int l = 0; l < e.layers(); l++) {
        String p = prefix + "encoder/layer_" + l;
        List<Operand<TFloat32>> qs = new ArrayList<>();
        List<Operand<TFloat32>> ks = new ArrayList<>();
        List<Operand<TFloat32>> vs = new ArrayList<>();
        for (int part = 0; part < parts; part++) {
          Operand<TFloat32> x = xs.get(part);
          Operand<TFloat32> attnIn = e.preNorm() ? layerNorm(p + "/norm1", x) : x;
          Operand<TFloat32> qkv = tf.reshape(dense(p + "/attention/qkv", attnIn, h, 3 * h), qkvShapes.get(part));
          Operand<TFloat32> split = tf.linalg.transpose(qkv, tf.constant(new int[] {2, 0, 3, 1, 4}));
          // Unpack, not three strided slices: its gradient is one Pack instead of three zero-filled StridedSliceGrads.
          List<org.tensorflow.Output<TFloat32>> qkvParts =
              tf.unstack(split, 3L, org.tensorflow.op.core.Unstack.axis(0L)).output();
          qs.add(qkvParts.get(0));
          ks.add(qkvParts.get(1));
          vs.add(qkvParts.get(2));
        }
        Operand<TFloat32> k = parts == 1 ? ks.get(0) : tf.concat(ks, tf.constant(2));
        Operand<TFloat32> v = parts == 1 ? vs.get(0) : tf.concat(vs, tf.constant(2));
        List<Operand<TFloat32>> probsByPart = new ArrayList<>();
        for (int part = 0; part < parts; part++) {
          Operand<TFloat32> scores = scores(qs.get(part), k, scale, biases.get(part));
          Operand<TFloat32> probs = named && parts == 1 ? tf.withName(Names.attentionProbs(l)).nn.softmax(scores)
              : tf.nn.softmax(scores);
          probsByPart.add(probs);
          probs = dropout(probs, e.attentionDropout());
          Operand<TFloat32> context = fusedAttention() ? batchMatMulV2(probs, v, false) : batchMatMul(probs, v, false);
          Operand<TFloat32> merged = tf.reshape(tf.linalg.transpose(context, tf.constant(new int[] {0, 2, 1, 3})),
              tf.constant(new int[] {-1, h}));
          Operand<TFloat32> attnOut = dropout(dense(p + "/attention/output", merged, h, h), e.dropout());
          Operand<TFloat32> x = xs.get(part);
          x = e.preNorm() ? tf.math.add(x, attnOut) : layerNorm(p + "/norm1", tf.math.add(x, attnOut));
          Operand<TFloat32> ffnIn = e.preNorm() ? layerNorm(p + "/norm2", x) : x;
          Operand<TFloat32> hidden = activation(dense(p + "/ffn/in", ffnIn, h, e.ffnWidth()));
          Operand<TFloat32> ffnOut = dropout(dense(p + "/ffn/out", hidden, e.ffnWidth(), h), e.dropout());
          xs.set(part, e.preNorm() ? tf.math.add(x, ffnOut) : layerNorm(p + "/norm2", tf.math.add(x, ffnOut)));
        }
        if (named) {
          // Only computed when fetched: a session runs what its fetches need.
          Operand<TFloat32> probs = parts == 1 ? probsByPart.get(0)
              : tf.withName(Names.attentionProbs(l)).concat(probsByPart, tf.constant(2));
          if (l == e.layers() - 1) {
            attention = tf.withName(Names.ATTENTION).identity(probs);
          }
        }
      }
      List<Operand<TFloat32>> outs = new ArrayList<>();
      for (int part = 0; part < parts; part++) {
        Operand<TFloat32> x = e.finalNorm() ? layerNorm(prefix + "encoder/final_norm", xs.get(part)) : xs.get(part);
        Operand<TInt32> shape3 = tf.concat(List.of(shapes.get(part), tf.constant(new int[] {h})), tf.constant(0));
        outs.add(tf.reshape(x, shape3));
      }
      return parts == 1 ? outs.get(0) : tf.concat(outs, tf.constant(1));
    } finally {
      reuseParameters = false;
    }
  }


}
