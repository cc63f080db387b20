package io.mmfuse.examples.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * An output file written whole or not at all: lines go to {@code FILE.partial}, which {@link #commit} moves onto
 * {@code FILE}; closed without a commit (the run failed), the partial file is deleted. With no file, the lines go to
 * the command's standard output as they come.
 */
final class AtomicOutput implements AutoCloseable {
  private final Path target;
  private final Path partial;
  private final Writer file;
  private final PrintWriter out;
  private boolean committed;

  AtomicOutput(Path target, PrintWriter stdout) throws IOException {
    this.target = target;
    this.partial = target == null ? null : target.toAbsolutePath().resolveSibling(target.getFileName() + ".partial");
    this.file = partial == null ? null : Files.newBufferedWriter(partial, StandardCharsets.UTF_8);
    this.out = file == null ? stdout : new PrintWriter(file);
  }

  PrintWriter writer() {
    return out;
  }

  /** Flushes, and moves the file into place. */
  void commit() throws IOException {
    out.flush();
    if (file != null) {
      file.close();
      Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
    committed = true;
  }

  @Override
  public void close() throws IOException {
    if (file != null && !committed) {
      file.close();
      Files.deleteIfExists(partial);
    }
  }
}
