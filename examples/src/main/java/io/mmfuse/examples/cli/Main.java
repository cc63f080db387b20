package io.mmfuse.examples.cli;

import io.mmfuse.api.MmfuseException;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** The {@code mmfuse} command line. */
@Command(
    name = "mmfuse",
    mixinStandardHelpOptions = true,
    version = "mmfuse 0.1.0",
    description = "Multimodal Transformers on the JVM.",
    footer = {"", "Also, through the ./mmfuse launcher (with the spark module's class path):",
      "  spark-predict  Predict with a model bundle on Apache Spark (docs/spark.md)."},
    subcommands = {ModalitiesCommand.class, TokenizeCommand.class, HfRunCommand.class, TrainCommand.class,
      EvalCommand.class, PredictCommand.class, EmbedCommand.class, ZeroShotCommand.class, IndexCommand.class,
      SearchCommand.class, ServeCommand.class, DemoCommand.class,
      DevicesCommand.class, BenchCommand.class,
      CommandLine.HelpCommand.class})
public final class Main implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Exit code of a run refused for bad input or configuration. */
  public static final int EXIT_REFUSED = 2;

  public static void main(String[] args) {
    // The command line owns its JVM: numbers in its output, the files it names and TensorFlow's node names (which
    // TensorFlow Java formats in the default locale) get ASCII digits and a decimal point in any user locale.
    java.util.Locale.setDefault(java.util.Locale.Category.FORMAT, java.util.Locale.ROOT);
    oneLineLogRecords();
    if (runsTensorFlow(args)) {
      // TensorFlow's first session prints two INFO lines that TF_CPP_MIN_LOG_LEVEL does not reach: run it aside.
      io.mmfuse.runtime.NativeLogging.absorbFirstRunNotices();
    }
    System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
  }

  /** The format the command line gives a log record (a warning of the library's): one line, level and message. */
  static final String LOG_FORMAT = "%4$s: %5$s%6$s%n";

  /**
   * Log records (the library's warnings, through {@code System.Logger}) on one line each, {@code WARNING: message},
   * as the JVM writes its own, instead of the JDK's default of a line with the date and the class first; a format
   * set with {@code -Djava.util.logging.SimpleFormatter.format} stays. Before the first record is logged.
   */
  static void oneLineLogRecords() {
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty("java.util.logging.SimpleFormatter.format", LOG_FORMAT);
    }
  }

  /** The commands that run TensorFlow sessions. */
  static final java.util.Set<String> TENSORFLOW_COMMANDS = java.util.Set.of("hf-run", "train", "eval", "predict",
      "embed", "zero-shot", "index", "search", "serve", "demo", "bench");

  /** Whether {@code args} run a command that runs TensorFlow sessions (its help and the version do not). */
  static boolean runsTensorFlow(String... args) {
    if (args.length == 0 || !TENSORFLOW_COMMANDS.contains(args[0])) {
      return false;
    }
    return java.util.Arrays.stream(args).noneMatch(a -> a.equals("-h") || a.equals("--help") || a.equals("-V")
        || a.equals("--version"));
  }

  /** Runs the command line with the given streams and returns its exit code; used by tests. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cli = new CommandLine(new Main());
    withHelp(cli);
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof MmfuseException m) {
            commandLine.getErr().println("mmfuse: " + m.getMessage());
            commandLine.getErr().flush();
            return EXIT_REFUSED;
          }
          throw e;
        });
    int code = cli.execute(args);
    out.flush();
    err.flush();
    return code;
  }

  /** Every command and subcommand takes {@code -h}/{@code --help} (and {@code -V}), prints its usage and exits 0. */
  private static void withHelp(CommandLine command) {
    if (command.getCommandSpec().findOption("--help") == null) {
      command.getCommandSpec().mixinStandardHelpOptions(true);
    }
    command.getSubcommands().values().forEach(Main::withHelp);
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
