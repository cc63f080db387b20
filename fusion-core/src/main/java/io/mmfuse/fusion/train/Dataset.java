package io.mmfuse.fusion.train;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.proto.InputSpec;
import io.mmfuse.api.proto.ModelSpec;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * A training or evaluation data set read from a CSV or JSONL file: each column is an input. A column of image paths
 * (relative to the file) is an image input, a column of free text a text input, the other columns together form one
 * table input named {@code table}; the label column is named by the caller. The spec may name the inputs itself.
 *
 * @param source the file, named in errors
 * @param inputs the inputs' specs (name and modality; settings from the spec when it gave them)
 * @param examples per example, its inputs by name: a String (text), a Path (image), a Map of cells (table), or null
 *     when missing
 * @param labels per example, the label cell ("" when the file has no label column)
 */
public record Dataset(String source, List<InputSpec> inputs, List<Map<String, Object>> examples, List<String> labels) {

  static final Set<String> IMAGE_SUFFIXES = Set.of(".png", ".jpg", ".jpeg", ".gif", ".bmp");
  static final Set<String> MISSING = Set.of("", "NA", "NaN", "null", "?");

  /** Reads a file; {@code label} may be null for unlabelled data; {@code spec} may be null or name the inputs. */
  public static Dataset read(Path file, String label, ModelSpec spec) {
    List<String> columns = new ArrayList<>();
    List<Map<String, String>> rows = new ArrayList<>();
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    try {
      if (name.endsWith(".jsonl") || name.endsWith(".json")) {
        readJsonl(file, columns, rows);
      } else {
        readCsv(file, columns, rows);
      }
    } catch (IOException e) {
      throw new InvalidInputException("data " + file + ": cannot be read: " + e.getMessage(), e);
    }
    if (rows.isEmpty()) {
      throw new InvalidInputException("data " + file + " has no examples");
    }
    if (label != null && !columns.contains(label)) {
      throw new InvalidInputException("data " + file + ": label column '" + label + "' is not among " + columns);
    }
    Path base = file.toAbsolutePath().getParent();
    List<InputSpec> inputs = new ArrayList<>();
    List<String> tableColumns = new ArrayList<>();
    Map<String, String> kinds = new LinkedHashMap<>();
    boolean specInputs = spec != null && spec.getInputsCount() > 0;
    if (specInputs) {
      Set<String> named = new LinkedHashSet<>();
      for (InputSpec in : spec.getInputsList()) {
        if (!in.getModality().equals("table")) {
          if (!columns.contains(in.getName())) {
            throw new InvalidInputException("data " + file + ": the spec's " + in.getModality() + " input '"
                + in.getName() + "' has no column of that name; columns: " + columns);
          }
          named.add(in.getName());
          kinds.put(in.getName(), in.getModality());
        }
        inputs.add(in);
      }
      for (String c : columns) {
        if (!c.equals(label) && !named.contains(c)) {
          tableColumns.add(c);
        }
      }
    } else {
      for (String c : columns) {
        if (c.equals(label)) {
          continue;
        }
        String kind = inferKind(c, rows);
        if (kind.equals("table")) {
          tableColumns.add(c);
        } else {
          kinds.put(c, kind);
          inputs.add(InputSpec.newBuilder().setName(c).setModality(kind).build());
        }
      }
      if (!tableColumns.isEmpty()) {
        inputs.add(InputSpec.newBuilder().setName("table").setModality("table").build());
      }
    }
    List<Map<String, Object>> examples = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    for (Map<String, String> row : rows) {
      Map<String, Object> ex = new LinkedHashMap<>();
      for (InputSpec in : inputs) {
        if (in.getModality().equals("table")) {
          Map<String, String> cells = new LinkedHashMap<>();
          boolean any = false;
          for (String c : tableColumns) {
            String v = row.getOrDefault(c, "");
            cells.put(c, v);
            any |= !MISSING.contains(v.trim());
          }
          ex.put(in.getName(), any ? cells : null);
        } else {
          String v = row.getOrDefault(in.getName(), "");
          if (MISSING.contains(v.trim())) {
            ex.put(in.getName(), null);
          } else if (kinds.get(in.getName()).equals("image")) {
            ex.put(in.getName(), base.resolve(v.trim()));
          } else {
            ex.put(in.getName(), v);
          }
        }
      }
      examples.add(ex);
      labels.add(label == null ? "" : row.getOrDefault(label, "").trim());
    }
    return new Dataset(file.toString(), inputs, examples, labels);
  }

  /** image when most values are image file names, text when they are words, table otherwise. */
  static String inferKind(String column, List<Map<String, String>> rows) {
    int present = 0;
    int images = 0;
    int numbers = 0;
    long words = 0;
    for (Map<String, String> row : rows) {
      String v = row.getOrDefault(column, "").trim();
      if (MISSING.contains(v)) {
        continue;
      }
      present++;
      String lower = v.toLowerCase(Locale.ROOT);
      int dot = lower.lastIndexOf('.');
      if (dot > 0 && IMAGE_SUFFIXES.contains(lower.substring(dot))) {
        images++;
      }
      try {
        Double.parseDouble(v);
        numbers++;
      } catch (NumberFormatException e) {
        words += v.split("\\s+").length;
      }
    }
    if (present == 0) {
      return "table";
    }
    if (images * 10 >= present * 8) {
      return "image";
    }
    if (numbers < present && (double) words / (present - numbers) >= 3) {
      return "text";
    }
    return "table";
  }

  private static void readCsv(Path file, List<String> columns, List<Map<String, String>> rows) throws IOException {
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8);
        CSVParser parser = CSVParser.parse(r, CSVFormat.DEFAULT.builder().setIgnoreEmptyLines(true).get())) {
      for (CSVRecord rec : parser) {
        String[] cells = rec.values();
        if (columns.isEmpty()) {
          for (String c : cells) {
            columns.add(c.startsWith("\uFEFF") ? c.substring(1) : c);
          }
          continue;
        }
        if (cells.length != columns.size()) {
          throw new InvalidInputException("data " + file + ": row " + rec.getRecordNumber() + " has " + cells.length
              + " cells; expected " + columns.size());
        }
        Map<String, String> row = new LinkedHashMap<>();
        for (int i = 0; i < cells.length; i++) {
          row.put(columns.get(i), cells[i]);
        }
        rows.add(row);
      }
    } catch (java.io.UncheckedIOException | IllegalStateException e) {
      throw new InvalidInputException("data " + file + ": malformed CSV: " + e.getMessage(), e);
    }
  }

  private static void readJsonl(Path file, List<String> columns, List<Map<String, String>> rows) throws IOException {
    Set<String> seen = new LinkedHashSet<>();
    int lineNo = 0;
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      lineNo++;
      if (line.isBlank()) {
        continue;
      }
      JsonObject o;
      try {
        JsonElement e = JsonParser.parseString(line);
        o = e.getAsJsonObject();
      } catch (RuntimeException e) {
        throw new InvalidInputException("data " + file + ": line " + lineNo + " is not a JSON object", e);
      }
      Map<String, String> row = new LinkedHashMap<>();
      for (Map.Entry<String, JsonElement> e : o.entrySet()) {
        seen.add(e.getKey());
        JsonElement v = e.getValue();
        row.put(e.getKey(), v.isJsonNull() ? "" : v.isJsonPrimitive() ? v.getAsString() : v.toString());
      }
      rows.add(row);
    }
    columns.addAll(seen);
  }
}
