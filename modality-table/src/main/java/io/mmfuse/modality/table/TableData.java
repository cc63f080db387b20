package io.mmfuse.modality.table;

import java.util.List;

/**
 * Rows of a table as text cells, with the column names and where they came from (for error messages).
 *
 * @param source the file or other origin, named in errors
 * @param columns column names, in file order
 * @param rows cells per row, each as long as {@code columns}
 * @param firstRowNumber the 1-based line-like number of {@code rows.get(0)} in the source (after header and skipped lines)
 */
public record TableData(String source, List<String> columns, List<String[]> rows, int firstRowNumber) {
  public TableData {
    columns = List.copyOf(columns);
    rows = List.copyOf(rows);
  }

  /** Returns the index of a column, or -1. */
  public int indexOf(String column) {
    return columns.indexOf(column);
  }

  /** Returns a table of the given rows (by index) of this one, keeping the source. */
  public TableData select(int[] rowIndices) {
    String[][] picked = new String[rowIndices.length][];
    for (int i = 0; i < rowIndices.length; i++) {
      picked[i] = rows.get(rowIndices[i]);
    }
    return new TableData(source, columns, List.of(picked), firstRowNumber);
  }
}
