package io.mmfuse.fusion.train;

/**
 * Stops a run when the validation score has not improved for {@code patience} epochs, or once it reaches
 * {@code target} (NaN: no target).
 */
public final class EarlyStopping implements TrainingListener {
  private final int patience;
  private final double target;
  private String reason;

  public EarlyStopping(int patience, double target) {
    this.patience = patience;
    this.target = target;
  }

  @Override
  public Decision onEpoch(Epoch e, TrainingModel model) {
    if (!Double.isNaN(target) && e.bestScore() >= target) {
      reason = "early stopping: the validation score reached its target " + target + " at epoch " + e.bestEpoch();
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
