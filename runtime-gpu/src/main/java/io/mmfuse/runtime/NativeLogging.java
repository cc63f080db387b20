package io.mmfuse.runtime;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Keeps TensorFlow's native INFO lines off an embedder's standard error by default, as the {@code mmfuse} launcher
 * does: TensorFlow reads {@code TF_CPP_MIN_LOG_LEVEL} from the process environment once, when it first logs, and
 * Java cannot set an environment variable itself, so this sets it through the C library (JNA), before TensorFlow's
 * native code loads. A value the user set is kept; {@code -Dmmfuse.tensorflow.log=verbose} keeps TensorFlow's own
 * default (everything). Where the C library cannot be reached, nothing changes. Two lines of TensorFlow's first session
 * run escape the variable ({@link #FIRST_RUN_NOTICES}); the command line absorbs them ({@link
 * #absorbFirstRunNotices}), and so can an embedder that owns its process's standard error.
 */
public final class NativeLogging {
  private NativeLogging() {}

  /** The level set: warnings and errors only. */
  public static final String QUIET_LEVEL = "2";

  /**
   * The lines TensorFlow's first session run in a process prints whatever {@code TF_CPP_MIN_LOG_LEVEL} says: they
   * come from the copy of absl's logging inside libtensorflow_cc, which that variable does not reach and which exports
   * nothing to set its level with.
   */
  static final List<Pattern> FIRST_RUN_NOTICES = List.of(
      Pattern.compile("WARNING: All log messages before absl::InitializeLog\\(\\) is called are written to STDERR"),
      Pattern.compile("I\\d{4} [0-9:. ]+\\d+ mlir_graph_optimization_pass\\.cc:\\d+\\] MLIR V1 optimization pass is"
          + " not enabled"));

  private static boolean done;
  private static boolean absorbed;

  private interface CLibrary extends Library {
    int setenv(String name, String value, int overwrite);

    int mkstemp(byte[] template);

    int dup(int fd);

    int dup2(int fd, int fd2);

    int close(int fd);

    int fflush(Pointer stream);
  }

  /** Sets the quiet default once, unless the environment or the system property says otherwise. */
  public static synchronized void quietByDefault() {
    if (done) {
      return;
    }
    done = true;
    if (System.getenv("TF_CPP_MIN_LOG_LEVEL") != null
        || "verbose".equals(System.getProperty("mmfuse.tensorflow.log"))) {
      return;
    }
    try {
      Native.load("c", CLibrary.class).setenv("TF_CPP_MIN_LOG_LEVEL", QUIET_LEVEL, 0);
    } catch (LinkageError | RuntimeException e) {
      // No C library to reach (an unusual platform): TensorFlow logs as it would anyway.
    }
  }

  /** Whether TensorFlow's INFO lines are to stay quiet in this process (as {@link #quietByDefault} leaves it). */
  static boolean quiet() {
    String level = System.getenv("TF_CPP_MIN_LOG_LEVEL");
    if (level == null) {
      return !"verbose".equals(System.getProperty("mmfuse.tensorflow.log"));
    }
    try {
      return Integer.parseInt(level.strip()) >= 1;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /**
   * For a process that owns its standard error (the command line): runs TensorFlow's first session of the process,
   * a one-op graph, with standard error (file descriptor 2) pointed at a temporary file, then puts it back and writes
   * out everything caught except {@link #FIRST_RUN_NOTICES}, which TensorFlow prints once per process and nothing
   * else silences. Does nothing when TensorFlow's INFO lines are asked for ({@code TF_CPP_MIN_LOG_LEVEL=0},
   * {@code -Dmmfuse.tensorflow.log=verbose}), after a first call, or off Linux and macOS. Output other threads write
   * to standard error meanwhile is written out late, never lost.
   */
  public static synchronized void absorbFirstRunNotices() {
    quietByDefault();
    if (absorbed || !quiet() || !(Platform.isLinux() || Platform.isMac())) {
      return;
    }
    absorbed = true;
    CLibrary c;
    try {
      c = Native.load("c", CLibrary.class);
      // Loaded outside the window: a TensorFlow that cannot load on this CPU says why where the user sees it.
      org.tensorflow.TensorFlow.version();
    } catch (LinkageError | RuntimeException e) {
      return;
    }
    byte[] template = (System.getProperty("java.io.tmpdir") + "/mmfuse-stderr-XXXXXX\0")
        .getBytes(StandardCharsets.UTF_8);
    int file = c.mkstemp(template);
    if (file < 0) {
      return;
    }
    Path caught = Path.of(new String(template, 0, template.length - 1, StandardCharsets.UTF_8));
    System.err.flush();
    int saved = c.dup(2);
    try {
      if (saved < 0 || c.dup2(file, 2) < 0) {
        return;
      }
      try {
        firstSessionRun();
      } finally {
        System.err.flush();
        c.fflush(null);
        c.dup2(saved, 2);
      }
    } finally {
      if (saved >= 0) {
        c.close(saved);
      }
      c.close(file);
      replay(caught);
    }
  }

  private static void firstSessionRun() {
    try (org.tensorflow.Graph g = new org.tensorflow.Graph()) {
      org.tensorflow.op.Ops tf = org.tensorflow.op.Ops.create(g);
      org.tensorflow.Operand<org.tensorflow.types.TInt32> sum = tf.math.add(tf.constant(1), tf.constant(1));
      try (org.tensorflow.Session s = new org.tensorflow.Session(g);
          org.tensorflow.Result r = s.runner().fetch(sum).run()) {
        // Nothing to keep: the run is what prints.
      }
    } catch (RuntimeException | LinkageError e) {
      // A TensorFlow that cannot run says so again, uncaught, at the command's own first session.
    }
  }

  /** Writes what standard error received while it was caught, less the first-run notices, and deletes the file. */
  private static void replay(Path caught) {
    try {
      byte[] rest = withoutFirstRunNotices(Files.readAllBytes(caught));
      if (rest.length > 0) {
        System.err.writeBytes(rest);
        System.err.flush();
      }
    } catch (IOException | RuntimeException e) {
      // Gone: nothing more can be done for it.
    } finally {
      try {
        Files.deleteIfExists(caught);
      } catch (IOException e) {
        // Left in the temporary directory.
      }
    }
  }

  /** {@code bytes} less the lines that are {@link #FIRST_RUN_NOTICES}; every other byte as it was, in any encoding. */
  static byte[] withoutFirstRunNotices(byte[] bytes) {
    // ISO-8859-1 maps each byte to one char and back.
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    StringBuilder rest = new StringBuilder();
    for (String line : text.split("(?<=\n)")) {
      String bare = line.endsWith("\n") ? line.substring(0, line.length() - 1) : line;
      if (FIRST_RUN_NOTICES.stream().noneMatch(p -> p.matcher(bare).matches())) {
        rest.append(line);
      }
    }
    return rest.toString().getBytes(StandardCharsets.ISO_8859_1);
  }
}
