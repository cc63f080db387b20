package io.mmfuse.modality.table;

import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.ModalityTokenizer;
import io.mmfuse.api.TokenSequence;
import io.mmfuse.api.TokenSpace;
import io.mmfuse.api.proto.InputValue;
import io.mmfuse.api.proto.PositionLayout;
import io.mmfuse.api.proto.TokenKind;
import io.mmfuse.modality.table.proto.ColumnKind;
import io.mmfuse.modality.table.proto.ColumnSpec;
import io.mmfuse.modality.table.proto.ColumnState;
import io.mmfuse.modality.table.proto.InfinityPolicy;
import io.mmfuse.modality.table.proto.TableSettings;
import io.mmfuse.modality.table.proto.TableState;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The table modality, FT-Transformer style: one token per column, in schema order. A numeric cell becomes its
 * column's value id with the standardized value as the token's scale (fusion-core multiplies the column's vector by
 * it); a categorical or boolean cell becomes an id in its column's own range of one shared embedding table. A missing
 * cell becomes its column's missing id, never a silent 0. The statistics are fitted on training rows only, kept as a
 * {@link TableState} and applied unchanged at prediction time. Immutable and thread-safe.
 */
public final class TableTokenizer implements ModalityTokenizer<Map<String, ?>> {
  private static final System.Logger LOG = System.getLogger(TableTokenizer.class.getName());

  /** Cell texts read as missing unless the spec says otherwise. */
  public static final List<String> DEFAULT_MISSING = io.mmfuse.api.MissingValues.DEFAULT;

  private static final Set<String> TRUE = Set.of("true", "yes", "y", "t");
  private static final Set<String> FALSE = Set.of("false", "no", "n", "f");

  private final TableState state;
  private final ColumnState[] columns;
  private final Map<String, Integer> columnIndex = new HashMap<>();
  private final List<Map<String, Integer>> vocabularies = new ArrayList<>();
  private final Set<String> missing;
  private final TokenSpace space;
  private final Set<Set<String>> warnedUnknown = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** Builds the tokenizer of a fitted state. */
  public TableTokenizer(TableState state) {
    this.state = state;
    this.columns = state.getColumnsList().toArray(new ColumnState[0]);
    if (columns.length == 0) {
      throw new InvalidConfigurationException("table state has no columns");
    }
    for (int i = 0; i < columns.length; i++) {
      columnIndex.put(columns[i].getName(), i);
      Map<String, Integer> vocab = new HashMap<>();
      for (int v = 0; v < columns[i].getVocabularyCount(); v++) {
        vocab.put(columns[i].getVocabulary(v), v);
      }
      vocabularies.add(vocab);
    }
    this.missing = new HashSet<>(state.getMissingValuesList());
    this.space =
        TokenSpace.scaledDiscrete(TableTokenizerFactory.MODALITY, state.getVocabularySize(), columns.length);
  }

  /** Returns the fitted state, to be saved with the model. */
  public TableState state() {
    return state;
  }

  /** Returns the token columns in order. */
  public List<String> columnNames() {
    return Arrays.stream(columns).map(ColumnState::getName).toList();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Fitting

  /**
   * Infers the schema of a training table (label excluded), applies the settings' overrides and fits every column's
   * statistics on these rows only.
   */
  public static TableTokenizer fit(TableData train, String label, TableSettings settings) {
    if (label != null && !label.isEmpty() && train.indexOf(label) < 0) {
      throw new InvalidConfigurationException(
          "table " + train.source() + ": label column '" + label + "' is not among " + train.columns());
    }
    List<String> missingValues =
        settings.getMissingValuesCount() > 0 ? settings.getMissingValuesList() : DEFAULT_MISSING;
    Set<String> missing = new HashSet<>(missingValues);
    Map<String, ColumnSpec> overrides = new HashMap<>();
    for (ColumnSpec c : settings.getColumnsList()) {
      if (train.indexOf(c.getName()) < 0 && c.getKind() != ColumnKind.IGNORED) {
        throw new InvalidConfigurationException(
            "table settings name column '" + c.getName() + "', which " + train.source() + " does not have");
      }
      overrides.put(c.getName(), c);
    }
    TableState.Builder state =
        TableState.newBuilder().addAllMissingValues(missingValues).setInfinity(settings.getInfinity())
            .setLabel(label == null ? "" : label);
    int offset = 0;
    for (int col = 0; col < train.columns().size(); col++) {
      String name = train.columns().get(col);
      if (name.equals(label)) {
        continue;
      }
      ColumnSpec override = overrides.get(name);
      ColumnKind kind =
          override != null && override.getKind() != ColumnKind.COLUMN_KIND_UNSPECIFIED
              ? override.getKind()
              : inferKind(train, col, missing);
      if (kind == ColumnKind.IGNORED) {
        state.addIgnored(name);
        continue;
      }
      ColumnState.Builder c =
          ColumnState.newBuilder().setName(name).setKind(kind).setOffset(offset)
              .setRequired(override != null && override.getRequired());
      if (kind == ColumnKind.NUMERIC) {
        fitNumeric(train, col, missing, settings, c);
        offset += 2;
      } else {
        fitCategories(train, col, missing, kind, Math.max(1, settings.getMinFrequency()), c);
        offset += 2 + c.getVocabularyCount();
      }
      state.addColumns(c);
    }
    if (state.getColumnsCount() == 0) {
      throw new InvalidConfigurationException("table " + train.source() + " has no column to tokenize besides the label");
    }
    return new TableTokenizer(state.setVocabularySize(offset).build());
  }

  /** Numeric when every present cell is a number, boolean when every one is true/false/yes/no, else categorical. */
  static ColumnKind inferKind(TableData t, int col, Set<String> missing) {
    boolean numeric = true;
    boolean bool = true;
    boolean any = false;
    for (String[] row : t.rows()) {
      String cell = row[col].trim();
      if (missing.contains(cell)) {
        continue;
      }
      any = true;
      String lower = cell.toLowerCase(Locale.ROOT);
      bool &= TRUE.contains(lower) || FALSE.contains(lower);
      if (numeric) {
        try {
          Double.parseDouble(cell);
        } catch (NumberFormatException e) {
          numeric = false;
        }
      }
      if (!numeric && !bool) {
        break;
      }
    }
    if (!any) {
      return ColumnKind.CATEGORICAL;
    }
    return numeric ? ColumnKind.NUMERIC : bool ? ColumnKind.BOOLEAN : ColumnKind.CATEGORICAL;
  }

  private static void fitNumeric(TableData t, int col, Set<String> missing, TableSettings s, ColumnState.Builder c) {
    double[] values = new double[t.rows().size()];
    int n = 0;
    for (int r = 0; r < t.rows().size(); r++) {
      String cell = t.rows().get(r)[col].trim();
      if (missing.contains(cell)) {
        continue;
      }
      double v = parse(cell, t.source(), t.firstRowNumber() + r, c.getName());
      if (Double.isFinite(v)) {
        values[n++] = v;
      }
    }
    double center = 0;
    double scale = 1;
    double min = 0;
    double max = 0;
    if (n > 0) {
      double[] v = Arrays.copyOf(values, n);
      Arrays.sort(v);
      min = v[0];
      max = v[n - 1];
      if (s.getQuantile()) {
        center = quantile(v, 0.5);
        scale = (quantile(v, 0.75) - quantile(v, 0.25)) / 1.349;
      } else {
        double sum = 0;
        for (double x : v) {
          sum += x;
        }
        center = sum / n;
        double sq = 0;
        for (double x : v) {
          sq += (x - center) * (x - center);
        }
        scale = Math.sqrt(sq / n);
      }
      if (!(scale > 0)) {
        scale = 1;
      }
    }
    c.setCenter(center).setScale(scale).setMin(min).setMax(max)
        .setClip(s.getClipStds() > 0 ? s.getClipStds() : Double.MAX_VALUE);
  }

  /** Linear interpolation between order statistics (numpy's default). */
  static double quantile(double[] sorted, double q) {
    double pos = q * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(lo + 1, sorted.length - 1);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
  }

  private static void fitCategories(
      TableData t, int col, Set<String> missing, ColumnKind kind, int minFrequency, ColumnState.Builder c) {
    if (kind == ColumnKind.BOOLEAN) {
      c.addVocabulary("false").addVocabulary("true");
      return;
    }
    Map<String, Integer> counts = new TreeMap<>();
    for (String[] row : t.rows()) {
      String cell = row[col].trim();
      if (!missing.contains(cell)) {
        counts.merge(cell, 1, Integer::sum);
      }
    }
    counts.entrySet().stream()
        .filter(e -> e.getValue() >= minFrequency)
        .sorted((a, b) -> b.getValue().equals(a.getValue()) ? a.getKey().compareTo(b.getKey()) : b.getValue() - a.getValue())
        .forEach(e -> c.addVocabulary(e.getKey()));
  }

  private static double parse(String cell, String source, int row, String column) {
    try {
      return Double.parseDouble(cell);
    } catch (NumberFormatException e) {
      throw new InvalidInputException(
          "table " + source + ": row " + row + ", column '" + column + "': expected a number, found '" + cell + "'");
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Tokenizing

  /** Binds a header once, so that rows of that layout are tokenized without looking names up. */
  public RowTokenizer bind(List<String> header, String source) {
    int[] index = new int[columns.length];
    Set<String> known = new HashSet<>();
    for (int i = 0; i < columns.length; i++) {
      index[i] = header.indexOf(columns[i].getName());
      known.add(columns[i].getName());
      if (index[i] < 0 && columns[i].getRequired()) {
        throw new InvalidInputException(
            "table " + source + ": required column '" + columns[i].getName() + "' is missing");
      }
    }
    Set<String> unknown = new LinkedHashSet<>(header);
    unknown.removeAll(known);
    unknown.remove(state.getLabel());
    state.getIgnoredList().forEach(unknown::remove);
    warnUnknown(unknown, source);
    return new RowTokenizer(index, source);
  }

  private void warnUnknown(Set<String> unknown, String source) {
    if (!unknown.isEmpty() && warnedUnknown.add(Set.copyOf(unknown))) {
      LOG.log(System.Logger.Level.WARNING, "table {0}: ignoring columns the model does not know: {1}", source,
          String.join(", ", unknown));
    }
  }

  /** Tokenizes rows laid out as one header describes. */
  public final class RowTokenizer {
    private final int[] index;
    private final String source;

    private RowTokenizer(int[] index, String source) {
      this.index = index;
      this.source = source;
    }

    /** Tokenizes one row of cells; {@code rowNumber} names it in errors. */
    public TokenSequence tokenize(String[] cells, int rowNumber) {
      int n = columns.length;
      int[] ids = new int[n];
      float[] scales = new float[n];
      for (int i = 0; i < n; i++) {
        int at = index[i];
        encode(i, at < 0 ? null : cells[at], ids, scales, source, rowNumber);
      }
      return new TokenSequence(
          TableTokenizerFactory.MODALITY, TokenKind.DISCRETE, ids, scales, 0, null, PositionLayout.SEQUENCE,
          POSITIONS.length >= n ? Arrays.copyOf(POSITIONS, n) : TokenSequence.range(n), null);
    }

    /** Tokenizes every row of a table. */
    public List<TokenSequence> tokenizeAll(TableData data) {
      List<TokenSequence> out = new ArrayList<>(data.rows().size());
      for (int r = 0; r < data.rows().size(); r++) {
        out.add(tokenize(data.rows().get(r), data.firstRowNumber() + r));
      }
      return out;
    }
  }

  private static final int[] POSITIONS = TokenSequence.range(1024);

  /** Writes the id and scale of column {@code i} for one cell (null when the column is absent). */
  private void encode(int i, String raw, int[] ids, float[] scales, String source, int row) {
    ColumnState c = columns[i];
    int offset = c.getOffset();
    String cell = raw == null ? null : raw.trim();
    boolean isMissing = cell == null || missing.contains(cell);
    if (c.getKind() == ColumnKind.NUMERIC) {
      if (isMissing) {
        ids[i] = offset + 1;
        scales[i] = 1f;
        return;
      }
      double v = parse(cell, source, row, c.getName());
      if (Double.isNaN(v)) {
        ids[i] = offset + 1;
        scales[i] = 1f;
        return;
      }
      if (Double.isInfinite(v)) {
        if (state.getInfinity() != InfinityPolicy.INFINITY_CLIP) {
          throw new InvalidInputException(
              "table " + source + ": row " + row + ", column '" + c.getName() + "': " + cell
                  + " is infinite; expected a finite number (or set infinity: INFINITY_CLIP)");
        }
        v = v > 0 ? c.getMax() : c.getMin();
      }
      double z = (v - c.getCenter()) / c.getScale();
      double clip = c.getClip();
      z = z > clip ? clip : z < -clip ? -clip : z;
      ids[i] = offset;
      scales[i] = (float) z;
      return;
    }
    scales[i] = 1f;
    if (isMissing) {
      ids[i] = offset;
      return;
    }
    String key = cell;
    if (c.getKind() == ColumnKind.BOOLEAN) {
      String lower = cell.toLowerCase(Locale.ROOT);
      key = TRUE.contains(lower) || lower.equals("1") ? "true" : FALSE.contains(lower) || lower.equals("0") ? "false"
          : cell;
    }
    Integer v = vocabularies.get(i).get(key);
    ids[i] = v == null ? offset + 1 : offset + 2 + v;
  }

  @Override
  public String modality() {
    return TableTokenizerFactory.MODALITY;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  @Override
  public Class<Map<String, ?>> inputType() {
    return (Class) Map.class;
  }

  @Override
  public TokenSpace tokenSpace() {
    return space;
  }

  /** Tokenizes one row given by column name (library use); values are strings, numbers, booleans or null. */
  @Override
  public TokenSequence tokenize(Map<String, ?> row) {
    int n = columns.length;
    int[] ids = new int[n];
    float[] scales = new float[n];
    for (int i = 0; i < n; i++) {
      String name = columns[i].getName();
      Object value = row.get(name);
      if (value == null && !row.containsKey(name) && columns[i].getRequired()) {
        throw new InvalidInputException("table row: required column '" + name + "' is missing");
      }
      encode(i, value == null ? null : value.toString(), ids, scales, "row", 0);
    }
    Set<String> unknown = new LinkedHashSet<>(row.keySet());
    unknown.removeAll(columnIndex.keySet());
    unknown.remove(state.getLabel());
    state.getIgnoredList().forEach(unknown::remove);
    warnUnknown(unknown, "row");
    return TokenSequence.ofScaledIds(modality(), ids, scales);
  }

  @Override
  public TokenSequence tokenize(InputValue value) {
    return value.hasTable() ? tokenize(value.getTable().getCellsMap()) : ModalityTokenizer.super.tokenize(value);
  }
}
