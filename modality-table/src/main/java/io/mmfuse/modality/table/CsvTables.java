package io.mmfuse.modality.table;

import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.Limits;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/** Reads CSV files (quoting, embedded newlines, any delimiter, UTF-8 with or without BOM) into {@link TableData}. */
public final class CsvTables {
  private CsvTables() {}

  /**
   * How a CSV file is laid out.
   *
   * @param delimiter the cell separator
   * @param header whether the first (non-skipped) row names the columns; otherwise they are named c0, c1, ...
   * @param skipLines records to skip before the header (scikit-learn's count line)
   */
  public record Options(char delimiter, boolean header, int skipLines) {
    /** Comma-separated with a header row. */
    public static Options defaults() {
      return new Options(',', true, 0);
    }

    public Options withDelimiter(char d) {
      return new Options(d, header, skipLines);
    }
  }

  /** Reads a CSV file. */
  public static TableData read(Path file, Options options) {
    try (BufferedReader in =
        new BufferedReader(
            new java.io.InputStreamReader(
                Files.newInputStream(file),
                StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)))) {
      return read(in, file.toString(), options);
    } catch (CharacterCodingException e) {
      throw new InvalidInputException("table " + file + ": not valid UTF-8 text", e);
    } catch (IOException e) {
      throw new InvalidInputException("table " + file + ": cannot be read: " + e, e);
    }
  }

  /** Reads CSV text; {@code source} names it in errors. */
  public static TableData parse(String text, String source, Options options) {
    try {
      return read(new StringReader(text), source, options);
    } catch (IOException e) {
      throw new InvalidInputException("table " + source + ": " + e.getMessage(), e);
    }
  }

  private static TableData read(Reader reader, String source, Options options) throws IOException {
    BufferedReader in = reader instanceof BufferedReader b ? b : new BufferedReader(reader);
    in.mark(1);
    if (in.read() != '\uFEFF') {
      in.reset();
    }
    CSVFormat format = CSVFormat.DEFAULT.builder().setDelimiter(options.delimiter()).setIgnoreEmptyLines(true).get();
    List<String> columns = null;
    List<String[]> rows = new ArrayList<>();
    int skipped = 0;
    int firstRow = 0;
    try (CSVParser parser = CSVParser.parse(in, format)) {
      for (CSVRecord record : parser) {
        if (skipped < options.skipLines()) {
          skipped++;
          continue;
        }
        String[] cells = record.values();
        if (columns == null) {
          if (options.header()) {
            columns = List.of(cells);
            checkHeader(columns, source);
            continue;
          }
          columns = new ArrayList<>();
          for (int i = 0; i < cells.length; i++) {
            columns.add("c" + i);
          }
        }
        if (firstRow == 0) {
          firstRow = (int) record.getRecordNumber();
        }
        if (cells.length != columns.size()) {
          throw new InvalidInputException(
              "table " + source + ": row " + record.getRecordNumber() + " (line " + parser.getCurrentLineNumber()
                  + ") has " + cells.length + " cells; expected " + columns.size() + " like the header");
        }
        for (int c = 0; c < cells.length; c++) {
          if (Limits.CELL_CHARS.exceeded(cells[c].length())) {
            throw new InvalidInputException("table " + source + ": row " + record.getRecordNumber() + ", column '"
                + columns.get(c) + "': a cell of " + Limits.CELL_CHARS.refusal(cells[c].length()));
          }
        }
        if (Limits.ROWS.exceeded(rows.size() + 1L)) {
          throw new InvalidInputException("table " + source + ": more than " + Limits.ROWS.refusal(rows.size()));
        }
        rows.add(cells);
      }
    } catch (java.io.UncheckedIOException e) {
      throw new InvalidInputException("table " + source + ": malformed CSV: " + e.getMessage(), e);
    } catch (IllegalStateException e) {
      throw new InvalidInputException("table " + source + ": malformed CSV: " + e.getMessage(), e);
    }
    if (columns == null) {
      throw new InvalidInputException("table " + source + " is empty; expected a header row and data rows");
    }
    if (rows.isEmpty()) {
      throw new InvalidInputException("table " + source + " has a header but no data rows");
    }
    return new TableData(source, columns, rows, firstRow);
  }

  private static void checkHeader(List<String> columns, String source) {
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (String c : columns) {
      if (c.isBlank()) {
        throw new InvalidInputException("table " + source + ": the header has an empty column name");
      }
      if (!seen.add(c)) {
        throw new InvalidInputException("table " + source + ": the header names column '" + c + "' twice");
      }
    }
  }

  /**
   * Reads one of scikit-learn's bundled CSV files: a first line of counts and class names, then the features and an
   * integer label, without a header. Columns are named {@code feature_0 ...} and {@code target}; the label cells
   * become class names.
   */
  public static TableData readScikitLearn(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new InvalidInputException("table " + file + ": cannot be read: " + e, e);
    }
    int nl = text.indexOf('\n');
    String[] counts = (nl < 0 ? text : text.substring(0, nl)).trim().split(",");
    int features;
    try {
      features = Integer.parseInt(counts[1].trim());
    } catch (RuntimeException e) {
      throw new InvalidInputException("table " + file + ": the first line is not scikit-learn's count line"
          + " (samples, features, class names...)");
    }
    TableData raw = parse(nl < 0 ? "" : text.substring(nl + 1), file.toString(), new Options(',', false, 0));
    if (raw.columns().size() != features + 1) {
      throw new InvalidInputException("table " + file + ": the count line announces " + features
          + " features, the rows have " + (raw.columns().size() - 1));
    }
    List<String> columns = new ArrayList<>();
    for (int i = 0; i < features; i++) {
      columns.add("feature_" + i);
    }
    columns.add("target");
    List<String[]> rows = new ArrayList<>();
    for (String[] r : raw.rows()) {
      String[] cells = r.clone();
      int label = Integer.parseInt(cells[features].trim());
      if (label >= 0 && label + 2 < counts.length) {
        cells[features] = counts[label + 2].trim();
      }
      rows.add(cells);
    }
    return new TableData(file.toString(), columns, rows, 2);
  }
}
