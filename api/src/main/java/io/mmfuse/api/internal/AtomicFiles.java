package io.mmfuse.api.internal;

import io.mmfuse.api.InvalidConfigurationException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writes files so that a reader never sees half of one: a temporary file beside the target, then a rename. */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** Something that writes a whole file to a stream. */
  @FunctionalInterface
  public interface Writer {
    void writeTo(OutputStream out) throws IOException;
  }

  /** Writes bytes to a file atomically. */
  public static void write(Path file, byte[] bytes) {
    write(file, out -> out.write(bytes));
  }

  /** Runs a writer into a temporary file and moves it over {@code file}; on failure nothing is left behind. */
  public static void write(Path file, Writer writer) {
    Path target = file.toAbsolutePath();
    Path dir = target.getParent();
    Path tmp = null;
    try {
      if (dir != null) {
        Files.createDirectories(dir);
      }
      tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
      try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
        writer.writeTo(out);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      tmp = null;
    } catch (IOException e) {
      throw new InvalidConfigurationException("output " + file + ": cannot be written: " + e, e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // The original error matters more than a leftover temporary file.
        }
      }
    }
  }
}
