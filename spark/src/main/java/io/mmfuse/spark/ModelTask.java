package io.mmfuse.spark;

import io.mmfuse.api.TokenSequence;
import io.mmfuse.api.proto.Task;
import io.mmfuse.fusion.graph.Names;
import io.mmfuse.fusion.inference.Predictor;
import io.mmfuse.fusion.train.LabelEncoder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;

/** One partition of {@link MmfuseModel#transform}: rows in, the same rows with the model's outputs added, in order. */
final class ModelTask implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;

  private final MmfuseStage.TaskSettings settings;
  private final List<MmfuseModel.Output> outputs;

  ModelTask(MmfuseStage.TaskSettings settings, List<MmfuseModel.Output> outputs) {
    this.settings = settings;
    this.outputs = outputs;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    Predictor[] model = {null};
    LabelEncoder[] labels = {null};
    return new PartitionBatches(rows, settings.batchSize(), (batch, first) -> {
      if (model[0] == null) {
        model[0] = ExecutorModels.predictor(settings.bundle(),
            ExecutorRuntime.forCurrentTask(settings.intraOpThreads(), settings.interOpThreads()), settings.loads());
        labels[0] = LabelEncoder.of(model[0].spec().getHead());
      }
      return run(batch, first, model[0], labels[0]);
    });
  }

  private List<Row> run(List<Row> batch, long first, Predictor p, LabelEncoder labels) {
    RowTokens.Batch t = RowTokens.tokenize(batch, first, settings, p);
    List<Integer> ok = new ArrayList<>();
    List<Map<String, TokenSequence>> good = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      if (t.tokens().get(i) != null) {
        ok.add(i);
        good.add(t.tokens().get(i));
      }
    }
    Object[][] values = new Object[batch.size()][outputs.size()];
    boolean contrastive = labels.task() == Task.CONTRASTIVE;
    if (contrastive) {
      for (int k = 0; k < outputs.size(); k++) {
        MmfuseModel.Output o = outputs.get(k);
        if (!o.what().equals(Names.EMBEDDINGS) && !o.what().equals(Names.EMBEDDINGS_B)) {
          continue;
        }
        List<String> side = o.what().equals(Names.EMBEDDINGS) ? p.spec().getHead().getSideAList()
            : p.spec().getHead().getSideBList();
        List<Integer> rows = new ArrayList<>();
        List<Map<String, TokenSequence>> seqs = new ArrayList<>();
        for (int j = 0; j < good.size(); j++) {
          Map<String, TokenSequence> m = good.get(j);
          if (side.stream().anyMatch(in -> m.get(in) != null)) {
            rows.add(ok.get(j));
            seqs.add(m);
          }
        }
        if (!seqs.isEmpty()) {
          List<float[]> e = p.embedTokenized(seqs, side.get(0));
          for (int j = 0; j < rows.size(); j++) {
            values[rows.get(j)][k] = MmfuseModel.outputValue(o, labels, e.get(j));
          }
        }
      }
    } else if (!good.isEmpty()) {
      List<String> names = new ArrayList<>();
      boolean predictions = outputs.stream().anyMatch(o -> o.what().equals("prediction")
          || o.what().equals("probability"));
      if (predictions) {
        names.add(Names.PREDICTIONS);
      }
      if (outputs.stream().anyMatch(o -> o.what().equals(Names.EMBEDDINGS))) {
        names.add(Names.EMBEDDINGS);
      }
      Map<String, List<float[]>> r = names.isEmpty() ? Map.of() : p.outputsTokenized(good, names);
      for (int k = 0; k < outputs.size(); k++) {
        MmfuseModel.Output o = outputs.get(k);
        List<float[]> v = o.what().equals(Names.EMBEDDINGS) ? r.get(Names.EMBEDDINGS)
            : o.what().equals("error") ? null : r.get(Names.PREDICTIONS);
        if (v == null) {
          continue;
        }
        for (int j = 0; j < ok.size(); j++) {
          values[ok.get(j)][k] = MmfuseModel.outputValue(o, labels, v.get(j));
        }
      }
    }
    for (int k = 0; k < outputs.size(); k++) {
      if (outputs.get(k).what().equals("error")) {
        for (int i = 0; i < batch.size(); i++) {
          values[i][k] = t.errors()[i];
        }
      }
    }
    List<Row> out = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      out.add(PartitionBatches.append(batch.get(i), values[i]));
    }
    return out;
  }
}
