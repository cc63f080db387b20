package io.mmfuse.examples.cli;

/**
 * Run in a child JVM by {@link LogFormatTest}: logs one warning as the table tokenizer does, after the command line's
 * log setup ({@code cli}) or none ({@code jdk}).
 */
public final class LogLineMain {
  private LogLineMain() {}

  public static void main(String[] args) {
    if (args[0].equals("cli")) {
      Main.oneLineLogRecords();
    }
    System.getLogger("io.mmfuse.modality.table.TableTokenizer").log(System.Logger.Level.WARNING,
        "table row: ignoring columns the model does not know: label");
  }
}
