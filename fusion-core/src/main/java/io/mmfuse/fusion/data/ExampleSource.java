package io.mmfuse.fusion.data;

import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.proto.InputSpec;
import io.mmfuse.api.proto.ModelSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Rows to train, evaluate or predict on, read one at a time by index: a {@link Dataset} held in memory, or a {@link
 * DataFile} read from disk as it is needed, with constant memory whatever its size. Reading a row is safe from many
 * threads at once.
 */
public interface ExampleSource {
  /** One row: its inputs by name (a String, a Path, a Map of table cells, or null when missing) and its label. */
  record Example(Map<String, Object> inputs, String label) {}

  /** The file, or files, named in errors. */
  String source();

  /** The data file (null for data made in memory). */
  Path file();

  /** The label column ("" for unlabelled data). */
  String labelColumn();

  /** The inputs' specs (name and modality; settings where a spec gave them). */
  List<InputSpec> inputs();

  /** What was inferred of each column of the file, in file order, with what looks wrong. */
  List<Dataset.ColumnProfile> columns();

  /** How many rows. */
  int size();

  /** Reads row {@code row} (0-based); a row that cannot be read fails with the file and line. */
  Example example(int row);

  /** A row's label alone, for a pass over the labels. */
  default String label(int row) {
    return example(row).label();
  }

  /** Per row, its group's value; empty when no group column was named. */
  List<String> groups();

  /** Where a row is, for errors: "data FILE, line N" or "data SOURCE, example N". */
  String where(int row);

  /**
   * Handles a row that failed to read or tokenize: rethrows the error, unless the source skips bad rows, in which
   * case the row is counted and reported ({@link BadRows}).
   */
  default void reject(int row, InvalidInputException error) {
    throw error;
  }

  /** The bad-row policy of this source. */
  default BadRows badRows() {
    return BadRows.FAIL;
  }

  /** The same rows with other input specs (the same names, settings changed). */
  ExampleSource withInputs(List<InputSpec> specs);

  /**
   * The columns that look like ids (many distinct values) whose value most validation rows share with a training
   * row, with the share; see {@link Dataset#sharedAcrossSplit}.
   */
  default Map<String, Double> sharedAcrossSplit(List<Integer> train, List<Integer> validation) {
    return ColumnChecks.sharedAcrossSplit(this, train, validation);
  }

  /** This source's inputs as a spec names them, for reading another file (a validation file) the same way. */
  default ModelSpec inputSpec() {
    return ModelSpec.newBuilder().addAllInputs(inputs()).build();
  }
}
