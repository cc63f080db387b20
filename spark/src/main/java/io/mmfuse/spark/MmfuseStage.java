package io.mmfuse.spark;

import com.google.gson.Gson;
import com.google.gson.reflect.TypeToken;
import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.api.proto.ModelSpec;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;

/**
 * What mmfuse's Spark stages share: the bundle, which columns feed its inputs, batching, threads and what a bad row
 * does. Saved and loaded with a pipeline as plain params (JSON), never as serialized objects.
 */
public abstract class MmfuseStage<S extends MmfuseStage<S>> extends Transformer implements DefaultParamsWritable {
  private static final long serialVersionUID = 1L;

  /** A param holding input name to column(s), saved as a JSON object. */
  public static final class ColumnMapParam extends Param<Map<String, String>> {
    private static final long serialVersionUID = 1L;

    public ColumnMapParam(org.apache.spark.ml.util.Identifiable parent, String name, String doc) {
      super(parent, name, doc);
    }

    @Override
    public String jsonEncode(Map<String, String> value) {
      return new Gson().toJson(value);
    }

    @Override
    public Map<String, String> jsonDecode(String json) {
      return new Gson().fromJson(json, new TypeToken<LinkedHashMap<String, String>>() {}.getType());
    }
  }

  private final String uid;
  private final Param<String> bundle;
  private final ColumnMapParam inputCols;
  private final IntParam batchSize;
  private final IntParam intraOpThreads;
  private final IntParam interOpThreads;
  private final Param<String> idCol;
  private final Param<String> onBadRow;
  private final Param<String> imageRoot;

  protected MmfuseStage(String uid) {
    this.uid = uid;
    bundle = new Param<>(this, "bundle", "the model bundle: a directory, local or on any Hadoop file system (URI)");
    inputCols = new ColumnMapParam(this, "inputCols", "input name to the column that feeds it (for a table input,"
        + " comma-separated columns); unmapped inputs read the column of their name, or <input>_tokens");
    batchSize = new IntParam(this, "batchSize", "rows per model run", ParamValidators.inRange(1, 65536));
    intraOpThreads = new IntParam(this, "intraOpThreads", "TensorFlow threads inside one op (0: spark.task.cpus)",
        ParamValidators.gtEq(0));
    interOpThreads = new IntParam(this, "interOpThreads", "TensorFlow runs at once in an executor (0: its task"
        + " slots)", ParamValidators.gtEq(0));
    idCol = new Param<>(this, "idCol", "the column that names a row in errors (empty: its place in its partition)");
    onBadRow = new Param<>(this, "onBadRow", "what a row that cannot be read does: fail (the job, naming the row"
        + " and column) or skip (null outputs, counted)", ParamValidators.inArray(new String[] {"fail", "skip"}));
    imageRoot = new Param<>(this, "imageRoot", "the directory relative file paths are resolved against (empty: the"
        + " executor's working directory)");
    setDefault(inputCols, Map.of());
    setDefault(batchSize, 64);
    setDefault(intraOpThreads, 0);
    setDefault(interOpThreads, 0);
    setDefault(idCol, "");
    setDefault(onBadRow, "fail");
    setDefault(imageRoot, "");
  }

  @SuppressWarnings("unchecked")
  private S self() {
    return (S) this;
  }

  @Override
  public String uid() {
    return uid;
  }

  public Param<String> bundle() {
    return bundle;
  }

  public ColumnMapParam inputCols() {
    return inputCols;
  }

  public IntParam batchSize() {
    return batchSize;
  }

  public IntParam intraOpThreads() {
    return intraOpThreads;
  }

  public IntParam interOpThreads() {
    return interOpThreads;
  }

  public Param<String> idCol() {
    return idCol;
  }

  public Param<String> onBadRow() {
    return onBadRow;
  }

  public Param<String> imageRoot() {
    return imageRoot;
  }

  /** Sets the bundle: a local directory or a Hadoop file system URI (hdfs://, s3a://, file:/...). */
  public S setBundle(String path) {
    set(bundle, path);
    return self();
  }

  public String getBundle() {
    return $(bundle);
  }

  /** Feeds {@code input} from {@code column} (for a table input, columns separated by commas). */
  public S setInputCol(String input, String column) {
    Map<String, String> m = new LinkedHashMap<>($(inputCols));
    m.put(input, column);
    set(inputCols, m);
    return self();
  }

  public Map<String, String> getInputCols() {
    return $(inputCols);
  }

  public S setBatchSize(int n) {
    set(batchSize, n);
    return self();
  }

  public S setThreads(int intra, int inter) {
    set(intraOpThreads, intra);
    set(interOpThreads, inter);
    return self();
  }

  public S setIdCol(String column) {
    set(idCol, column);
    return self();
  }

  public S setOnBadRow(String what) {
    set(onBadRow, what);
    return self();
  }

  public S setImageRoot(String dir) {
    set(imageRoot, dir);
    return self();
  }

  /** The bundle as the driver resolved it now. */
  protected BundleRef bundleRef() {
    if (!isDefined(bundle)) {
      throw new InvalidConfigurationException(getClass().getSimpleName() + " " + uid + ": no bundle set"
          + " (setBundle)");
    }
    return BundleRef.resolve($(bundle), HadoopConf.get());
  }

  /** The bundle's spec, read on the driver (the plugins loaded first: they register their settings types). */
  protected ModelSpec spec(BundleRef ref) {
    ExecutorModels.registry();
    return ref.spec(HadoopConf.get());
  }

  /** Which columns feed which inputs of {@code spec} in {@code schema}, checked; {@code outputs} are not inputs. */
  protected InputPlan plan(ModelSpec spec, StructType schema, Set<String> outputs) {
    for (String o : outputs) {
      if (java.util.List.of(schema.fieldNames()).contains(o)) {
        throw new io.mmfuse.api.InvalidInputException(getClass().getSimpleName() + ": output column '" + o
            + "' is already among the columns; name another (or drop it)");
      }
    }
    Set<String> taken = new HashSet<>(outputs);
    return InputPlan.of(spec, ExecutorModels.registry(), schema, $(inputCols), $(idCol), taken,
        $(imageRoot).isEmpty() ? null : $(imageRoot));
  }

  /** The settings a task needs, small and serializable. */
  protected TaskSettings settings(BundleRef ref, InputPlan plan, String what) {
    SparkSession s = SparkSession.active();
    LongAccumulator loads = s.sparkContext().longAccumulator("mmfuse " + what + " model loads");
    LongAccumulator bad = s.sparkContext().longAccumulator("mmfuse " + what + " rows skipped");
    return new TaskSettings(ref, plan, (Integer) $(batchSize), (Integer) $(intraOpThreads),
        (Integer) $(interOpThreads),
        $(onBadRow).equals("skip"), loads, bad);
  }

  /** What one task of a stage needs to know. */
  protected record TaskSettings(BundleRef bundle, InputPlan plan, int batchSize, int intraOpThreads,
      int interOpThreads, boolean skipBadRows, LongAccumulator loads, LongAccumulator skipped)
      implements java.io.Serializable {}
}
