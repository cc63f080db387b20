package io.mmfuse.fusion.train;

import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;

/** Evaluation metrics: accuracy, macro F1 and ROC AUC for classification; RMSE for regression. */
public final class Metrics {
  private Metrics() {}

  /** Classification metrics from probabilities [N, K] and true class indices. */
  public static Map<String, Double> classification(float[] probs, int[] truth, int k) {
    int n = truth.length;
    int correct = 0;
    int[][] confusion = new int[k][k];
    for (int i = 0; i < n; i++) {
      int best = 0;
      for (int c = 1; c < k; c++) {
        if (probs[i * k + c] > probs[i * k + best]) {
          best = c;
        }
      }
      correct += best == truth[i] ? 1 : 0;
      confusion[truth[i]][best]++;
    }
    double f1 = 0;
    for (int c = 0; c < k; c++) {
      int tp = confusion[c][c];
      int fp = 0;
      int fn = 0;
      for (int o = 0; o < k; o++) {
        if (o != c) {
          fp += confusion[o][c];
          fn += confusion[c][o];
        }
      }
      f1 += tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
    }
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("accuracy", n == 0 ? 0 : (double) correct / n);
    m.put("macro_f1", f1 / k);
    double auc = 0;
    int counted = 0;
    for (int c = 0; c < (k == 2 ? 1 : k); c++) {
      int cls = k == 2 ? 1 : c;
      double a = auc(probs, truth, k, cls);
      if (!Double.isNaN(a)) {
        auc += a;
        counted++;
      }
    }
    m.put("roc_auc", counted == 0 ? Double.NaN : auc / counted);
    return m;
  }

  /** One-vs-rest ROC AUC of class {@code c}: the probability that a positive outranks a negative (ties count half). */
  static double auc(float[] probs, int[] truth, int k, int c) {
    int n = truth.length;
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingDouble(i -> probs[i * k + c]));
    double rankSum = 0;
    int positives = 0;
    int i = 0;
    while (i < n) {
      int j = i;
      while (j + 1 < n && probs[order[j + 1] * k + c] == probs[order[i] * k + c]) {
        j++;
      }
      double rank = (i + j) / 2.0 + 1;
      for (int t = i; t <= j; t++) {
        if (truth[order[t]] == c) {
          rankSum += rank;
          positives++;
        }
      }
      i = j + 1;
    }
    int negatives = n - positives;
    if (positives == 0 || negatives == 0) {
      return Double.NaN;
    }
    return (rankSum - positives * (positives + 1) / 2.0) / ((double) positives * negatives);
  }

  /** Root mean squared error of predictions against values. */
  public static Map<String, Double> regression(float[] predictions, float[] values) {
    double sq = 0;
    for (int i = 0; i < values.length; i++) {
      double d = predictions[i] - values[i];
      sq += d * d;
    }
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("rmse", Math.sqrt(sq / Math.max(1, values.length)));
    return m;
  }
}
