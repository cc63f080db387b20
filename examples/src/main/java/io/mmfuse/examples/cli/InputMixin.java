package io.mmfuse.examples.cli;

import io.mmfuse.fusion.data.BadRows;
import io.mmfuse.fusion.data.InputPipeline;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The input options of every command that reads a data file: what to do with bad rows, and the input threads. */
final class InputMixin {
  enum OnBadRow {
    fail,
    skip
  }

  @Option(names = "--on-bad-row", paramLabel = "fail|skip", description = "A row that cannot be read or tokenized"
      + " fails the run (fail, the default), or is skipped, counted and listed with its line and error in a JSONL"
      + " report (--bad-rows).")
  OnBadRow onBadRow = OnBadRow.fail;

  @Option(names = "--max-bad-rows", paramLabel = "F", description = "With --on-bad-row skip, the run fails anyway"
      + " once more than this share of the rows are bad (default 0.01).")
  double maxBadRows = BadRows.DEFAULT_MAX_FRACTION;

  @Option(names = "--bad-rows", paramLabel = "FILE", description = "Where skipped rows are listed (default: beside"
      + " the output, named after it, ending .bad-rows.jsonl).")
  Path badRowsReport;

  @Option(names = "--input-threads", paramLabel = "N", description = "Threads that read, decode and tokenize rows"
      + " ahead of the model (default: one per core; 0: the model's thread does it).")
  Integer inputThreads;

  /** The bad-row policy, with the report at {@code --bad-rows} or {@code defaultReport}. */
  BadRows badRows(Path defaultReport) {
    return onBadRow == OnBadRow.fail ? BadRows.FAIL
        : BadRows.skip(maxBadRows, badRowsReport != null ? badRowsReport : defaultReport);
  }

  int threads() {
    return inputThreads != null ? inputThreads : InputPipeline.defaultThreads();
  }

  /** {@code FILE.bad-rows.jsonl} beside {@code output}. */
  static Path besides(Path output) {
    Path abs = output.toAbsolutePath();
    return abs.resolveSibling(abs.getFileName() + ".bad-rows.jsonl");
  }
}
