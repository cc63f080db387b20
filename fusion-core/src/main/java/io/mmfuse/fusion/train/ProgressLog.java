package io.mmfuse.fusion.train;

import java.io.PrintStream;
import java.util.Locale;

/** A progress bar on a terminal, one line per epoch everywhere. */
public final class ProgressLog implements TrainingListener {
  private final java.io.PrintWriter out;
  private final boolean terminal = System.console() != null;
  private final long start = System.nanoTime();
  private Plan plan;
  private int done;
  private long examples;

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
    done = (p.firstEpoch() - 1) * p.stepsPerEpoch();
  }

  @Override
  public void onStep(int epoch, int step, float loss, int batch) {
    done++;
    examples += batch;
    int total = plan.totalSteps();
    if (terminal && (done % 5 == 0 || done == total)) {
      double secs = (System.nanoTime() - start) / 1e9;
      int width = 30;
      int filled = (int) ((long) width * done / total);
      out.printf(Locale.ROOT, "\r[%s%s] step %d/%d loss %.4f %.0f ex/s  ", "=".repeat(filled),
          " ".repeat(width - filled), done, total, loss, examples / secs);
      out.flush();
    }
  }

  @Override
  public Decision onEpoch(Epoch e, TrainingModel model) {
    StringBuilder sb = new StringBuilder(terminal ? "\r" : "");
    sb.append(String.format(Locale.ROOT, "epoch %d/%d train_loss %.4f", e.epoch(), plan.epochs(), e.trainLoss()));
    e.metrics().forEach((k, v) -> sb.append(String.format(Locale.ROOT, " val_%s %.4f", k, v)));
    sb.append(String.format(Locale.ROOT, " %.1fs", (System.nanoTime() - start) / 1e9));
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
