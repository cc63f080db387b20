package io.mmfuse.fusion.graph;

/**
 * Every name by which code outside the graph builder reaches into a fused model's graph: the feeds of each input, the
 * switches, the outputs, and the keys of the SavedModel's serving signature. Nothing else spells these names.
 *
 * <p>Graph op names use '.' where parameter and feed paths use '/' (TensorFlow allows no '/' in a name it does not
 * scope); signature keys use '_' ({@code words_ids}).
 */
public final class Names {
  private Names() {}

  /** The tensors fed for one input; which ones an input has depends on its configuration. */
  public enum Feed {
    /** Discrete ids, int32 [B,T]. */
    IDS("ids"),
    /** Per-token scales of discrete ids, float [B,T]. */
    SCALES("scales"),
    /** Continuous feature vectors, float [B,T,F]. */
    FEATURES("features"),
    /** 1-D positions, int32 [B,T]. */
    POSITIONS("positions"),
    /** Grid positions: four table rows per token, int32 [B,T,4]. */
    POS_INDEX("pos_index"),
    /** Grid positions: the bilinear weights of those rows, float [B,T,4]. */
    POS_WEIGHT("pos_weight"),
    /** Segment ids, int32 [B,T]. */
    SEGMENTS("segments"),
    /** 1 for a token, 0 for padding, float [B,T]. */
    MASK("mask"),
    /** 1 at the one slot of a missing input, float [B,T]. */
    MISSING("missing");

    private final String suffix;

    Feed(String suffix) {
      this.suffix = suffix;
    }

    /** The feed's path under its input ({@code ids}, {@code pos_index}, ...). */
    public String suffix() {
      return suffix;
    }
  }

  /** The training switch: a float fed 1 in training (dropout on), 0 by default. */
  public static final String TRAINING = "training";
  /** The dropout seed: two int32, fed per step so that dropout masks do not depend on session state. */
  public static final String DROPOUT_SEED = "dropout_seed";
  /** The fused sequence [B,L,H]. */
  public static final String LAST_HIDDEN_STATE = "last_hidden_state";
  /** The pooled first token [B,H], where the encoder has a pooler. */
  public static final String POOLER_OUTPUT = "pooler_output";
  /** The fused mask [B,L]. */
  public static final String FUSED_MASK = "fused_mask";

  /** The head's output: probabilities (classification, multi-label) or values (regression), [B,K]. */
  public static final String PREDICTIONS = "predictions";
  /** The L2-normalized representation the head reads, [B,H]. */
  public static final String EMBEDDINGS = "embeddings";
  /** A contrastive model's second side's L2-normalized embeddings ({@link #EMBEDDINGS} is its first side's). */
  public static final String EMBEDDINGS_B = "embeddings_b";
  /** The last encoder layer's attention probabilities, [B,heads,L,L]. */
  public static final String ATTENTION = "attention";
  /**
   * A constant int32 in a graph whose encoder runs its tokens in parts side by side ({@code FusionGraph}'s inference
   * graph on the CPU): how many. Absent: one part.
   */
  public static final String SEQUENCE_PARTS = "sequence_parts";

  /** Training feeds and ops; never part of the serving signature. */
  public static final String TRAIN_PREFIX = "train.";
  public static final String LABELS = TRAIN_PREFIX + "labels";
  public static final String LEARNING_RATE = TRAIN_PREFIX + "lr";
  public static final String LOSS = TRAIN_PREFIX + "loss";
  public static final String TRAIN_STEP = TRAIN_PREFIX + "step_op";
  public static final String RESET_OPTIMIZER = TRAIN_PREFIX + "reset_slots";

  /** The graph op name of a path: '/' becomes '.'. */
  public static String op(String path) {
    return path.replace('/', '.');
  }

  /** The graph op name of one feed of an input ({@code words.ids}). */
  public static String feed(String input, Feed feed) {
    return input + "." + feed.suffix();
  }

  /** The serving signature's key for one feed of an input ({@code words_ids}). */
  public static String signatureKey(String input, Feed feed) {
    return input + "_" + feed.suffix();
  }

  /** The op of layer {@code layer}'s attention probabilities. */
  public static String attentionProbs(int layer) {
    return op("encoder/layer_" + layer + "/attention/probs");
  }
}
