package io.mmfuse.fusion.data;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.mmfuse.api.ColumnSample;
import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.MissingValues;
import io.mmfuse.api.TokenizerFactory;
import io.mmfuse.api.plugin.ModalityRegistry;
import io.mmfuse.api.plugin.Plugins;
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
 * A training or evaluation data set read from a CSV or JSONL file: each column is an input, of the modality whose
 * plugin claims it (a column of image paths relative to the file: image; free text: text; the rest together: one
 * table input named {@code table}; a plugin's own kind of column: that plugin's); the label column is named by the
 * caller. The spec may name the inputs itself.
 *
 * @param source the file, named in errors
 * @param file the file read (null for data made in memory)
 * @param labelColumn the label column ("" for unlabelled data)
 * @param inputs the inputs' specs (name and modality; settings from the spec when it gave them)
 * @param examples per example, its inputs by name: a String (text), a Path (image), a Map of cells (table), or null
 *     when missing
 * @param labels per example, the label cell ("" when the file has no label column)
 * @param groups per example, its group's value ({@link ReadOptions#group()}); empty when no group column was named
 * @param columns what was inferred of each column of the file, in file order, with what looks wrong
 */
public record Dataset(String source, Path file, String labelColumn, List<InputSpec> inputs,
    List<Map<String, Object>> examples, List<String> labels, List<String> groups, List<ColumnProfile> columns) {

  public Dataset {
    if (!groups.isEmpty() && groups.size() != examples.size()) {
      throw new IllegalArgumentException("groups: " + groups.size() + " for " + examples.size() + " examples");
    }
  }

  /** A data set made in memory, without groups or column profiles. */
  public Dataset(String source, Path file, String labelColumn, List<InputSpec> inputs,
      List<Map<String, Object>> examples, List<String> labels) {
    this(source, file, labelColumn, inputs, examples, labels, List.of(), List.of());
  }

  /**
   * How columns are read beyond what modalities claim.
   *
   * @param ignore columns that are never inputs
   * @param modalities columns whose modality is given (column to modality name: "text", "image", a plugin's), not
   *     inferred
   * @param group a column whose value names the thing a row measures (rows of one group are split together); never
   *     an input; null for none
   */
  public record ReadOptions(java.util.Set<String> ignore, Map<String, String> modalities, String group) {
    /** Nothing ignored, nothing forced, no group. */
    public static final ReadOptions NONE = new ReadOptions(java.util.Set.of(), Map.of(), null);

    public ReadOptions {
      ignore = java.util.Set.copyOf(ignore);
      modalities = Map.copyOf(modalities);
    }
  }

  /**
   * What a data set's reader inferred of one column, for the training log.
   *
   * @param name the column
   * @param role what it became: "label", "ignored", "group", or the input it feeds
   * @param modality the modality of that input ("" for the others)
   * @param present rows with a value
   * @param missing rows without one
   * @param distinct distinct present values
   * @param warnings what looks wrong (an id, a constant, a leak of the label), each with how to drop the column
   */
  public record ColumnProfile(String name, String role, String modality, int present, int missing, int distinct,
      List<String> warnings) {
    public ColumnProfile {
      warnings = List.copyOf(warnings);
    }
  }

  /** Reads a file with the modality plugins on this class's class path; see {@link #read(Path, String, ModelSpec, ModalityRegistry)}. */
  public static Dataset read(Path file, String label, ModelSpec spec) {
    return read(file, label, spec, Plugins.load(Dataset.class.getClassLoader()));
  }

  /** Reads a file with no options; see {@link #read(Path, String, ModelSpec, ModalityRegistry, ReadOptions)}. */
  public static Dataset read(Path file, String label, ModelSpec spec, ModalityRegistry registry) {
    return read(file, label, spec, registry, ReadOptions.NONE);
  }

  /**
   * Reads a file; {@code label} may be null for unlabelled data; {@code spec} may be null or name the inputs. Columns
   * the spec does not name are claimed by the registered modalities ({@link TokenizerFactory#claim}) unless the
   * options ignore them or give their modality: the strongest claim wins, and the columns of a modality that groups
   * them (the table) form one input named after it.
   */
  public static Dataset read(Path file, String label, ModelSpec spec, ModalityRegistry registry,
      ReadOptions options) {
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
    String group = options.group();
    if (group != null && !columns.contains(group)) {
      throw new InvalidInputException("data " + file + ": group column '" + group + "' is not among " + columns);
    }
    for (String c : options.ignore()) {
      if (!columns.contains(c)) {
        throw new InvalidInputException("data " + file + ": column '" + c + "' to ignore is not among " + columns);
      }
    }
    for (Map.Entry<String, String> e : options.modalities().entrySet()) {
      if (!columns.contains(e.getKey())) {
        throw new InvalidInputException("data " + file + ": column '" + e.getKey() + "' given as "
            + e.getValue() + " is not among " + columns);
      }
      // An unknown modality fails here, naming the ones registered.
      registry.factory(e.getValue());
      if (options.ignore().contains(e.getKey())) {
        throw new InvalidInputException("data " + file + ": column '" + e.getKey() + "' is both ignored and given"
            + " as " + e.getValue());
      }
    }
    Set<String> skipped = new LinkedHashSet<>(options.ignore());
    if (label != null) {
      skipped.add(label);
    }
    if (group != null) {
      skipped.add(group);
    }
    Path base = file.toAbsolutePath().getParent();
    // Per input: its spec, and the columns it reads (one, or a grouping modality's many).
    Map<String, InputSpec> inputs = new LinkedHashMap<>();
    Map<String, List<String>> reads = new LinkedHashMap<>();
    Set<String> named = new LinkedHashSet<>();
    List<String> grouping = new ArrayList<>();
    if (spec != null && spec.getInputsCount() > 0) {
      for (InputSpec in : spec.getInputsList()) {
        TokenizerFactory f = registry.factory(in.getModality());
        inputs.put(in.getName(), in);
        if (f.inputPerColumn()) {
          if (!columns.contains(in.getName())) {
            throw new InvalidInputException("data " + file + ": the spec's " + in.getModality() + " input '"
                + in.getName() + "' has no column of that name; columns: " + columns);
          }
          named.add(in.getName());
          reads.put(in.getName(), List.of(in.getName()));
        } else {
          reads.put(in.getName(), new ArrayList<>());
          grouping.add(in.getName());
        }
      }
      List<String> rest = new ArrayList<>();
      for (String c : columns) {
        if (!skipped.contains(c) && !named.contains(c)) {
          rest.add(c);
        }
      }
      // Columns no input names belong to the grouping inputs (the table), in file order.
      grouping.forEach(g -> reads.get(g).addAll(rest));
    } else {
      for (String c : columns) {
        if (skipped.contains(c)) {
          continue;
        }
        String forced = options.modalities().get(c);
        TokenizerFactory f = forced != null ? registry.factory(forced) : claimant(c, rows, registry, file);
        String input = f.inputPerColumn() ? c : f.modality();
        if (!inputs.containsKey(input)) {
          inputs.put(input, InputSpec.newBuilder().setName(input).setModality(f.modality()).build());
          reads.put(input, new ArrayList<>());
        }
        reads.get(input).add(c);
      }
    }
    if (inputs.isEmpty()) {
      throw new InvalidInputException("data " + file + ": no column is left to be an input (columns: " + columns
          + "; label, group and ignored: " + skipped + ")");
    }
    List<Map<String, Object>> examples = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    List<String> groups = new ArrayList<>();
    for (Map<String, String> row : rows) {
      Map<String, Object> ex = new LinkedHashMap<>();
      for (InputSpec in : inputs.values()) {
        TokenizerFactory f = registry.factory(in.getModality());
        if (f.inputPerColumn()) {
          String v = row.getOrDefault(in.getName(), "");
          ex.put(in.getName(), MissingValues.isMissing(v) ? null : f.cellValue(v, base));
        } else {
          Map<String, String> cells = new LinkedHashMap<>();
          boolean any = false;
          for (String c : reads.get(in.getName())) {
            String v = row.getOrDefault(c, "");
            cells.put(c, v);
            any |= !MissingValues.isMissing(v);
          }
          ex.put(in.getName(), any ? cells : null);
        }
      }
      examples.add(ex);
      labels.add(label == null ? "" : row.getOrDefault(label, "").trim());
      if (group != null) {
        groups.add(row.getOrDefault(group, "").trim());
      }
    }
    Map<String, String[]> roles = new LinkedHashMap<>();
    reads.forEach((input, cols) -> cols.forEach(c -> roles.put(c, new String[] {input,
        inputs.get(input).getModality()})));
    List<ColumnProfile> profiles = ColumnChecks.profile(columns, rows, labels, label, group, options.ignore(), roles);
    return new Dataset(file.toString(), file, label == null ? "" : label, List.copyOf(inputs.values()), examples,
        labels, groups, profiles);
  }

  /**
   * The columns that look like ids (many distinct values) whose value most validation rows share with a training
   * row, with the share: rows that measure the same thing twice, on both sides of a split (use a group column).
   */
  public Map<String, Double> sharedAcrossSplit(List<Integer> train, List<Integer> validation) {
    return ColumnChecks.sharedAcrossSplit(this, train, validation);
  }

  /** The same rows with other input specs (the same names, settings changed). */
  public Dataset withInputs(List<InputSpec> specs) {
    return new Dataset(source, file, labelColumn, List.copyOf(specs), examples, labels, groups, columns);
  }

  /** This data set's inputs as a spec names them, for reading another file (a validation file) the same way. */
  public ModelSpec inputSpec() {
    return ModelSpec.newBuilder().addAllInputs(inputs).build();
  }

  /** The modality whose claim on a column is strongest (ties: the first by name). */
  static TokenizerFactory claimant(String column, List<Map<String, String>> rows, ModalityRegistry registry,
      Path file) {
    List<String> present = new ArrayList<>();
    int missing = 0;
    for (Map<String, String> row : rows) {
      String v = row.getOrDefault(column, "");
      if (MissingValues.isMissing(v)) {
        missing++;
      } else {
        present.add(v.trim());
      }
    }
    ColumnSample sample = new ColumnSample(column, present, missing);
    TokenizerFactory best = null;
    double bestClaim = 0;
    for (TokenizerFactory f : registry.factories().values()) {
      double c = f.claim(sample);
      if (c > bestClaim) {
        best = f;
        bestClaim = c;
      }
    }
    if (best == null) {
      throw new InvalidInputException("data " + file + ": no registered modality claims column '" + column
          + "' (registered: " + String.join(", ", registry.names()) + "); name its input in a spec");
    }
    return best;
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
