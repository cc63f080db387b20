package io.mmfuse.spark;

import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.TokenSequence;
import io.mmfuse.fusion.inference.Predictor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;

/**
 * Reads and tokenizes a batch of rows with a bundle's tokenizers, on the executor; a row that cannot be read fails
 * the task with its id and column, or, where bad rows are skipped, is counted and left without tokens.
 */
final class RowTokens {
  private RowTokens() {}

  /** A batch's tokens (null for a skipped row) and, for each skipped row, why. */
  record Batch(List<Map<String, TokenSequence>> tokens, String[] errors) {}

  static Batch tokenize(List<Row> rows, long first, MmfuseStage.TaskSettings s, Predictor p) {
    InputPlan plan = s.plan();
    int partition = TaskContext.get() != null ? TaskContext.get().partitionId() : 0;
    List<Map<String, TokenSequence>> out = new ArrayList<>(rows.size());
    String[] errors = new String[rows.size()];
    for (int i = 0; i < rows.size(); i++) {
      Row row = rows.get(i);
      String where = plan.where(row, first + i, partition);
      try {
        out.add(tokenize(plan, row, where, p));
      } catch (InvalidInputException e) {
        if (!s.skipBadRows()) {
          throw e;
        }
        errors[i] = e.getMessage();
        s.skipped().add(1);
        out.add(null);
      }
    }
    return new Batch(out, errors);
  }

  private static Map<String, TokenSequence> tokenize(InputPlan plan, Row row, String where, Predictor p) {
    Map<String, Object> example = plan.example(row, ExecutorModels.registry(), where);
    Map<String, TokenSequence> tokens = new LinkedHashMap<>();
    boolean any = false;
    for (InputPlan.Input in : plan.inputs()) {
      Object v = example.get(in.name());
      if (v == null) {
        tokens.put(in.name(), null);
        continue;
      }
      String at = where + ", column '" + String.join(",", in.columns()) + "'";
      tokens.put(in.name(), p.tokenize(Collections.singletonMap(in.name(), v), at).get(in.name()));
      any = true;
    }
    if (!any) {
      List<String> columns = new ArrayList<>();
      plan.inputs().forEach(in -> columns.addAll(in.columns()));
      throw new InvalidInputException(where + ": every input is missing (columns " + columns + " are all empty);"
          + " an example needs at least one");
    }
    return tokens;
  }
}
