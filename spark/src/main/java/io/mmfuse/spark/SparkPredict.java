package io.mmfuse.spark;

import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.MmfuseException;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.DataTypes;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mmfuse spark-predict}: scores a CSV, JSONL or Parquet file on Spark (any master) with a bundle and writes
 * one record per row, in the input's order, with the id, {@code prediction} and {@code probability} (class to
 * probability), as Parquet or JSONL part files in an output directory that appears whole or not at all.
 */
@Command(name = "mmfuse spark-predict", mixinStandardHelpOptions = true, version = "mmfuse 0.1.0",
    description = "Predict with a model bundle on Apache Spark: a CSV, JSONL or Parquet file in, Parquet or JSONL"
        + " out, one record per row with its id.")
public final class SparkPredict implements Callable<Integer> {
  @Option(names = "--master", paramLabel = "URL", defaultValue = "local[*]",
      description = "Spark's master: local[N], spark://HOST:PORT, yarn, k8s://... (default: ${DEFAULT-VALUE}).")
  String master;

  @Option(names = "--model", required = true, paramLabel = "DIR",
      description = "A model bundle: a local directory or a Hadoop file system URI that every executor can read.")
  String model;

  @Option(names = "--data", required = true, paramLabel = "FILE",
      description = "The rows: .csv (with a header), .jsonl/.json, or .parquet (a file or a directory).")
  String data;

  @Option(names = "--id", required = true, paramLabel = "COLUMN", description = "The column that names each row;"
      + " carried to the output and named in errors.")
  String id;

  @Option(names = "--output", required = true, paramLabel = "DIR", description = "The output directory (must not"
      + " exist).")
  String output;

  @Option(names = "--format", defaultValue = "parquet", paramLabel = "FORMAT",
      description = "parquet or jsonl (default: ${DEFAULT-VALUE}).")
  String format;

  @Option(names = "--embeddings", description = "Also write each row's embedding.")
  boolean embeddings;

  @Option(names = "--batch-size", defaultValue = "64", paramLabel = "N", description = "Rows per model run"
      + " (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--partitions", defaultValue = "0", paramLabel = "N", description = "Split the input into N"
      + " partitions, keeping its order (0: Spark's default parallelism, the cores of the cluster).")
  int partitions;

  @Option(names = "--on-bad-row", defaultValue = "fail", paramLabel = "WHAT", description = "fail (the job, naming"
      + " the row and column) or skip (the row is written with an error and no prediction); default ${DEFAULT-VALUE}.")
  String onBadRow;

  @Option(names = "--intra-op-threads", defaultValue = "0", paramLabel = "N",
      description = "TensorFlow threads per op in a task (0: spark.task.cpus).")
  int intraOpThreads;

  @Option(names = "--inter-op-threads", defaultValue = "0", paramLabel = "N",
      description = "TensorFlow runs at once per executor (0: its task slots).")
  int interOpThreads;

  @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "A Spark setting (repeatable).")
  java.util.List<String> conf = new java.util.ArrayList<>();

  private PrintWriter err = new PrintWriter(System.err, true);

  public static void main(String[] args) {
    if (System.getProperty("log4j2.configurationFile") == null) {
      System.setProperty("log4j2.configurationFile", "io/mmfuse/spark/log4j2-cli.properties");
    }
    System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
  }

  /** Runs the command with the given streams; returns its exit code (2: refused input or configuration). */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    SparkPredict cmd = new SparkPredict();
    cmd.err = err;
    CommandLine cli = new CommandLine(cmd);
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler((e, c, p) -> {
      c.getErr().println("mmfuse spark-predict: " + message(e));
      c.getErr().flush();
      return e instanceof MmfuseException || mmfuseMessage(e) != null ? 2 : 1;
    });
    return cli.execute(args);
  }

  private static final Pattern MMF = Pattern.compile("\\[MMF-[A-Z]+] ([^\\n]*)");

  /** The mmfuse error inside a failed Spark job (an executor's exception comes back as text), if any. */
  static String mmfuseMessage(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof MmfuseException m) {
        return m.getMessage();
      }
      Matcher m = MMF.matcher(String.valueOf(t.getMessage()));
      if (m.find()) {
        return m.group(0);
      }
    }
    return null;
  }

  static String message(Throwable e) {
    String m = mmfuseMessage(e);
    return m != null ? m : e.getClass().getSimpleName() + ": " + e.getMessage();
  }

  @Override
  public Integer call() throws IOException {
    format = format.toLowerCase(Locale.ROOT);
    if (!format.equals("parquet") && !format.equals("jsonl")) {
      throw new InvalidConfigurationException("--format " + format + ": expected parquet or jsonl");
    }
    if (!onBadRow.equals("fail") && !onBadRow.equals("skip")) {
      throw new InvalidConfigurationException("--on-bad-row " + onBadRow + ": expected fail or skip");
    }
    // No web UI unless asked for (--conf spark.ui.enabled=true): it costs a second at start.
    SparkSession.Builder b = SparkSession.builder().appName("mmfuse spark-predict").master(master)
        .config("spark.ui.showConsoleProgress", "false").config("spark.ui.enabled", "false");
    for (String c : conf) {
      int eq = c.indexOf('=');
      if (eq <= 0) {
        throw new InvalidConfigurationException("--conf " + c + ": expected KEY=VALUE");
      }
      b.config(c.substring(0, eq), c.substring(eq + 1));
    }
    SparkSession spark = b.getOrCreate();
    try {
      return predict(spark);
    } finally {
      spark.stop();
    }
  }

  private int predict(SparkSession spark) throws IOException {
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    org.apache.hadoop.fs.Path out = new org.apache.hadoop.fs.Path(output);
    FileSystem fs = out.getFileSystem(hadoop);
    if (fs.exists(out)) {
      throw new InvalidInputException("output " + output + " already exists; name a new directory");
    }
    Dataset<Row> rows = read(spark);
    if (!java.util.List.of(rows.columns()).contains(id)) {
      throw new InvalidInputException("data " + data + ": id column '" + id + "' is not among the columns "
          + java.util.List.of(rows.columns()));
    }
    int want = partitions > 0 ? partitions : spark.sparkContext().defaultParallelism();
    if (rows.rdd().getNumPartitions() != want) {
      // Split by ranges of the rows' places, so that the parts keep the input's order.
      String place = "__mmfuse_place";
      rows = rows.withColumn(place, org.apache.spark.sql.functions.monotonically_increasing_id())
          .repartitionByRange(want, org.apache.spark.sql.functions.col(place))
          .sortWithinPartitions(place).drop(place);
    }
    MmfuseModel m = new MmfuseModel().setBundle(model);
    m.setIdCol(id).setBatchSize(batchSize).setOnBadRow(onBadRow).setThreads(intraOpThreads, interOpThreads);
    org.apache.hadoop.fs.Path dataPath = new org.apache.hadoop.fs.Path(data);
    org.apache.hadoop.fs.Path parent = dataPath.getFileSystem(hadoop).makeQualified(dataPath).getParent();
    m.setImageRoot("file".equals(parent.toUri().getScheme()) ? parent.toUri().getPath() : parent.toString());
    if (!embeddings) {
      m.setEmbeddingCol("");
    }
    if (onBadRow.equals("skip")) {
      m.setErrorCol("error");
    }
    Dataset<Row> scored = m.transform(rows);
    java.util.List<Column> cols = new java.util.ArrayList<>();
    cols.add(scored.col(id));
    boolean classes = java.util.List.of(scored.columns()).contains("probability");
    cols.add(scored.col("prediction"));
    if (classes) {
      String[] names = scored.schema().apply("probability").metadata().getStringArray("classes");
      UDF1<org.apache.spark.ml.linalg.Vector, scala.collection.Map<String, Double>> byClass = v -> {
        if (v == null) {
          return null;
        }
        java.util.Map<String, Double> map = new java.util.LinkedHashMap<>();
        double[] p = v.toArray();
        for (int c = 0; c < p.length; c++) {
          map.put(names[c], p[c]);
        }
        return scala.jdk.javaapi.CollectionConverters.asScala(map);
      };
      spark.udf().register("mmfuse_by_class", byClass,
          DataTypes.createMapType(DataTypes.StringType, DataTypes.DoubleType));
      cols.add(org.apache.spark.sql.functions.callUDF("mmfuse_by_class", scored.col("probability"))
          .as("probability"));
    }
    if (embeddings) {
      cols.add(scored.col("embedding"));
    }
    if (onBadRow.equals("skip")) {
      cols.add(scored.col("error"));
    }
    Dataset<Row> result = scored.select(cols.toArray(new Column[0]));
    // Written beside the output, then renamed into place: the output appears whole or not at all.
    org.apache.hadoop.fs.Path partial = new org.apache.hadoop.fs.Path(out.getParent(),
        out.getName() + ".partial-" + Long.toHexString(System.nanoTime()));
    try {
      if (format.equals("jsonl")) {
        result.write().option("ignoreNullFields", "false").json(partial.toString());
      } else {
        result.write().parquet(partial.toString());
      }
      if (!fs.rename(partial, out)) {
        throw new IOException("cannot rename " + partial + " to " + out);
      }
    } finally {
      if (fs.exists(partial)) {
        fs.delete(partial, true);
      }
    }
    long skipped = m.skippedRows();
    err.println("mmfuse spark-predict: wrote " + output + " (" + format + ")" + (skipped > 0 ? "; " + skipped
        + " rows skipped as bad (their error is in the 'error' column)" : "") + "; the bundle was loaded "
        + m.modelLoads() + " time(s), once per executor");
    err.flush();
    return 0;
  }

  private Dataset<Row> read(SparkSession spark) {
    String lower = data.toLowerCase(Locale.ROOT);
    if (lower.endsWith(".csv")) {
      // Cells stay strings, as mmfuse predict reads them; quotes are doubled inside quoted cells (RFC 4180), and a
      // quoted cell may span lines.
      // The header is read here, not by a job of Spark's, and every column is a string.
      org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType();
      for (String c : header(spark)) {
        schema = schema.add(c, DataTypes.StringType, true);
      }
      return spark.read().schema(schema).option("header", "true").option("multiLine", "true")
          .option("escape", "\"").option("mode", "FAILFAST").csv(data);
    }
    if (lower.endsWith(".jsonl") || lower.endsWith(".json") || lower.endsWith(".ndjson")) {
      return spark.read().option("mode", "FAILFAST").json(data);
    }
    if (lower.endsWith(".parquet") || new java.io.File(data).isDirectory()) {
      return spark.read().parquet(data);
    }
    throw new InvalidInputException("data " + data + ": expected a .csv, .jsonl, .json or .parquet file");
  }

  /** The CSV file's column names, from its first record (Commons CSV, as mmfuse predict reads it). */
  private java.util.List<String> header(SparkSession spark) {
    org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(data);
    try (java.io.Reader r = new java.io.InputStreamReader(p.getFileSystem(spark.sparkContext().hadoopConfiguration())
        .open(p), java.nio.charset.StandardCharsets.UTF_8);
        org.apache.commons.csv.CSVParser csv = org.apache.commons.csv.CSVFormat.RFC4180.parse(r)) {
      java.util.Iterator<org.apache.commons.csv.CSVRecord> it = csv.iterator();
      if (!it.hasNext()) {
        throw new InvalidInputException("data " + data + ": the file is empty; expected a header line");
      }
      java.util.List<String> names = new java.util.ArrayList<>(it.next().toList());
      if (!names.isEmpty() && names.get(0).startsWith("\uFEFF")) {
        names.set(0, names.get(0).substring(1));
      }
      java.util.Set<String> seen = new java.util.HashSet<>();
      for (String n : names) {
        if (!seen.add(n)) {
          throw new InvalidInputException("data " + data + ": column '" + n + "' appears twice in the header");
        }
      }
      return names;
    } catch (java.io.FileNotFoundException e) {
      throw new InvalidInputException("data " + data + " does not exist");
    } catch (IOException | java.io.UncheckedIOException e) {
      throw new InvalidInputException("data " + data + ": the header cannot be read: " + e.getMessage());
    }
  }
}
