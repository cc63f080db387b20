package io.mmfuse.spark;

import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.MissingValues;
import io.mmfuse.api.TokenizerFactory;
import io.mmfuse.api.plugin.ModalityRegistry;
import io.mmfuse.api.proto.FloatSeries;
import io.mmfuse.api.proto.InputSpec;
import io.mmfuse.api.proto.InputValue;
import io.mmfuse.api.proto.ModelSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Which DataFrame columns feed which input of a bundle, and how each column's values become the values the modality
 * plugins take; made on the driver from the schema (where every problem is found before a job runs), applied on the
 * executors row by row. Serializable: it holds names and indices, never a model.
 *
 * <p>An input of a per-column modality (text, image, a third party's) reads one column: the one the mapping names,
 * else the column of the input's name, else its tokens ({@code <input>_tokens}, as {@link MmfuseTokenizer} writes
 * them), else none (the input is missing in every row). A grouping input (the table) reads a list of columns: the
 * mapping's (comma-separated), else its tokens, else every column of a plain type that no other input, the id or the
 * outputs take.
 */
final class InputPlan implements Serializable {
  private static final long serialVersionUID = 1L;
  /** The suffix of the column {@link MmfuseTokenizer} writes an input's tokens to. */
  static final String TOKENS_SUFFIX = "_tokens";
  private static final Pattern URI = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*:/.*");

  /** How a column's values are read. */
  enum Kind {
    /** A string (or a number or boolean, as its text): the plugin's own {@code cellValue}, as in a data file. */
    CELL,
    /** Encoded bytes (Spark's binaryFile {@code content}). */
    BYTES,
    /** Spark's image data source struct: BGR(A) bytes, row-major. */
    IMAGE_STRUCT,
    /** Token sequences written by {@link MmfuseTokenizer}. */
    TOKENS,
    /** An array of numbers: a series, for series-like plugins. */
    SERIES
  }

  /** One input: its columns (their indices in the input schema) and how they are read. */
  record Input(String name, String modality, boolean grouping, List<String> columns, int[] indices, Kind kind)
      implements Serializable {}

  private final List<Input> inputs;
  private final int idIndex;
  private final String idColumn;
  private final String imageRoot;

  private InputPlan(List<Input> inputs, int idIndex, String idColumn, String imageRoot) {
    this.inputs = inputs;
    this.idIndex = idIndex;
    this.idColumn = idColumn;
    this.imageRoot = imageRoot;
  }

  List<Input> inputs() {
    return inputs;
  }

  /** The columns the inputs read, in input order (for the errors of the schema check and for the tokenizer). */
  static InputPlan of(ModelSpec spec, ModalityRegistry registry, StructType schema, Map<String, String> mapping,
      String idColumn, Set<String> taken, String imageRoot) {
    Set<String> inputNames = new HashSet<>();
    spec.getInputsList().forEach(i -> inputNames.add(i.getName()));
    for (String m : mapping.keySet()) {
      if (!inputNames.contains(m)) {
        throw new InvalidConfigurationException("input columns: the bundle has no input '" + m + "'; its inputs: "
            + inputNames);
      }
    }
    List<String> all = List.of(schema.fieldNames());
    int idIndex = -1;
    if (idColumn != null && !idColumn.isEmpty()) {
      if (!all.contains(idColumn)) {
        throw new InvalidInputException("id column '" + idColumn + "' is not among the columns " + all);
      }
      idIndex = schema.fieldIndex(idColumn);
    }
    Set<String> used = new HashSet<>(taken);
    if (idIndex >= 0) {
      used.add(idColumn);
    }
    if (!spec.getHead().getLabelColumn().isEmpty()) {
      // The column the bundle was trained to predict is never one of its inputs.
      used.add(spec.getHead().getLabelColumn());
    }
    List<Input> out = new ArrayList<>();
    List<InputSpec> grouping = new ArrayList<>();
    for (InputSpec in : spec.getInputsList()) {
      TokenizerFactory f = registry.factory(in.getModality());
      String tokens = in.getName() + TOKENS_SUFFIX;
      boolean tokenized = all.contains(tokens)
          && TokenColumns.isTokenType(schema.fields()[schema.fieldIndex(tokens)].dataType());
      if (!f.inputPerColumn() && (mapping.containsKey(in.getName()) || !tokenized)) {
        grouping.add(in);
        continue;
      }
      if (f.inputPerColumn()) {
        // A column of the input's name is never swept into a table, whatever feeds the input.
        used.add(in.getName());
      }
      String column = mapping.getOrDefault(in.getName(), f.inputPerColumn() && all.contains(in.getName())
          ? in.getName() : tokenized ? tokens : null);
      if (column == null) {
        if (in.getRequired()) {
          throw new InvalidInputException("input '" + in.getName() + "' (" + in.getModality() + ") is required and"
              + " no column feeds it: name one with setInputCol(\"" + in.getName() + "\", COLUMN); columns: " + all);
        }
        out.add(new Input(in.getName(), in.getModality(), false, List.of(), new int[0], Kind.CELL));
        continue;
      }
      if (!all.contains(column)) {
        throw new InvalidInputException("input '" + in.getName() + "': column '" + column + "' is not among the"
            + " columns " + all);
      }
      StructField field = schema.fields()[schema.fieldIndex(column)];
      out.add(new Input(in.getName(), in.getModality(), false, List.of(column),
          new int[] {schema.fieldIndex(column)}, kindOf(in, field)));
      used.add(column);
    }
    for (InputSpec in : grouping) {
      List<String> columns = new ArrayList<>();
      String named = mapping.get(in.getName());
      if (named != null && all.contains(named.trim())
          && TokenColumns.isTokenType(schema.fields()[schema.fieldIndex(named.trim())].dataType())) {
        out.add(new Input(in.getName(), in.getModality(), false, List.of(named.trim()),
            new int[] {schema.fieldIndex(named.trim())}, Kind.TOKENS));
        used.add(named.trim());
        continue;
      }
      if (named != null) {
        for (String c : named.split(",")) {
          String col = c.trim();
          if (!all.contains(col)) {
            throw new InvalidInputException("input '" + in.getName() + "': column '" + col + "' is not among the"
                + " columns " + all);
          }
          DataType t = schema.fields()[schema.fieldIndex(col)].dataType();
          if (!plain(t)) {
            throw new InvalidInputException("input '" + in.getName() + "' (" + in.getModality() + "): column '"
                + col + "' is of type " + t.simpleString() + "; expected a string, number or boolean");
          }
          columns.add(col);
        }
      } else {
        for (StructField f : schema.fields()) {
          if (!used.contains(f.name()) && plain(f.dataType())) {
            columns.add(f.name());
          }
        }
      }
      int[] idx = columns.stream().mapToInt(schema::fieldIndex).toArray();
      out.add(new Input(in.getName(), in.getModality(), true, List.copyOf(columns), idx, Kind.CELL));
      used.addAll(columns);
    }
    if (out.stream().allMatch(i -> i.columns().isEmpty())) {
      throw new InvalidInputException("no column feeds any of the bundle's inputs " + inputNames + "; columns: "
          + all);
    }
    // Back in the spec's input order.
    List<Input> ordered = new ArrayList<>();
    for (InputSpec in : spec.getInputsList()) {
      out.stream().filter(i -> i.name().equals(in.getName())).findFirst().ifPresent(ordered::add);
    }
    return new InputPlan(List.copyOf(ordered), idIndex, idColumn, imageRoot);
  }

  private static boolean plain(DataType t) {
    return t instanceof StringType || t instanceof NumericType || t instanceof BooleanType;
  }

  private static Kind kindOf(InputSpec in, StructField field) {
    DataType t = field.dataType();
    if (plain(t)) {
      return Kind.CELL;
    }
    if (t instanceof BinaryType) {
      return Kind.BYTES;
    }
    if (SparkImages.isImageType(t)) {
      return Kind.IMAGE_STRUCT;
    }
    if (TokenColumns.isTokenType(t)) {
      return Kind.TOKENS;
    }
    if (t instanceof ArrayType a && a.elementType() instanceof NumericType) {
      return Kind.SERIES;
    }
    throw new InvalidInputException("input '" + in.getName() + "' (" + in.getModality() + "): column '"
        + field.name() + "' is of type " + t.simpleString() + "; expected a string (text, or a file path or URI),"
        + " binary (encoded bytes, as the binaryFile source gives), Spark's image struct, an array of numbers, or"
        + " tokens written by MmfuseTokenizer");
  }

  /** The row's id for errors: {@code id=VALUE}, or the row's place in its partition. */
  String where(Row row, long indexInPartition, int partition) {
    if (idIndex >= 0) {
      return "row " + idColumn + "=" + row.get(idIndex);
    }
    return "row " + (indexInPartition + 1) + " of partition " + partition;
  }

  /** The example of one row: input name to value (null where missing), read as the plugins take it. */
  Map<String, Object> example(Row row, ModalityRegistry registry, String where) {
    Map<String, Object> ex = new LinkedHashMap<>();
    for (Input in : inputs) {
      if (in.columns().isEmpty()) {
        ex.put(in.name(), null);
        continue;
      }
      if (in.grouping()) {
        Map<String, String> cells = new LinkedHashMap<>();
        boolean any = false;
        for (int k = 0; k < in.indices().length; k++) {
          Object v = row.get(in.indices()[k]);
          String cell = v == null ? "" : v.toString();
          cells.put(in.columns().get(k), cell);
          any |= !MissingValues.isMissing(cell);
        }
        ex.put(in.name(), any ? cells : null);
        continue;
      }
      String column = in.columns().get(0);
      Object v = row.get(in.indices()[0]);
      try {
        ex.put(in.name(), v == null ? null : value(in, v, registry.factory(in.modality())));
      } catch (InvalidInputException e) {
        throw new InvalidInputException(where + ", column '" + column + "' (input '" + in.name() + "'): "
            + e.detail(), e);
      }
    }
    return ex;
  }

  private Object value(Input in, Object v, TokenizerFactory f) {
    switch (in.kind()) {
      case BYTES:
        return v;
      case IMAGE_STRUCT:
        return SparkImages.toImage((Row) v);
      case TOKENS:
        return InputValue.newBuilder().setTokens(TokenColumns.fromRow((Row) v, "tokens")).build();
      case SERIES: {
        FloatSeries.Builder s = FloatSeries.newBuilder();
        for (Object x : asList(v)) {
          if (x == null) {
            throw new InvalidInputException("the series has a null element; expected numbers only");
          }
          s.addValues(((Number) x).floatValue());
        }
        return InputValue.newBuilder().setSeries(s).build();
      }
      default: {
        String cell = v.toString();
        if (MissingValues.isMissing(cell)) {
          return null;
        }
        Object value = f.cellValue(cell, imageRoot == null ? Path.of("").toAbsolutePath() : Path.of(imageRoot));
        if (value instanceof Path && URI.matcher(cell.trim()).matches() && !cell.trim().startsWith("file:")) {
          return readUri(cell.trim());
        }
        if (value instanceof Path && cell.trim().startsWith("file:")) {
          return Path.of(java.net.URI.create(cell.trim()));
        }
        return value;
      }
    }
  }

  private static List<?> asList(Object v) {
    if (v instanceof List<?> l) {
      return l;
    }
    if (v instanceof scala.collection.Seq<?> s) {
      return scala.jdk.javaapi.CollectionConverters.asJava(s);
    }
    throw new InvalidInputException("expected an array of numbers, found " + v.getClass().getName());
  }

  /** The bytes of a file named by a URI of any Hadoop file system (hdfs://, s3a://, ...). */
  private static byte[] readUri(String uri) {
    org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(uri);
    try {
      org.apache.hadoop.fs.FileSystem fs = p.getFileSystem(HadoopConf.get());
      try (InputStream in = fs.open(p)) {
        return io.mmfuse.api.Limits.read(in, io.mmfuse.api.Limits.IMAGE_BYTES,
            m -> new InvalidInputException("file " + uri + " " + m));
      }
    } catch (java.io.FileNotFoundException e) {
      throw new InvalidInputException("file " + uri + " does not exist");
    } catch (IOException e) {
      throw new InvalidInputException("file " + uri + ": cannot be read: " + e.getMessage(), e);
    }
  }
}
