package io.mmfuse.fusion.data;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.mmfuse.api.ColumnSample;
import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.Limits;
import io.mmfuse.api.MissingValues;
import io.mmfuse.api.TokenizerFactory;
import io.mmfuse.api.plugin.ModalityRegistry;
import io.mmfuse.api.proto.InputSpec;
import io.mmfuse.api.proto.ModelSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * A CSV or JSONL data set read from disk as it is needed. Opening it reads the file once, as a stream: it keeps where
 * each row starts (12 bytes a row), each row's group, and a seeded sample of at most {@link #PROFILE_ROWS} rows, from
 * which the modalities claim the columns and the columns are profiled; a row itself is read again, by its offset,
 * when it is asked for, from any thread. Rows that cannot be parsed (a wrong number of cells, a line that is not a
 * JSON object) fail with their line, or are skipped and reported under {@link BadRows#skip}.
 *
 * <p>Columns and inputs are inferred as {@link Dataset#read(Path, String, ModelSpec, ModalityRegistry,
 * Dataset.ReadOptions)} describes. Close it to close the file.
 */
public final class DataFile implements ExampleSource, AutoCloseable {
  /** At most this many rows, a seeded sample, are what the columns are inferred and profiled from. */
  public static final int PROFILE_ROWS = 10_000;

  private static final CSVFormat CSV = CSVFormat.DEFAULT.builder().setIgnoreEmptyLines(true).get();

  private final Path file;
  private final boolean jsonl;
  private final List<String> columns;
  private final Offsets offsets;
  private final int[] groupIds;
  private final List<String> groupNames;
  private final String label;
  private final List<InputSpec> inputs;
  private final Map<String, List<String>> reads;
  private final ModalityRegistry registry;
  private final Path base;
  private final List<Dataset.ColumnProfile> profiles;
  private final int profiled;
  private final BadRows bad;
  private final FileChannel channel;
  private final List<Skipped> skipped;

  private DataFile(Path file, boolean jsonl, List<String> columns, Offsets offsets, int[] groupIds,
      List<String> groupNames, String label, List<InputSpec> inputs, Map<String, List<String>> reads,
      ModalityRegistry registry, List<Dataset.ColumnProfile> profiles, int profiled, BadRows bad,
      FileChannel channel, List<Skipped> skipped) {
    this.file = file;
    this.jsonl = jsonl;
    this.columns = columns;
    this.offsets = offsets;
    this.groupIds = groupIds;
    this.groupNames = groupNames;
    this.label = label;
    this.inputs = inputs;
    this.reads = reads;
    this.registry = registry;
    this.base = file.toAbsolutePath().getParent();
    this.profiles = profiles;
    this.profiled = profiled;
    this.bad = bad;
    this.channel = channel;
    this.skipped = skipped;
  }

  /** Opens a file with no options, failing on bad rows. */
  public static DataFile open(Path file, String label, ModelSpec spec, ModalityRegistry registry) {
    return open(file, label, spec, registry, Dataset.ReadOptions.NONE, BadRows.FAIL);
  }

  /**
   * Opens a file: one streaming pass indexes its rows and infers its inputs ({@link Dataset#read(Path, String,
   * ModelSpec, ModalityRegistry, Dataset.ReadOptions)}); {@code bad} says what happens to rows that cannot be parsed,
   * then and whenever a row is read later.
   */
  public static DataFile open(Path file, String label, ModelSpec spec, ModalityRegistry registry,
      Dataset.ReadOptions options, BadRows bad) {
    String lower = file.getFileName().toString().toLowerCase(Locale.ROOT);
    boolean jsonl = lower.endsWith(".jsonl") || lower.endsWith(".json");
    Scan scan = new Scan(file, jsonl, bad, label, options.group());
    try {
      scan.run();
    } catch (IOException e) {
      throw new InvalidInputException("data " + file + ": cannot be read: " + e.getMessage(), e);
    }
    List<String> columns = scan.columns;
    if (scan.offsets.size == 0) {
      throw new InvalidInputException("data " + file + " has no examples");
    }
    bad.addRows(scan.offsets.size + bad.count());
    List<Map<String, String>> rows = scan.sampleRows();
    Inference inf = infer(file, columns, rows, label, spec, registry, options);
    List<String> labels = new ArrayList<>(rows.size());
    for (Map<String, String> row : rows) {
      labels.add(label == null ? "" : row.getOrDefault(label, "").trim());
    }
    Map<String, String[]> roles = new LinkedHashMap<>();
    inf.reads.forEach((input, cols) -> cols.forEach(c -> roles.put(c, new String[] {input,
        inf.inputs.get(input).getModality()})));
    List<Dataset.ColumnProfile> profiles = ColumnChecks.profile(columns, rows, labels, label, options.group(),
        options.ignore(), roles);
    FileChannel channel;
    try {
      channel = FileChannel.open(file, StandardOpenOption.READ);
    } catch (IOException e) {
      throw new InvalidInputException("data " + file + ": cannot be read: " + e.getMessage(), e);
    }
    return new DataFile(file, jsonl, List.copyOf(columns), scan.offsets, options.group() == null ? null
        : Arrays.copyOf(scan.groupIds, scan.offsets.size), List.copyOf(scan.groupNames), label,
        List.copyOf(inf.inputs.values()), inf.reads, registry, profiles, rows.size(), bad, channel,
        List.copyOf(scan.skipped));
  }

  /** Every row in memory, as a {@link Dataset}: for data sets small enough to hold. */
  public Dataset toDataset() {
    List<Map<String, Object>> examples = new ArrayList<>(size());
    List<String> labels = new ArrayList<>(size());
    for (int i = 0; i < size(); i++) {
      Example e = example(i);
      examples.add(e.inputs());
      labels.add(e.label());
    }
    return new Dataset(source(), file, labelColumn(), inputs, examples, labels, groups(), profiles);
  }

  /**
   * A row left out when the file was opened (it could not be parsed, and bad rows are skipped).
   *
   * @param before the index of the first good row after it (the size when none follows)
   * @param line where it starts
   * @param error why it was left out
   */
  public record Skipped(int before, long line, String error) {}

  /** The rows left out when the file was opened, in file order. */
  public List<Skipped> skipped() {
    return skipped;
  }

  /** The file's columns, in file order. */
  public List<String> fileColumns() {
    return columns;
  }

  /** How many rows the column profiles were computed on (all of them, or a sample of {@link #PROFILE_ROWS}). */
  public int profiledRows() {
    return profiled;
  }

  @Override
  public String source() {
    return file.toString();
  }

  @Override
  public Path file() {
    return file;
  }

  @Override
  public String labelColumn() {
    return label == null ? "" : label;
  }

  @Override
  public List<InputSpec> inputs() {
    return inputs;
  }

  @Override
  public List<Dataset.ColumnProfile> columns() {
    return profiles;
  }

  @Override
  public int size() {
    return offsets.size;
  }

  @Override
  public List<String> groups() {
    if (groupIds == null) {
      return List.of();
    }
    return new AbstractList<>() {
      @Override
      public String get(int i) {
        return groupNames.get(groupIds[i]);
      }

      @Override
      public int size() {
        return groupIds.length;
      }
    };
  }

  /** The line a row starts on (1-based). */
  public long line(int row) {
    return offsets.lines[row];
  }

  @Override
  public String where(int row) {
    return "data " + file + ", line " + offsets.lines[row];
  }

  @Override
  public void reject(int row, InvalidInputException error) {
    bad.reject(file.toString(), offsets.lines[row], error);
  }

  @Override
  public BadRows badRows() {
    return bad;
  }

  @Override
  public Example example(int row) {
    Map<String, String> cells = cells(row);
    Map<String, Object> ex = new LinkedHashMap<>();
    for (InputSpec in : inputs) {
      TokenizerFactory f = registry.factory(in.getModality());
      if (f.inputPerColumn()) {
        String v = cells.getOrDefault(in.getName(), "");
        try {
          ex.put(in.getName(), MissingValues.isMissing(v) ? null : f.cellValue(v, base));
        } catch (InvalidInputException e) {
          throw new InvalidInputException(where(row) + ", column '" + in.getName() + "': " + e.detail(), e);
        }
      } else {
        Map<String, String> group = new LinkedHashMap<>();
        boolean any = false;
        for (String c : reads.get(in.getName())) {
          String v = cells.getOrDefault(c, "");
          group.put(c, v);
          any |= !MissingValues.isMissing(v);
        }
        ex.put(in.getName(), any ? group : null);
      }
    }
    return new Example(ex, label == null ? "" : checkedLabel(cells.getOrDefault(label, "").trim(), row));
  }

  @Override
  public String label(int row) {
    return label == null ? "" : checkedLabel(cells(row).getOrDefault(label, "").trim(), row);
  }

  private String checkedLabel(String value, int row) {
    if (Limits.LABEL_CHARS.exceeded(value.length())) {
      throw new InvalidInputException(where(row) + ", label column '" + label + "': a label of "
          + Limits.LABEL_CHARS.refusal(value.length()) + "; labels become class names");
    }
    return value;
  }

  @Override
  public DataFile withInputs(List<InputSpec> specs) {
    return new DataFile(file, jsonl, columns, offsets, groupIds, groupNames, label, List.copyOf(specs), reads,
        registry, profiles, profiled, bad, channel, skipped);
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      throw new UncheckedIOException("data " + file + ": cannot be closed", e);
    }
  }

  /** A row's cells by column, read from its offset. */
  private Map<String, String> cells(int row) {
    byte[] bytes = new byte[offsets.lengths[row]];
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    long at = offsets.starts[row];
    try {
      while (buf.hasRemaining()) {
        int n = channel.read(buf, at + buf.position());
        if (n < 0) {
          throw new InvalidInputException(where(row) + ": the file ended early (did it change since it was opened?)");
        }
      }
    } catch (IOException e) {
      throw new InvalidInputException(where(row) + ": cannot be read: " + e.getMessage(), e);
    }
    return jsonl ? jsonRow(bytes, bytes.length, where(row)) : csvRow(bytes, bytes.length, columns, where(row));
  }

  /**
   * A row with a cell longer than {@link Limits#CELL_CHARS} is bad, and so skippable, rather than a class name or a
   * table value of megabytes.
   */
  private static void checkCell(String column, String value, String where) {
    if (Limits.CELL_CHARS.exceeded(value.length())) {
      throw new InvalidInputException(where + ", column '" + column + "': a cell of "
          + Limits.CELL_CHARS.refusal(value.length()));
    }
  }

  private static Map<String, String> csvRow(byte[] bytes, int length, List<String> columns, String where) {
    String[] cells = csvCells(bytes, length, where);
    if (cells.length != columns.size()) {
      throw new InvalidInputException(where + ": " + cells.length + " cells; expected " + columns.size()
          + " (the header's)");
    }
    Map<String, String> row = new LinkedHashMap<>();
    for (int i = 0; i < cells.length; i++) {
      checkCell(columns.get(i), cells[i], where);
      row.put(columns.get(i), cells[i]);
    }
    return row;
  }

  private static String[] csvCells(byte[] bytes, int length, String where) {
    try (CSVParser p = CSVParser.parse(new String(bytes, 0, length, StandardCharsets.UTF_8), CSV)) {
      List<CSVRecord> records = p.getRecords();
      if (records.size() != 1) {
        throw new InvalidInputException(where + ": holds " + records.size() + " CSV records where one was expected"
            + " (a carriage return alone ends a record)");
      }
      return records.get(0).values();
    } catch (IOException | UncheckedIOException | IllegalStateException e) {
      throw new InvalidInputException(where + ": malformed CSV: " + e.getMessage(), e);
    }
  }

  private static Map<String, String> jsonRow(byte[] bytes, int length, String where) {
    JsonObject o;
    try {
      JsonElement e = Limits.parseJson(new String(bytes, 0, length, StandardCharsets.UTF_8));
      if (!e.isJsonObject()) {
        throw new InvalidInputException(where + ": not a JSON object");
      }
      o = e.getAsJsonObject();
    } catch (com.google.gson.JsonParseException e) {
      throw new InvalidInputException(where + ": not a JSON object (" + e.getMessage() + ")", e);
    }
    Map<String, String> row = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> e : o.entrySet()) {
      JsonElement v = e.getValue();
      String cell = v.isJsonNull() ? "" : v.isJsonPrimitive() ? v.getAsString() : v.toString();
      checkCell(e.getKey(), cell, where);
      row.put(e.getKey(), cell);
    }
    return row;
  }

  /** Where each row starts, how long it is, and the line it starts on. */
  private static final class Offsets {
    long[] starts = new long[1024];
    int[] lengths = new int[1024];
    long[] lines = new long[1024];
    int size;

    void add(long start, int length, long line) {
      if (size == starts.length) {
        int n = size * 2;
        starts = Arrays.copyOf(starts, n);
        lengths = Arrays.copyOf(lengths, n);
        lines = Arrays.copyOf(lines, n);
      }
      starts[size] = start;
      lengths[size] = length;
      lines[size] = line;
      size++;
    }
  }

  /** The streaming pass: record boundaries, the header, parse checks, groups and the sample. */
  private static final class Scan {
    private static final int FIELD_START = 0;
    private static final int UNQUOTED = 1;
    private static final int QUOTED = 2;
    private static final int QUOTE_IN_QUOTED = 3;

    final Path file;
    final boolean jsonl;
    final BadRows bad;
    final String group;
    final List<String> columns = new ArrayList<>();
    final Set<String> seen = new LinkedHashSet<>();
    final Offsets offsets = new Offsets();
    int[] groupIds = new int[1024];
    final List<String> groupNames = new ArrayList<>();
    final Map<String, Integer> groupIndex = new HashMap<>();
    final Random random = new Random(0x5EED);
    final List<Map<String, String>> sample = new ArrayList<>();
    final List<Integer> sampleRows = new ArrayList<>();
    final List<Skipped> skipped = new ArrayList<>();
    byte[] record = new byte[4096];
    int recordLength;
    long recordLine;
    final long maxRowBytes = Limits.ROW_BYTES.value();

    Scan(Path file, boolean jsonl, BadRows bad, String label, String group) {
      this.file = file;
      this.jsonl = jsonl;
      this.bad = bad;
      this.group = group;
    }

    void run() throws IOException {
      try (InputStream in = Files.newInputStream(file)) {
        long pos = 0;
        long line = 1;
        long start = 0;
        recordLine = 1;
        int state = FIELD_START;
        recordLength = 0;
        byte[] chunk = new byte[1 << 16];
        int n;
        while ((n = in.read(chunk)) > 0) {
          for (int k = 0; k < n; k++) {
            int b = chunk[k] & 0xFF;
            pos++;
            if (b == '\n') {
              line++;
              if (jsonl || state != QUOTED) {
                record(start, recordLine);
                start = pos;
                recordLine = line;
                state = FIELD_START;
                continue;
              }
            }
            append(b);
            if (!jsonl) {
              state = switch (state) {
                case FIELD_START -> b == '"' ? QUOTED : b == ',' ? FIELD_START : UNQUOTED;
                case UNQUOTED -> b == ',' ? FIELD_START : UNQUOTED;
                case QUOTED -> b == '"' ? QUOTE_IN_QUOTED : QUOTED;
                default -> b == '"' ? QUOTED : b == ',' ? FIELD_START : UNQUOTED;
              };
            }
          }
        }
        record(start, recordLine);
      }
      if (jsonl) {
        columns.addAll(seen);
      } else if (columns.isEmpty()) {
        throw new InvalidInputException("data " + file + " has no header row");
      }
    }

    private void append(int b) {
      if (recordLength >= maxRowBytes) {
        throw new InvalidInputException("data " + file + ", line " + recordLine + ": a row of more than "
            + Limits.ROW_BYTES.refusal(recordLength) + (jsonl ? "" : "; is a quote left open?"));
      }
      if (recordLength == record.length) {
        record = Arrays.copyOf(record, record.length * 2);
      }
      record[recordLength++] = (byte) b;
    }

    /** The record of bytes [start, start + recordLength), less a trailing carriage return. */
    private void record(long start, long line) {
      int length = recordLength;
      recordLength = 0;
      if (length > 0 && record[length - 1] == '\r') {
        length--;
      }
      if (length == 0 || jsonl && new String(record, 0, length, StandardCharsets.UTF_8).isBlank()) {
        return;
      }
      String where = "data " + file + ", line " + line;
      if (!jsonl && columns.isEmpty()) {
        for (String c : csvCells(record, length, where)) {
          String name = columns.isEmpty() && c.startsWith("\uFEFF") ? c.substring(1) : c;
          if (columns.contains(name)) {
            throw new InvalidInputException("data " + file + ": the header names column '" + name + "' twice"
                + " (columns " + (columns.indexOf(name) + 1) + " and " + (columns.size() + 1) + "); each column"
                + " needs a name of its own");
          }
          columns.add(name);
        }
        return;
      }
      Map<String, String> row;
      try {
        row = jsonl ? jsonRow(record, length, where) : csvRow(record, length, columns, where);
      } catch (InvalidInputException e) {
        bad.reject(file.toString(), line, e);
        skipped.add(new Skipped(offsets.size, line, e.getMessage()));
        return;
      }
      if (jsonl) {
        seen.addAll(row.keySet());
      }
      int index = offsets.size;
      if (Limits.ROWS.exceeded(index + 1L)) {
        throw new InvalidInputException("data " + file + ", line " + line + ": more than "
            + Limits.ROWS.refusal(index));
      }
      offsets.add(start, length, line);
      if (group != null) {
        if (index == groupIds.length) {
          groupIds = Arrays.copyOf(groupIds, index * 2);
        }
        String g = row.getOrDefault(group, "").trim();
        groupIds[index] = groupIndex.computeIfAbsent(g, k -> {
          groupNames.add(k);
          return groupNames.size() - 1;
        });
      }
      // A seeded reservoir sample: every row is equally likely to be in it.
      if (sample.size() < PROFILE_ROWS) {
        sample.add(row);
        sampleRows.add(index);
      } else {
        long j = random.nextLong(index + 1L);
        if (j < PROFILE_ROWS) {
          sample.set((int) j, row);
          sampleRows.set((int) j, index);
        }
      }
    }

    /** The sample, in file order. */
    List<Map<String, String>> sampleRows() {
      Integer[] order = new Integer[sample.size()];
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
      Arrays.sort(order, (a, b) -> Integer.compare(sampleRows.get(a), sampleRows.get(b)));
      List<Map<String, String>> out = new ArrayList<>(order.length);
      for (Integer i : order) {
        out.add(sample.get(i));
      }
      return out;
    }
  }

  private record Inference(Map<String, InputSpec> inputs, Map<String, List<String>> reads) {}

  /** Which input each column feeds: the spec's, else the strongest claim of a registered modality. */
  private static Inference infer(Path file, List<String> columns, List<Map<String, String>> rows, String label,
      ModelSpec spec, ModalityRegistry registry, Dataset.ReadOptions options) {
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
    Map<String, InputSpec> inputs = new LinkedHashMap<>();
    Map<String, List<String>> reads = new LinkedHashMap<>();
    if (spec != null && spec.getInputsCount() > 0) {
      Set<String> named = new LinkedHashSet<>();
      List<String> grouping = new ArrayList<>();
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
    return new Inference(inputs, reads);
  }

  /** The modality whose claim on a column is strongest (ties: the first by name). */
  private static TokenizerFactory claimant(String column, List<Map<String, String>> rows, ModalityRegistry registry,
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
}
