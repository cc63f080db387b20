package io.mmfuse.runtime;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * Keeps TensorFlow's native INFO lines off an embedder's standard error by default, as the {@code mmfuse} launcher
 * does: TensorFlow reads {@code TF_CPP_MIN_LOG_LEVEL} from the process environment once, when it first logs, and
 * Java cannot set an environment variable itself, so this sets it through the C library (JNA), before TensorFlow's
 * native code loads. A value the user set is kept; {@code -Dmmfuse.tensorflow.log=verbose} keeps TensorFlow's own
 * default (everything). Where the C library cannot be reached, nothing changes.
 */
public final class NativeLogging {
  private NativeLogging() {}

  /** The level set: warnings and errors only. */
  public static final String QUIET_LEVEL = "2";

  private static boolean done;

  private interface CLibrary extends Library {
    int setenv(String name, String value, int overwrite);
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
}
