package io.mmfuse.fusion.train;

import com.google.gson.JsonObject;
import io.mmfuse.api.InvalidConfigurationException;
import java.util.ArrayList;
import java.util.List;

/**
 * How a model is trained: the schedule, the optimizer's settings, the split and when to stop. Made by
 * {@link #builder()}; every setting is optional and {@code build()} reports every bad one at once.
 *
 * <pre>{@code
 * TrainingConfig config = TrainingConfig.builder().optEpochs(20).optLearningRate(2e-3f).build();
 * }</pre>
 */
public final class TrainingConfig {
  public static final int DEFAULT_EPOCHS = 30;
  public static final int DEFAULT_BATCH_SIZE = 32;
  public static final float DEFAULT_LEARNING_RATE = 1e-3f;
  public static final float DEFAULT_WARMUP_FRACTION = 0.1f;
  public static final float DEFAULT_WEIGHT_DECAY = 0.01f;
  public static final float DEFAULT_CLIP_NORM = 1.0f;
  public static final long DEFAULT_SEED = 42;
  public static final double DEFAULT_VALIDATION_FRACTION = 0.25;
  public static final int DEFAULT_PATIENCE = 6;
  /** Training rows at most the tokenizers are fitted on by default (an even sample of larger data). */
  public static final int DEFAULT_FIT_ROWS = 100_000;

  private final int epochs;
  private final int batchSize;
  private final float learningRate;
  private final float warmupFraction;
  private final boolean cosine;
  private final float weightDecay;
  private final float clipNorm;
  private final boolean lazyEmbeddings;
  private final long seed;
  private final double validationFraction;
  private final int patience;
  private final double targetScore;
  private final int targetEpochs;
  private final float modalityDropout;
  private final boolean resume;
  private final int inputThreads;
  private final int queueDepth;
  private final boolean lengthBuckets;
  private final java.nio.file.Path tokenCache;
  private final int fitRows;

  private TrainingConfig(Builder b) {
    epochs = b.epochs;
    batchSize = b.batchSize;
    learningRate = b.learningRate;
    warmupFraction = b.warmupFraction;
    cosine = b.cosine;
    weightDecay = b.weightDecay;
    clipNorm = b.clipNorm;
    lazyEmbeddings = b.lazyEmbeddings;
    seed = b.seed;
    validationFraction = b.validationFraction;
    patience = b.patience;
    targetScore = b.targetScore;
    targetEpochs = b.targetEpochs;
    modalityDropout = b.modalityDropout;
    resume = b.resume;
    inputThreads = b.inputThreads < 0 ? io.mmfuse.fusion.data.InputPipeline.defaultThreads() : b.inputThreads;
    queueDepth = b.queueDepth > 0 ? b.queueDepth : Math.max(2, 2 * inputThreads);
    lengthBuckets = b.lengthBuckets;
    tokenCache = b.tokenCache;
    fitRows = b.fitRows;
  }

  /** A builder with every default. */
  public static Builder builder() {
    return new Builder();
  }

  /** The defaults. */
  public static TrainingConfig defaults() {
    return builder().build();
  }

  /** A builder starting from this configuration. */
  public Builder toBuilder() {
    return new Builder().optEpochs(epochs).optBatchSize(batchSize).optLearningRate(learningRate)
        .optWarmupFraction(warmupFraction).optCosine(cosine).optWeightDecay(weightDecay).optClipNorm(clipNorm).optLazyEmbeddings(lazyEmbeddings)
        .optSeed(seed).optValidationFraction(validationFraction).optPatience(patience).optTargetScore(targetScore)
        .optTargetEpochs(targetEpochs)        .optModalityDropout(modalityDropout).optResume(resume)
        .optInputThreads(inputThreads).optQueueDepth(queueDepth).optLengthBuckets(lengthBuckets)
        .optTokenCache(tokenCache).optFitRows(fitRows);
  }

  /** Epochs at most. */
  public int epochs() {
    return epochs;
  }

  /** Examples per optimizer step. */
  public int batchSize() {
    return batchSize;
  }

  /** The peak learning rate. */
  public float learningRate() {
    return learningRate;
  }

  /** The share of all steps spent warming up linearly to the peak rate. */
  public float warmupFraction() {
    return warmupFraction;
  }

  /** Cosine decay after the warmup instead of linear. */
  public boolean cosine() {
    return cosine;
  }

  public float weightDecay() {
    return weightDecay;
  }

  public float clipNorm() {
    return clipNorm;
  }

  /** Row-sparse (lazy) AdamW updates of the token embedding tables ({@link AdamW#lazyEmbeddings()}). */
  public boolean lazyEmbeddings() {
    return lazyEmbeddings;
  }

  /** The optimizer these settings ask for. */
  public AdamW optimizer() {
    return AdamW.of(weightDecay, clipNorm).withLazyEmbeddings(lazyEmbeddings);
  }

  /** Seeds the split, the initialization, the shuffles and dropout. */
  public long seed() {
    return seed;
  }

  /** The share of rows held out to validate each epoch (0: none). */
  public double validationFraction() {
    return validationFraction;
  }

  /** Stop after this many epochs without a better validation score. */
  public int patience() {
    return patience;
  }

  /** Stop once the validation score reaches this (NaN: never); accuracy, mean ROC AUC or minus RMSE. */
  public double targetScore() {
    return targetScore;
  }

  /** Epochs in a row the validation score must stay at its target before the run stops (default 1). */
  public int targetEpochs() {
    return targetEpochs;
  }

  /** The probability of dropping each input of a training example (never its last one). */
  public float modalityDropout() {
    return modalityDropout;
  }

  /** Continue from the epoch checkpoint of an earlier run writing the same bundle, if there is one. */
  public boolean resume() {
    return resume;
  }

  /** Worker threads that read and tokenize rows ahead of the training step (0: the training thread does it). */
  public int inputThreads() {
    return inputThreads;
  }

  /** Batches at most read ahead and waiting (the input queue's bound). */
  public int queueDepth() {
    return queueDepth;
  }

  /** Whether batches group rows of similar length (less padding; the order within a window of batches changes). */
  public boolean lengthBuckets() {
    return lengthBuckets;
  }

  /** Where epochs after the first read their tokens from ({@link io.mmfuse.fusion.data.TokenCache}); null: none. */
  public java.nio.file.Path tokenCache() {
    return tokenCache;
  }

  /**
   * Training rows at most the tokenizers are fitted on (an even sample; default {@value #DEFAULT_FIT_ROWS}); 0: all
   * of them.
   */
  public int fitRows() {
    return fitRows;
  }

  /** The peak-rate schedule: warmup, then linear or cosine decay to zero, at {@code step} of {@code total}. */
  public float learningRate(int step, int total) {
    int warmup = Math.max(1, Math.round(total * warmupFraction));
    if (step < warmup) {
      return learningRate * (step + 1) / warmup;
    }
    double progress = Math.min(1.0, (double) (step - warmup) / Math.max(1, total - warmup));
    double factor = cosine ? 0.5 * (1 + Math.cos(Math.PI * progress)) : 1 - progress;
    return (float) (learningRate * Math.max(factor, 0.0));
  }

  /** The settings as a JSON object, as the bundle's manifest records them. */
  public JsonObject toJson() {
    JsonObject o = new JsonObject();
    o.addProperty("epochs", epochs);
    o.addProperty("batch_size", batchSize);
    o.addProperty("learning_rate", learningRate);
    o.addProperty("warmup_fraction", warmupFraction);
    o.addProperty("schedule", cosine ? "cosine" : "linear");
    o.addProperty("weight_decay", weightDecay);
    o.addProperty("clip_norm", clipNorm);
    o.addProperty("lazy_embeddings", lazyEmbeddings);
    o.addProperty("seed", seed);
    o.addProperty("validation_fraction", validationFraction);
    o.addProperty("patience", patience);
    if (!Double.isNaN(targetScore)) {
      o.addProperty("target_score", targetScore);
      o.addProperty("target_epochs", targetEpochs);
    }
    o.addProperty("modality_dropout", modalityDropout);
    o.addProperty("length_buckets", lengthBuckets);
    o.addProperty("fit_rows", fitRows);
    return o;
  }

  @Override
  public String toString() {
    return toJson().toString();
  }

  /** Builds a {@link TrainingConfig}; every setting is optional. */
  public static final class Builder {
    private int epochs = DEFAULT_EPOCHS;
    private int batchSize = DEFAULT_BATCH_SIZE;
    private float learningRate = DEFAULT_LEARNING_RATE;
    private float warmupFraction = DEFAULT_WARMUP_FRACTION;
    private boolean cosine;
    private float weightDecay = DEFAULT_WEIGHT_DECAY;
    private float clipNorm = DEFAULT_CLIP_NORM;
    private boolean lazyEmbeddings;
    private long seed = DEFAULT_SEED;
    private double validationFraction = DEFAULT_VALIDATION_FRACTION;
    private int patience = DEFAULT_PATIENCE;
    private double targetScore = Double.NaN;
    private int targetEpochs = 1;
    private float modalityDropout;
    private boolean resume;
    private int inputThreads = -1;
    private int queueDepth;
    private boolean lengthBuckets;
    private java.nio.file.Path tokenCache;
    private int fitRows = DEFAULT_FIT_ROWS;

    private Builder() {}

    public Builder optEpochs(int v) {
      epochs = v;
      return this;
    }

    public Builder optBatchSize(int v) {
      batchSize = v;
      return this;
    }

    public Builder optLearningRate(float v) {
      learningRate = v;
      return this;
    }

    public Builder optWarmupFraction(float v) {
      warmupFraction = v;
      return this;
    }

    public Builder optCosine(boolean v) {
      cosine = v;
      return this;
    }

    public Builder optWeightDecay(float v) {
      weightDecay = v;
      return this;
    }

    /** Lazy (row-sparse) AdamW updates of the token embedding tables (off by default). */
    public Builder optLazyEmbeddings(boolean v) {
      lazyEmbeddings = v;
      return this;
    }

    public Builder optClipNorm(float v) {
      clipNorm = v;
      return this;
    }

    public Builder optSeed(long v) {
      seed = v;
      return this;
    }

    public Builder optValidationFraction(double v) {
      validationFraction = v;
      return this;
    }

    public Builder optPatience(int v) {
      patience = v;
      return this;
    }

    public Builder optTargetScore(double v) {
      targetScore = v;
      return this;
    }

    public Builder optTargetEpochs(int v) {
      targetEpochs = v;
      return this;
    }

    public Builder optModalityDropout(float v) {
      modalityDropout = v;
      return this;
    }

    public Builder optResume(boolean v) {
      resume = v;
      return this;
    }

    /** Input worker threads; 0 runs the input on the training thread; -1 (the default): one per core. */
    public Builder optInputThreads(int v) {
      inputThreads = v;
      return this;
    }

    /** Batches read ahead at most; 0 (the default): twice the worker threads, at least 2. */
    public Builder optQueueDepth(int v) {
      queueDepth = v;
      return this;
    }

    public Builder optLengthBuckets(boolean v) {
      lengthBuckets = v;
      return this;
    }

    public Builder optTokenCache(java.nio.file.Path v) {
      tokenCache = v;
      return this;
    }

    public Builder optFitRows(int v) {
      fitRows = v;
      return this;
    }

    /** Checks every setting and reports all bad ones at once. */
    public TrainingConfig build() {
      List<String> problems = new ArrayList<>();
      if (epochs < 1) {
        problems.add("epochs must be >= 1, found " + epochs);
      }
      if (batchSize < 1) {
        problems.add("batch size must be >= 1, found " + batchSize);
      }
      if (!(learningRate > 0) || Float.isInfinite(learningRate)) {
        problems.add("learning rate must be > 0, found " + learningRate);
      }
      if (!(warmupFraction >= 0 && warmupFraction <= 1)) {
        problems.add("warmup fraction must be in [0, 1], found " + warmupFraction);
      }
      if (!(weightDecay >= 0)) {
        problems.add("weight decay must be >= 0, found " + weightDecay);
      }
      if (!(clipNorm > 0)) {
        problems.add("clip norm must be > 0, found " + clipNorm);
      }
      if (!(validationFraction >= 0 && validationFraction < 1)) {
        problems.add("validation fraction must be in [0, 1), found " + validationFraction);
      }
      if (patience < 1) {
        problems.add("patience must be >= 1, found " + patience);
      }
      if (targetEpochs < 1) {
        problems.add("target epochs must be >= 1, found " + targetEpochs);
      }
      if (!(modalityDropout >= 0 && modalityDropout < 1)) {
        problems.add("modality dropout must be in [0, 1), found " + modalityDropout);
      }
      if (inputThreads < -1) {
        problems.add("input threads must be >= 0, found " + inputThreads);
      }
      if (queueDepth < 0) {
        problems.add("queue depth must be >= 1, found " + queueDepth);
      }
      if (fitRows < 0) {
        problems.add("fit rows must be >= 0 (0: all), found " + fitRows);
      }
      if (!problems.isEmpty()) {
        throw new InvalidConfigurationException(
            "training configuration has " + problems.size() + " problem(s): " + String.join("; ", problems));
      }
      return new TrainingConfig(this);
    }
  }
}
