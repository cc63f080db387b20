package io.mmfuse.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What the command line writes back of the standard error it caught around TensorFlow's first session run. */
class NativeLoggingTest {
  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void onlyTheTwoFirstRunNoticesAreDroppedAndEveryOtherByteIsKept() {
    // The two lines as TensorFlow Java 1.1.0 prints them at a process's first session run.
    String notices = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        + "I0000 00:00:1796703305.155377   21229 mlir_graph_optimization_pass.cc:401] MLIR V1 optimization pass is"
        + " not enabled\n";
    String other = "E0000 00:00:1796703305.155399   21229 some_kernel.cc:12] a real error: café\n";
    String lookalike = "I0000 00:00:1796703305.155377   21229 other_pass.cc:401] MLIR V1 optimization pass is not"
        + " enabled\n";
    assertArrayEquals(utf8(other + lookalike + "no newline at the end ö"),
        NativeLogging.withoutFirstRunNotices(utf8(notices.substring(0, notices.indexOf('\n') + 1) + other
            + notices.substring(notices.indexOf('\n') + 1) + lookalike + "no newline at the end ö")));
    assertArrayEquals(new byte[0], NativeLogging.withoutFirstRunNotices(utf8(notices)));
    // Bytes that are not UTF-8 come back as they were.
    byte[] latin1 = {(byte) 0xe9, '\n', (byte) 0xff};
    assertArrayEquals(latin1, NativeLogging.withoutFirstRunNotices(latin1));
  }
}
