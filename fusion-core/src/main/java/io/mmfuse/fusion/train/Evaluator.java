package io.mmfuse.fusion.train;

import io.mmfuse.api.proto.Task;
import java.util.Map;

/**
 * The metrics of a task from predictions and targets, and the one score that picks the best epoch (higher is
 * better): accuracy for classification (ties broken by the lower log loss), mean ROC AUC for multi-label
 * (threshold-free, so it moves before any probability crosses 0.5), minus RMSE for regression.
 */
public final class Evaluator {
  private Evaluator() {}

  /** Metrics of predictions [N, outputs] against targets [N, outputs] (as {@link LabelEncoder} writes them). */
  public static Map<String, Double> metrics(Task task, float[] predictions, float[] targets, int outputs) {
    return switch (task) {
      case REGRESSION -> Metrics.regression(predictions, targets);
      case MULTI_LABEL -> Metrics.multiLabel(predictions, targets, outputs);
      default -> {
        int[] cls = new int[targets.length / outputs];
        for (int i = 0; i < cls.length; i++) {
          int best = 0;
          for (int c = 1; c < outputs; c++) {
            if (targets[i * outputs + c] > targets[i * outputs + best]) {
              best = c;
            }
          }
          cls[i] = best;
        }
        yield Metrics.classification(predictions, cls, outputs);
      }
    };
  }

  /**
   * Metrics of a bundle's predictions (one array per row) against label cells, as {@code mmfuse eval} reports them:
   * labels are encoded strictly (a class the model does not know is an error naming the row of {@code source}).
   */
  public static Map<String, Double> evaluate(LabelEncoder labels, java.util.List<float[]> predictions,
      java.util.List<String> truth, String source) {
    int k = labels.outputs();
    float[] flat = new float[predictions.size() * k];
    for (int i = 0; i < predictions.size(); i++) {
      System.arraycopy(predictions.get(i), 0, flat, i * k, k);
    }
    return metrics(labels.task(), flat, labels.encodeAll(truth, true, source), k);
  }

  /** The metric that {@link #score} reads. */
  public static String scoreMetric(Task task) {
    return switch (task) {
      case REGRESSION -> "rmse";
      case CONTRASTIVE -> "mean_recall";
      case MULTI_LABEL -> "roc_auc";
      default -> "accuracy";
    };
  }

  /**
   * What decides between epochs of equal score, lower is better: the validation log loss for classification (of two
   * epochs that classify every row alike, the more confident one); NaN where there is none.
   */
  public static double tieBreak(Task task, Map<String, Double> metrics) {
    return task == Task.CLASSIFICATION || task == Task.TASK_UNSPECIFIED
        ? metrics.getOrDefault("log_loss", Double.NaN) : Double.NaN;
  }

  /** The selection score of a task's metrics: higher is better. */
  public static double score(Task task, Map<String, Double> metrics) {
    double v = metrics.get(scoreMetric(task));
    if (Double.isNaN(v)) {
      return Double.NEGATIVE_INFINITY;
    }
    return task == Task.REGRESSION ? -v : v;
  }
}
