package io.mmfuse.fusion.train;

import java.util.Map;

/**
 * Watches a training run and may end it after any epoch. Progress output, epoch checkpoints and early stopping are
 * listeners; so is anything an embedder adds ({@link Trainer#addListener}).
 */
public interface TrainingListener {

  /** What the run does after an epoch. */
  enum Decision {
    /** Go on to the next epoch. */
    CONTINUE,
    /** Stop and write the bundle from the best epoch. */
    STOP,
    /** Stop without writing a bundle, keeping the epoch checkpoint: a later run with {@code resume} goes on. */
    PAUSE
  }

  /**
   * The shape of the run, before its first step.
   *
   * @param firstEpoch 1, or the epoch after the checkpoint a resumed run starts from
   * @param epochs epochs at most
   * @param stepsPerEpoch optimizer steps per epoch
   * @param trainingExamples rows trained on
   * @param validationExamples rows held out
   */
  record Plan(int firstEpoch, int epochs, int stepsPerEpoch, int trainingExamples, int validationExamples) {
    public int totalSteps() {
      return epochs * stepsPerEpoch;
    }
  }

  /**
   * One finished epoch.
   *
   * @param epoch its number, from 1
   * @param step optimizer steps taken so far
   * @param trainLoss mean training loss over the epoch
   * @param metrics validation metrics (empty without validation rows)
   * @param score the selection score (higher is better; minus the training loss without validation rows)
   * @param bestEpoch the best epoch so far (this one when it improved)
   * @param bestScore its score
   * @param bestTieBreak what chose it among epochs of its score, lower is better (NaN: nothing)
   */
  record Epoch(int epoch, int step, double trainLoss, Map<String, Double> metrics, double score, int bestEpoch,
      double bestScore, double bestTieBreak) {
    /** Whether this epoch is the best so far. */
    public boolean improved() {
      return bestEpoch == epoch;
    }
  }

  /** Before the first step. */
  default void onStart(Plan plan) {}

  /** After each optimizer step: its loss, the examples in its batch. */
  default void onStep(int epoch, int step, float loss, int examples) {}

  /** After each epoch; the run stops when any listener says so. */
  default Decision onEpoch(Epoch epoch, TrainingModel model) {
    return Decision.CONTINUE;
  }

  /** A line worth telling (a resumed run, why it stopped). */
  default void onNote(String note) {}

  /**
   * The input pipeline's state at one training step.
   *
   * @param ready batches read ahead and waiting (a full queue: the model step is the bottleneck; an empty one: the
   *     input)
   * @param depth the queue's bound
   * @param threads input worker threads
   * @param waitSeconds time the training step has waited for input in this epoch
   * @param padding the share of token slots that were padding in this epoch's batches so far
   */
  record InputStatus(int ready, int depth, int threads, double waitSeconds, double padding) {}

  /** Called before each {@link #onStep} with the input pipeline's state. */
  default void onInput(InputStatus status) {}
}
