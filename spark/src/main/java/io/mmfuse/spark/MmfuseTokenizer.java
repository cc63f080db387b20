package io.mmfuse.spark;

import io.mmfuse.api.TokenSequence;
import io.mmfuse.api.proto.ModelSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;

/**
 * Tokenizes a DataFrame with a bundle's tokenizers and adds one column per input read, {@code <input>_tokens}
 * ({@link TokenColumns}; null where the input is missing), so that decoding and tokenizing run as a job of their own,
 * are stored (Parquet), and feed a {@link MmfuseModel} later, which reads such columns by that name.
 */
public class MmfuseTokenizer extends MmfuseStage<MmfuseTokenizer> {
  private static final long serialVersionUID = 1L;

  private transient LongAccumulator lastSkipped;

  public MmfuseTokenizer() {
    this(Identifiable.randomUID("mmfuseTokenizer"));
  }

  public MmfuseTokenizer(String uid) {
    super(uid);
  }

  public static MLReader<MmfuseTokenizer> read() {
    return new DefaultParamsReader<>();
  }

  public static MmfuseTokenizer load(String path) {
    return read().load(path);
  }

  /** The count of rows skipped as bad by the last {@link #transform}'s jobs (read it after an action). */
  public long skippedRows() {
    return lastSkipped == null ? 0 : lastSkipped.value();
  }

  private static List<String> outputs(InputPlan plan) {
    List<String> out = new ArrayList<>();
    for (InputPlan.Input in : plan.inputs()) {
      if (!in.columns().isEmpty() && in.kind() != InputPlan.Kind.TOKENS) {
        out.add(in.name() + InputPlan.TOKENS_SUFFIX);
      }
    }
    return out;
  }

  private StructType result(StructType schema, List<String> outs) {
    StructType t = schema;
    for (String o : outs) {
      if (List.of(schema.fieldNames()).contains(o)) {
        throw new io.mmfuse.api.InvalidInputException("MmfuseTokenizer: output column '" + o + "' is already among"
            + " the columns; drop it first");
      }
      t = t.add(o, TokenColumns.TYPE, true);
    }
    return t;
  }

  private InputPlan plan(StructType schema) {
    BundleRef ref = bundleRef();
    ModelSpec spec = spec(ref);
    return plan(spec, schema, Set.of());
  }

  @Override
  public StructType transformSchema(StructType schema) {
    return result(schema, outputs(plan(schema)));
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType schema = dataset.schema();
    InputPlan plan = plan(schema);
    List<String> outs = outputs(plan);
    StructType result = result(schema, outs);
    TaskSettings settings = settings(bundleRef(), plan, "tokenize");
    lastSkipped = settings.skipped();
    return dataset.toDF().mapPartitions(new Task(settings), Encoders.row(result));
  }

  @Override
  public MmfuseTokenizer copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  /** One partition: rows in, the same rows with their token columns, in order. */
  private static final class Task implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final TaskSettings settings;

    Task(TaskSettings settings) {
      this.settings = settings;
    }

    @Override
    public java.util.Iterator<Row> call(java.util.Iterator<Row> rows) {
      List<InputPlan.Input> written = new ArrayList<>();
      for (InputPlan.Input in : settings.plan().inputs()) {
        if (!in.columns().isEmpty() && in.kind() != InputPlan.Kind.TOKENS) {
          written.add(in);
        }
      }
      io.mmfuse.fusion.inference.Predictor[] model = {null};
      return new PartitionBatches(rows, settings.batchSize(), (batch, first) -> {
        if (model[0] == null) {
          model[0] = ExecutorModels.predictor(settings.bundle(),
              ExecutorRuntime.forCurrentTask(settings.intraOpThreads(), settings.interOpThreads()),
              settings.loads());
        }
        RowTokens.Batch t = RowTokens.tokenize(batch, first, settings, model[0]);
        List<Row> out = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
          Map<String, TokenSequence> m = t.tokens().get(i);
          Object[] extra = new Object[written.size()];
          for (int k = 0; k < written.size(); k++) {
            TokenSequence s = m == null ? null : m.get(written.get(k).name());
            extra[k] = s == null ? null : TokenColumns.toRow(s.toProto());
          }
          out.add(PartitionBatches.append(batch.get(i), extra));
        }
        return out;
      });
    }
  }
}
