package io.mmfuse.fusion.data;

import com.google.gson.JsonObject;
import io.mmfuse.api.InvalidInputException;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * What to do with a row that cannot be read or tokenized: fail the run (the default), or skip it, count it and write
 * it (file, line, error) to a JSONL report, one line per bad row, as it is found. A run whose bad rows exceed a set
 * share of its rows fails anyway. Safe to share between threads.
 */
public final class BadRows implements AutoCloseable {
  /** Fails on the first bad row. */
  public static final BadRows FAIL = new BadRows(false, 0, null);

  /** The share of bad rows above which a skipping run fails by default. */
  public static final double DEFAULT_MAX_FRACTION = 0.01;

  private final boolean skip;
  private final double maxFraction;
  private final Path report;
  private final Set<String> seen = new HashSet<>();
  private BufferedWriter writer;
  private long rows;
  private int count;

  private BadRows(boolean skip, double maxFraction, Path report) {
    this.skip = skip;
    this.maxFraction = maxFraction;
    this.report = report;
  }

  /**
   * Skips bad rows, writing each to {@code report}; fails once more than {@code maxFraction} of the rows are bad.
   */
  public static BadRows skip(double maxFraction, Path report) {
    if (!(maxFraction >= 0 && maxFraction <= 1)) {
      throw new io.mmfuse.api.InvalidConfigurationException("the share of bad rows allowed must be within [0, 1],"
          + " not " + maxFraction);
    }
    return new BadRows(true, maxFraction, report);
  }

  public boolean skips() {
    return skip;
  }

  /** The report file (null when failing). */
  public Path report() {
    return report;
  }

  /** Bad rows so far, each counted once. */
  public synchronized int count() {
    return count;
  }

  /** Tells how many rows there are in all, for the share check; a later call adds rows read since. */
  public synchronized void addRows(long n) {
    rows += n;
    check();
  }

  /**
   * Handles one bad row: fails with {@code error} unless skipping; else counts it once (by file and line) and writes
   * it to the report. Fails when the share of bad rows is now over the limit.
   */
  public synchronized void reject(String file, long line, InvalidInputException error) {
    if (!skip) {
      throw error;
    }
    if (!seen.add(file + "\u0000" + line)) {
      return;
    }
    count++;
    JsonObject o = new JsonObject();
    o.addProperty("file", file);
    o.addProperty("line", line);
    o.addProperty("error", error.getMessage());
    try {
      if (writer == null) {
        Files.createDirectories(report.toAbsolutePath().getParent());
        writer = Files.newBufferedWriter(report, StandardCharsets.UTF_8);
      }
      writer.write(o.toString());
      writer.newLine();
      writer.flush();
    } catch (IOException e) {
      throw new InvalidInputException("bad-row report " + report + ": cannot be written: " + e.getMessage(), e);
    }
    check();
  }

  private void check() {
    if (skip && rows > 0 && count > maxFraction * rows) {
      throw new InvalidInputException(String.format(Locale.ROOT, "%d of %d rows are bad (more than %.2f%%, the"
          + " most --max-bad-rows allows); each is in %s", count, rows, 100 * maxFraction, report));
    }
  }

  /** One line for the end of a run: how many rows were skipped and where they are listed; "" for none. */
  public synchronized String summary() {
    return count == 0 ? "" : "skipped " + count + " bad row" + (count == 1 ? "" : "s") + "; each is listed in "
        + report;
  }

  @Override
  public synchronized void close() {
    if (writer != null) {
      try {
        writer.close();
      } catch (IOException e) {
        throw new InvalidInputException("bad-row report " + report + ": cannot be closed: " + e.getMessage(), e);
      }
      writer = null;
    }
  }
}
