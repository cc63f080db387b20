package io.mmfuse.api;

import java.util.List;
import java.util.Set;

/** The cell texts that mean "no value", everywhere a data file is read, unless a spec gives its own. */
public final class MissingValues {
  private MissingValues() {}

  /** Empty, {@code NA}, {@code NaN}, {@code null} and {@code ?}, compared after trimming. */
  public static final List<String> DEFAULT = List.of("", "NA", "NaN", "null", "?");

  private static final Set<String> SET = Set.copyOf(DEFAULT);

  /** Whether a cell is missing by the default rule. */
  public static boolean isMissing(String cell) {
    return cell == null || SET.contains(cell.trim());
  }
}
