package io.mmfuse.api;

import java.util.List;
import java.util.Objects;

/**
 * What a modality sees of a data column when it is asked to claim it: the column's name and its present cells
 * (trimmed; missing ones left out, see {@link MissingValues}), and how many rows were missing.
 *
 * @param name the column's name
 * @param values the present cells, in row order (all of them, or a sample of a large file)
 * @param missing how many rows had no value
 */
public record ColumnSample(String name, List<String> values, int missing) {
  public ColumnSample {
    Objects.requireNonNull(name, "name");
    values = List.copyOf(values);
  }

  /** The share of present cells that {@code test} accepts (0 for a column with none). */
  public double share(java.util.function.Predicate<String> test) {
    if (values.isEmpty()) {
      return 0;
    }
    long n = values.stream().filter(test).count();
    return (double) n / values.size();
  }
}
