package io.mmfuse.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's locks ({@code scripts/lib/buildlock.sh}, run by bash): a command holds the run lock while its
 * process runs, so no build rewrites the jars under it; one launcher at a time checks and builds.
 */
class LauncherBuildLockTest {
  private static final Path SCRIPT = LauncherScripts.script("buildlock.sh");

  @TempDir Path dir;

  /** Starts bash with the script sourced, running {@code command}. */
  private Process start(String command) throws IOException {
    return new ProcessBuilder("bash", "-c", "source \"$1\" && " + command, "bash", SCRIPT.toString())
        .redirectErrorStream(true).start();
  }

  /** Starts a stand-in for a command: takes the locks as the launcher does, then becomes {@code sleep}. */
  private Process holder(String locking) throws Exception {
    Path ready = dir.resolve("ready");
    Files.deleteIfExists(ready);
    Process p = start("mmfuse_locks_open \"" + dir + "\" && " + locking + " && touch \"" + ready + "\" && exec sleep 60");
    for (int i = 0; i < 200 && !Files.exists(ready); i++) {
      Thread.sleep(50);
    }
    assertTrue(Files.exists(ready), "the stand-in never took its locks");
    return p;
  }

  private String freeToBuild() throws Exception {
    return LauncherScripts.bash(SCRIPT, "mmfuse_locks_open \"" + dir + "\" && mmfuse_build_lock && if"
        + " mmfuse_no_command_running; then echo free; else echo busy; fi", k -> false, Map.of());
  }

  private static void assumeFlock() throws Exception {
    assumeTrue(!LauncherScripts.bash(SCRIPT, "mmfuse_have_flock && echo yes || true", k -> false, Map.of())
        .isEmpty(), "no flock here: the launcher locks nothing");
  }

  private static void stop(Process p) throws InterruptedException {
    p.destroyForcibly();
    assertTrue(p.waitFor(10, TimeUnit.SECONDS));
  }

  @Test
  void noBuildWhileACommandRunsFromTheBuild() throws Exception {
    assumeFlock();
    assertEquals("free", freeToBuild());
    Process running = holder("mmfuse_build_lock && mmfuse_hold_run_lock");
    try {
      // The build lock was let go before the command started (this launcher got it), the run lock was not.
      assertEquals("busy", freeToBuild());
    } finally {
      stop(running);
    }
    assertEquals("free", freeToBuild());
  }

  @Test
  void oneLauncherAtATimeChecksAndBuilds() throws Exception {
    assumeFlock();
    Process building = holder("mmfuse_build_lock");
    Process waiting = start("mmfuse_locks_open \"" + dir + "\" && mmfuse_build_lock && echo got it");
    try {
      assertFalse(waiting.waitFor(1, TimeUnit.SECONDS), "the second launcher went on while the first built");
    } finally {
      stop(building);
    }
    assertTrue(waiting.waitFor(10, TimeUnit.SECONDS), "the second launcher never got the build lock");
    String out = new String(waiting.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, waiting.exitValue(), out);
    assertTrue(out.startsWith("mmfuse: waiting for another mmfuse build in this checkout to finish..."), out);
    assertTrue(out.strip().endsWith("got it"), out);
  }

  @Test
  void aDirectoryThatCannotBeWrittenLocksNothingAndStopsNothing() throws Exception {
    Path file = Files.writeString(dir.resolve("a-file"), "");
    // Under a file no directory can be made, whoever runs this.
    assertEquals("0 free", LauncherScripts.bash(SCRIPT, "mmfuse_locks_open \"" + file.resolve("target") + "\" &&"
        + " mmfuse_build_lock && mmfuse_wait_for_commands && mmfuse_hold_run_lock && if mmfuse_no_command_running;"
        + " then echo \"$MMFUSE_LOCKS free\"; fi", k -> false, Map.of()));
  }

  @Test
  void theLauncherTakesTheRunLockBeforeItStartsTheJvm() throws IOException {
    LauncherScripts.assertLauncherRunsBeforeJvm("buildlock.sh", "mmfuse_hold_run_lock");
    String launcher = Files.readString(Path.of("../mmfuse"));
    // Checked and built under the build lock.
    assertTrue(launcher.indexOf("mmfuse_build_lock") < launcher.indexOf("if needs_build"), launcher);
    assertTrue(launcher.indexOf("if needs_build") < launcher.indexOf("mmfuse_hold_run_lock"), launcher);
  }
}
