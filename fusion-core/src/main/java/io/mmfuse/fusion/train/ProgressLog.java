package io.mmfuse.fusion.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A progress bar on a terminal (with examples per second and how full the input queue is: full, the model is the
 * bottleneck; empty, the input), one line per epoch everywhere (with the share of the epoch spent waiting for
 * input, and of token slots that were padding).
 */
public final class ProgressLog implements TrainingListener {
  private final java.io.PrintWriter out;
  private final boolean terminal = System.console() != null;
  private final long start = System.nanoTime();
  private Plan plan;
  private int done;
  private long examples;
  private InputStatus input;
  private long epochStart = System.nanoTime();
  private long epochExamples;

  public ProgressLog(PrintStream out) {
    this(new java.io.PrintWriter(out, true));
  }

  /** A log written to {@code out} (flushed after every line). */
  public ProgressLog(java.io.PrintWriter out) {
    this.out = out;
  }

  @Override
  public void onStart(Plan p) {
    plan = p;
    epochStart = System.nanoTime();
    done = (p.firstEpoch() - 1) * p.stepsPerEpoch();
  }

  @Override
  public void onInput(InputStatus status) {
    input = status;
  }

  @Override
  public void onStep(int epoch, int step, float loss, int batch) {
    done++;
    examples += batch;
    epochExamples += batch;
    int total = plan.totalSteps();
    if (terminal && (done % 5 == 0 || done == total)) {
      double secs = (System.nanoTime() - start) / 1e9;
      int width = 30;
      int filled = (int) ((long) width * done / total);
      out.printf(Locale.ROOT, "\r[%s%s] step %d/%d loss %.4f %.0f ex/s%s  ", "=".repeat(filled),
          " ".repeat(width - filled), done, total, loss, examples / secs, input == null ? ""
              : String.format(Locale.ROOT, " input queue %d/%d", input.ready(), input.depth()));
      out.flush();
    }
  }

  @Override
  public Decision onEpoch(Epoch e, TrainingModel model) {
    StringBuilder sb = new StringBuilder(terminal ? "\r" : "");
    sb.append(String.format(Locale.ROOT, "epoch %d/%d train_loss %.4f", e.epoch(), plan.epochs(), e.trainLoss()));
    e.metrics().forEach((k, v) -> sb.append(String.format(Locale.ROOT, " val_%s %.4f", k, v)));
    double epochSecs = (System.nanoTime() - epochStart) / 1e9;
    sb.append(String.format(Locale.ROOT, " %.0f ex/s", epochExamples / epochSecs));
    if (input != null) {
      sb.append(String.format(Locale.ROOT, " input-wait %.0f%% padding %.0f%%", 100 * input.waitSeconds()
          / epochSecs, 100 * input.padding()));
    }
    sb.append(String.format(Locale.ROOT, " %.1fs", (System.nanoTime() - start) / 1e9));
    epochStart = System.nanoTime();
    epochExamples = 0;
    out.println(sb + (terminal ? " ".repeat(10) : ""));
    out.flush();
    return Decision.CONTINUE;
  }

  @Override
  public void onNote(String note) {
    out.println(note);
    out.flush();
  }
}
