package io.mmfuse.fusion.train;

/**
 * Stops a run when the validation score has not improved for {@code patience} epochs, or once it has been at
 * {@code target} or above for {@code hold} epochs in a row (target NaN: no target).
 */
public final class EarlyStopping implements TrainingListener {
  private final int patience;
  private final double target;
  private final int hold;
  private int held;
  private String reason;

  public EarlyStopping(int patience, double target, int hold) {
    this.patience = patience;
    this.target = target;
    this.hold = Math.max(1, hold);
  }

  @Override
  public Decision onEpoch(Epoch e, TrainingModel model) {
    held = !Double.isNaN(target) && e.score() >= target ? held + 1 : 0;
    if (held >= hold) {
      reason = "early stopping: the validation score has been at its target " + target + " for " + hold
          + " epoch(s), since epoch " + (e.epoch() - hold + 1);
      return Decision.STOP;
    }
    if (e.epoch() - e.bestEpoch() >= patience) {
      reason = "early stopping: no better validation score for " + patience + " epochs";
      return Decision.STOP;
    }
    return Decision.CONTINUE;
  }

  /** Why it stopped the run, if it did. */
  public java.util.Optional<String> reason() {
    return java.util.Optional.ofNullable(reason);
  }
}
