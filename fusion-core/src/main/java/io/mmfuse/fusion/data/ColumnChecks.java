package io.mmfuse.fusion.data;

import io.mmfuse.api.MissingValues;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What a data set's reader tells of its columns: the role each got, counts, and the columns that look wrong as
 * inputs. A column is flagged when it is constant, unique per row (an id), or predicts a class label too well to be
 * true: every value goes with one label over several rows each (a finer category of the label), or the label is one
 * run per class along the column's numeric order (a sort order).
 */
final class ColumnChecks {
  private ColumnChecks() {}

  /** Rows per value a categorical leak needs on average: fewer is a repeated measurement, not a leak. */
  static final double LEAK_ROWS_PER_VALUE = 3;
  /** Share of validation rows sharing an id-like value with a training row that calls for a warning. */
  static final double SHARED_SHARE = 0.5;
  /** Distinct values per present row from which a column looks like an id. */
  static final double ID_LIKE = 0.3;
  /** Validation rows at most whose values are looked for among the training rows. */
  static final int SHARED_SAMPLE = 5_000;

  static List<Dataset.ColumnProfile> profile(List<String> columns, List<Map<String, String>> rows,
      List<String> labels, String label, String group, Set<String> ignored, Map<String, String[]> roles) {
    boolean classes = label != null && looksLikeClasses(labels);
    List<Dataset.ColumnProfile> out = new ArrayList<>();
    for (String c : columns) {
      List<String> values = new ArrayList<>(rows.size());
      List<String> valueLabels = new ArrayList<>(rows.size());
      int missing = 0;
      for (int i = 0; i < rows.size(); i++) {
        String v = rows.get(i).getOrDefault(c, "");
        if (MissingValues.isMissing(v)) {
          missing++;
        } else {
          values.add(v.trim());
          valueLabels.add(labels.get(i));
        }
      }
      int distinct = new HashSet<>(values).size();
      String role;
      String modality = "";
      List<String> warnings = new ArrayList<>();
      if (c.equals(label)) {
        role = "label";
      } else if (c.equals(group)) {
        role = "group";
      } else if (ignored.contains(c)) {
        role = "ignored";
      } else {
        String[] r = roles.get(c);
        role = r == null ? "ignored" : r[0];
        modality = r == null ? "" : r[1];
        if (!"image".equals(modality)) {
          warnings.addAll(warnings(c, values, valueLabels, distinct, modality, classes));
        }
      }
      out.add(new Dataset.ColumnProfile(c, role, modality, values.size(), missing, distinct, warnings));
    }
    return out;
  }

  /** A label of at most 100 distinct values, each on more than one row on average. */
  static boolean looksLikeClasses(List<String> labels) {
    Set<String> d = new HashSet<>(labels);
    return d.size() >= 2 && d.size() <= 100 && d.size() * 2 <= labels.size();
  }

  private static List<String> warnings(String c, List<String> values, List<String> labels, int distinct,
      String modality, boolean classes) {
    List<String> w = new ArrayList<>();
    String drop = "; drop it with --ignore " + c;
    if (values.size() > 1 && distinct == 1) {
      w.add("is constant ('" + values.get(0) + "' in every row)" + drop);
      return w;
    }
    if (!"text".equals(modality) && values.size() >= 20 && distinct == values.size()) {
      w.add("is unique per row (an id?)" + drop);
      return w;
    }
    if (!classes || distinct < 2) {
      return w;
    }
    if (values.size() >= LEAK_ROWS_PER_VALUE * distinct && pure(values, labels)) {
      w.add(String.format(Locale.ROOT, "predicts the label too well: each of its %d values goes with one label"
          + " (a finer category of it?)%s", distinct, drop));
      return w;
    }
    int classCount = new HashSet<>(labels).size();
    double[] numbers = numbers(values);
    if (numbers != null && distinct >= 2 * classCount && runs(numbers, labels) <= classCount) {
      w.add("predicts the label too well: sorted by it, the label changes only at class boundaries (a sort"
          + " order?)" + drop);
    }
    return w;
  }

  /** Whether every value's rows share one label. */
  private static boolean pure(List<String> values, List<String> labels) {
    Map<String, String> seen = new HashMap<>();
    for (int i = 0; i < values.size(); i++) {
      String earlier = seen.putIfAbsent(values.get(i), labels.get(i));
      if (earlier != null && !earlier.equals(labels.get(i))) {
        return false;
      }
    }
    return true;
  }

  private static double[] numbers(List<String> values) {
    double[] out = new double[values.size()];
    for (int i = 0; i < out.length; i++) {
      try {
        out[i] = Double.parseDouble(values.get(i));
      } catch (NumberFormatException e) {
        return null;
      }
      if (!Double.isFinite(out[i])) {
        return null;
      }
    }
    return out;
  }

  /** Runs of one label along the values' order (ties broken by label). */
  private static int runs(double[] numbers, List<String> labels) {
    Integer[] order = new Integer[numbers.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (a, b) -> numbers[a] != numbers[b] ? Double.compare(numbers[a], numbers[b])
        : labels.get(a).compareTo(labels.get(b)));
    int runs = 1;
    for (int i = 1; i < order.length; i++) {
      if (!labels.get(order[i]).equals(labels.get(order[i - 1]))) {
        runs++;
      }
    }
    return runs;
  }

  /**
   * Columns whose value is shared by most validation rows with some training row while looking like an id (many
   * distinct values): the same thing measured twice, once on each side of the split. Column to the share.
   */
  static Map<String, Double> sharedAcrossSplit(ExampleSource data, List<Integer> train, List<Integer> validation) {
    Map<String, Double> out = new java.util.LinkedHashMap<>();
    if (validation.isEmpty()) {
      return out;
    }
    List<Dataset.ColumnProfile> candidates = new ArrayList<>();
    for (Dataset.ColumnProfile p : data.columns()) {
      if (p.role().equals("label") || p.role().equals("group") || p.role().equals("ignored")
          || p.modality().equals("image") || p.present() == 0 || p.distinct() < ID_LIKE * p.present()) {
        continue;
      }
      candidates.add(p);
    }
    if (candidates.isEmpty()) {
      return out;
    }
    // The values of (at most SHARED_SAMPLE) validation rows, then one pass over the training rows: memory is
    // bounded by the sample, not by the data.
    int n = Math.min(validation.size(), SHARED_SAMPLE);
    List<Map<String, Integer>> values = new ArrayList<>();
    candidates.forEach(c -> values.add(new java.util.HashMap<>()));
    for (int k = 0; k < n; k++) {
      Map<String, Object> ex = inputs(data, validation.get((int) ((long) k * validation.size() / n)));
      for (int c = 0; c < candidates.size(); c++) {
        String v = ex == null ? null : cell(ex, candidates.get(c));
        if (v != null) {
          values.get(c).merge(v, 1, Integer::sum);
        }
      }
    }
    List<Set<String>> shared = new ArrayList<>();
    candidates.forEach(c -> shared.add(new HashSet<>()));
    for (int i : train) {
      Map<String, Object> ex = inputs(data, i);
      for (int c = 0; ex != null && c < candidates.size(); c++) {
        String v = cell(ex, candidates.get(c));
        if (v != null && values.get(c).containsKey(v)) {
          shared.get(c).add(v);
        }
      }
    }
    for (int c = 0; c < candidates.size(); c++) {
      int rows = 0;
      for (String v : shared.get(c)) {
        rows += values.get(c).get(v);
      }
      double share = (double) rows / n;
      if (share >= SHARED_SHARE) {
        out.put(candidates.get(c).name(), share);
      }
    }
    return out;
  }

  /** A row's inputs, or null for a row that cannot be read (it fails, or is skipped, where it is trained on). */
  private static Map<String, Object> inputs(ExampleSource data, int row) {
    try {
      return data.example(row).inputs();
    } catch (io.mmfuse.api.InvalidInputException e) {
      return null;
    }
  }

  private static String cell(Map<String, Object> example, Dataset.ColumnProfile p) {
    Object v = example.get(p.role());
    if (v instanceof Map<?, ?> m) {
      Object cell = m.get(p.name());
      return cell == null || MissingValues.isMissing(cell.toString()) ? null : cell.toString().trim();
    }
    return v == null ? null : v.toString().trim();
  }
}
