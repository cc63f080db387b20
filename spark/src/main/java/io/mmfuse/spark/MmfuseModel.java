package io.mmfuse.spark;

import io.mmfuse.api.proto.ModelSpec;
import io.mmfuse.api.proto.Task;
import io.mmfuse.fusion.graph.Names;
import io.mmfuse.fusion.train.LabelEncoder;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;

/**
 * An mmfuse model bundle as a Spark ML {@code Transformer}: adds {@code prediction} (the class; the classes at or
 * above 0.5 for multi-label; the value for regression), {@code probability} (a vector, in the bundle's class order,
 * which the column's metadata lists) and {@code embedding} (the pooled representation, an array of floats) to a
 * DataFrame. A contrastive bundle adds {@code embedding} for the inputs of its first side and {@code embedding_b} for
 * its second, where columns feed them.
 *
 * <p>Rows go through the model in batches, streamed over each partition; each executor loads the bundle once
 * ({@link ExecutorModels}). Decoding and tokenizing run on the executors.
 *
 * <pre>{@code
 * MmfuseModel m = new MmfuseModel().setBundle("hdfs:///models/products");
 * m.setInputCol("picture", "image_bytes").setIdCol("sku");
 * Dataset<Row> scored = m.transform(products);
 * }</pre>
 */
public class MmfuseModel extends MmfuseStage<MmfuseModel> {
  private static final long serialVersionUID = 1L;

  private final Param<String> predictionCol;
  private final Param<String> probabilityCol;
  private final Param<String> embeddingCol;
  private final Param<String> errorCol;
  private transient LongAccumulator lastLoads;
  private transient LongAccumulator lastSkipped;

  public MmfuseModel() {
    this(Identifiable.randomUID("mmfuse"));
  }

  public MmfuseModel(String uid) {
    super(uid);
    predictionCol = new Param<>(this, "predictionCol", "the prediction column (empty: none)");
    probabilityCol = new Param<>(this, "probabilityCol", "the class probability vector column (empty: none)");
    embeddingCol = new Param<>(this, "embeddingCol", "the embedding column (empty: none); a contrastive bundle's"
        + " second side goes to this name + \"_b\"");
    errorCol = new Param<>(this, "errorCol", "with onBadRow=skip, why a row was skipped (empty: no such column)");
    setDefault(predictionCol, "prediction");
    setDefault(probabilityCol, "probability");
    setDefault(embeddingCol, "embedding");
    setDefault(errorCol, "");
  }

  /** Reads a stage saved with {@link #save}, alone or inside a {@code PipelineModel}. */
  public static MLReader<MmfuseModel> read() {
    return new DefaultParamsReader<>();
  }

  public static MmfuseModel load(String path) {
    return read().load(path);
  }

  public Param<String> predictionCol() {
    return predictionCol;
  }

  public Param<String> probabilityCol() {
    return probabilityCol;
  }

  public Param<String> embeddingCol() {
    return embeddingCol;
  }

  public Param<String> errorCol() {
    return errorCol;
  }

  public MmfuseModel setPredictionCol(String c) {
    set(predictionCol, c);
    return this;
  }

  public MmfuseModel setProbabilityCol(String c) {
    set(probabilityCol, c);
    return this;
  }

  public MmfuseModel setEmbeddingCol(String c) {
    set(embeddingCol, c);
    return this;
  }

  public MmfuseModel setErrorCol(String c) {
    set(errorCol, c);
    return this;
  }

  /** The count of model loads of the last {@link #transform}'s jobs (read it after an action). */
  public long modelLoads() {
    return lastLoads == null ? 0 : lastLoads.value();
  }

  /** The count of rows skipped as bad by the last {@link #transform}'s jobs (read it after an action). */
  public long skippedRows() {
    return lastSkipped == null ? 0 : lastSkipped.value();
  }

  /** One added column: its name, what it holds and its type. */
  record Output(String column, String what, DataType type, Metadata metadata) implements java.io.Serializable {}

  /** The columns this stage adds for a bundle's spec, in order. */
  List<Output> outputs(ModelSpec spec) {
    List<Output> out = new ArrayList<>();
    Task task = spec.getHead().getTask();
    String emb = $(embeddingCol);
    if (task == Task.CONTRASTIVE) {
      if (!emb.isEmpty()) {
        out.add(new Output(emb, Names.EMBEDDINGS, DataTypes.createArrayType(DataTypes.FloatType, false),
            Metadata.empty()));
        out.add(new Output(emb + "_b", Names.EMBEDDINGS_B, DataTypes.createArrayType(DataTypes.FloatType, false),
            Metadata.empty()));
      }
    } else {
      int outputs = io.mmfuse.fusion.graph.ModelSpecs.outputs(spec);
      if (!$(predictionCol).isEmpty()) {
        DataType t = task == Task.REGRESSION ? (outputs == 1 ? DataTypes.DoubleType : SQLDataTypes.VectorType())
            : task == Task.MULTI_LABEL ? DataTypes.createArrayType(DataTypes.StringType, false)
            : DataTypes.StringType;
        out.add(new Output($(predictionCol), "prediction", t, Metadata.empty()));
      }
      if (!$(probabilityCol).isEmpty() && task != Task.REGRESSION) {
        Metadata classes = new MetadataBuilder()
            .putStringArray("classes", spec.getHead().getClassesList().toArray(new String[0])).build();
        out.add(new Output($(probabilityCol), "probability", SQLDataTypes.VectorType(), classes));
      }
      if (!emb.isEmpty()) {
        out.add(new Output(emb, Names.EMBEDDINGS, DataTypes.createArrayType(DataTypes.FloatType, false),
            Metadata.empty()));
      }
    }
    if (!$(errorCol).isEmpty()) {
      out.add(new Output($(errorCol), "error", DataTypes.StringType, Metadata.empty()));
    }
    return out;
  }

  @Override
  public StructType transformSchema(StructType schema) {
    BundleRef ref = bundleRef();
    ModelSpec spec = spec(ref);
    List<Output> outs = outputs(spec);
    plan(spec, schema, names(outs));
    return withOutputs(schema, outs);
  }

  private static Set<String> names(List<Output> outs) {
    Set<String> s = new LinkedHashSet<>();
    outs.forEach(o -> s.add(o.column()));
    return s;
  }

  private static StructType withOutputs(StructType schema, List<Output> outs) {
    StructType t = schema;
    for (Output o : outs) {
      t = t.add(new StructField(o.column(), o.type(), true, o.metadata()));
    }
    return t;
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    BundleRef ref = bundleRef();
    ModelSpec spec = spec(ref);
    List<Output> outs = outputs(spec);
    StructType schema = dataset.schema();
    InputPlan plan = plan(spec, schema, names(outs));
    StructType result = withOutputs(schema, outs);
    TaskSettings settings = settings(ref, plan, "predict");
    lastLoads = settings.loads();
    lastSkipped = settings.skipped();
    ModelTask task = new ModelTask(settings, outs);
    preloadIfLocal(dataset.sparkSession(), settings);
    Dataset<Row> out = dataset.toDF().mapPartitions(task, Encoders.row(result));
    for (Output o : outs) {
      if (!o.metadata().equals(Metadata.empty())) {
        // The row encoder keeps types, not metadata.
        out = out.withMetadata(o.column(), o.metadata());
      }
    }
    return out;
  }

  /**
   * In local mode this JVM is the executor: the model starts loading now, on a thread of its own, while Spark plans
   * and starts the job (its tasks then wait for it, as for any load). Not where tasks are given GPUs, which the
   * tasks' resources name.
   */
  static void preloadIfLocal(org.apache.spark.sql.SparkSession spark, TaskSettings s) {
    if (!spark.sparkContext().isLocal() || spark.sparkContext().getConf().contains("spark.task.resource.gpu.amount")) {
      return;
    }
    io.mmfuse.runtime.RuntimeOptions runtime = ExecutorRuntime.forCurrentTask(s.intraOpThreads(),
        s.interOpThreads());
    Thread t = new Thread(() -> {
      try {
        ExecutorModels.predictor(s.bundle(), runtime, s.loads());
      } catch (RuntimeException e) {
        // The first task loads it again and fails with the error, where Spark reports it.
      }
    }, "mmfuse-model-preload");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public MmfuseModel copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  /** A row's value of one added column, from the model's outputs for it. */
  static Object outputValue(Output o, LabelEncoder labels, float[] v) {
    switch (o.what()) {
      case "prediction":
        if (labels.task() == Task.REGRESSION) {
          return v.length == 1 ? (Object) (double) v[0] : Vectors.dense(toDoubles(v));
        }
        List<String> predicted = labels.decode(v);
        return labels.task() == Task.MULTI_LABEL ? TokenColumns.seq(predicted) : predicted.get(0);
      case "probability":
        return Vectors.dense(toDoubles(v));
      default:
        return toFloats(v);
    }
  }

  private static double[] toDoubles(float[] v) {
    double[] d = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      d[i] = v[i];
    }
    return d;
  }

  private static Object toFloats(float[] v) {
    Float[] d = new Float[v.length];
    for (int i = 0; i < v.length; i++) {
      d[i] = v[i];
    }
    return TokenColumns.seq(java.util.Arrays.asList(d));
  }
}
