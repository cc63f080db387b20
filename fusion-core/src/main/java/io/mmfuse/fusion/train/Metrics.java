package io.mmfuse.fusion.train;

import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Evaluation metrics: accuracy, macro F1 and ROC AUC for classification; micro and macro F1 (at 0.5), subset
 * accuracy and mean ROC AUC for multi-label; RMSE for regression.
 */
public final class Metrics {
  private Metrics() {}

  /** Classification metrics from probabilities [N, K] and true class indices (log loss: mean -ln p(true class)). */
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
    double logLoss = 0;
    for (int i = 0; i < n; i++) {
      logLoss -= Math.log(Math.max(probs[i * k + truth[i]], 1e-7));
    }
    m.put("log_loss", n == 0 ? Double.NaN : logLoss / n);
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

  /**
   * Multi-label metrics from probabilities [N, K] and 0/1 targets [N, K]: a label is predicted when its probability
   * is at least 0.5. {@code micro_f1} pools every (example, label) decision; {@code macro_f1} averages the labels'
   * F1 (a label never present nor predicted counts 1); {@code subset_accuracy} is the share of examples whose every
   * label is right; {@code roc_auc} is the mean over labels that have both positives and negatives.
   */
  public static Map<String, Double> multiLabel(float[] probs, float[] targets, int k) {
    int n = targets.length / k;
    long tpAll = 0;
    long fpAll = 0;
    long fnAll = 0;
    double macro = 0;
    int exact = 0;
    boolean[] allRight = new boolean[n];
    Arrays.fill(allRight, true);
    double auc = 0;
    int counted = 0;
    for (int c = 0; c < k; c++) {
      int tp = 0;
      int fp = 0;
      int fn = 0;
      int[] truth = new int[n];
      float[] column = new float[n * 2];
      for (int i = 0; i < n; i++) {
        boolean predicted = probs[i * k + c] >= 0.5f;
        boolean actual = targets[i * k + c] > 0.5f;
        tp += predicted && actual ? 1 : 0;
        fp += predicted && !actual ? 1 : 0;
        fn += !predicted && actual ? 1 : 0;
        allRight[i] &= predicted == actual;
        truth[i] = actual ? 1 : 0;
        column[i * 2 + 1] = probs[i * k + c];
        column[i * 2] = 1 - probs[i * k + c];
      }
      tpAll += tp;
      fpAll += fp;
      fnAll += fn;
      macro += tp + fp + fn == 0 ? 1 : 2.0 * tp / (2.0 * tp + fp + fn);
      double a = auc(column, truth, 2, 1);
      if (!Double.isNaN(a)) {
        auc += a;
        counted++;
      }
    }
    for (boolean b : allRight) {
      exact += b ? 1 : 0;
    }
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("micro_f1", tpAll + fpAll + fnAll == 0 ? 1.0 : 2.0 * tpAll / (2.0 * tpAll + fpAll + fnAll));
    m.put("macro_f1", k == 0 ? 0 : macro / k);
    m.put("subset_accuracy", n == 0 ? 0 : (double) exact / n);
    m.put("roc_auc", counted == 0 ? Double.NaN : auc / counted);
    return m;
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

  /** The ranks at which retrieval recall is reported. */
  public static final int[] RECALL_AT = {1, 5, 10};

  /**
   * Retrieval recall of paired embeddings (row-major {@code [n, width]}, L2-normalized): for each row's side A as the
   * query, whether its side B is among the top k of all n side-B embeddings by cosine similarity, and the other way
   * round. An item equal to the target (the same key: a duplicate text or picture) counts as the target. Keys are
   * per row. Returns {@code recall_a_to_b@k}, {@code recall_b_to_a@k} for k in {@link #RECALL_AT}, and their mean,
   * {@code mean_recall}.
   */
  public static Map<String, Double> retrieval(float[] a, float[] b, long[] keyA, long[] keyB, int width) {
    int n = keyA.length;
    Map<String, Double> out = new java.util.LinkedHashMap<>();
    double sum = 0;
    for (int direction = 0; direction < 2; direction++) {
      float[] q = direction == 0 ? a : b;
      float[] items = direction == 0 ? b : a;
      long[] keys = direction == 0 ? keyB : keyA;
      int[] hits = new int[RECALL_AT.length];
      for (int i = 0; i < n; i++) {
        float[] sims = new float[n];
        float best = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
          float d = 0;
          for (int c = 0; c < width; c++) {
            d += q[i * width + c] * items[j * width + c];
          }
          sims[j] = d;
          if (keys[j] == keys[i]) {
            best = Math.max(best, d);
          }
        }
        int rank = 0;
        for (int j = 0; j < n; j++) {
          if (keys[j] != keys[i] && sims[j] > best) {
            rank++;
          }
        }
        for (int k = 0; k < RECALL_AT.length; k++) {
          if (rank < RECALL_AT[k]) {
            hits[k]++;
          }
        }
      }
      for (int k = 0; k < RECALL_AT.length; k++) {
        double r = n == 0 ? Double.NaN : (double) hits[k] / n;
        out.put((direction == 0 ? "recall_a_to_b@" : "recall_b_to_a@") + RECALL_AT[k], r);
        sum += r;
      }
    }
    out.put("mean_recall", sum / (2 * RECALL_AT.length));
    return out;
  }
}
