package io.mmfuse.examples.cli;

import com.google.gson.JsonObject;
import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.proto.Task;
import io.mmfuse.fusion.data.BadRows;
import io.mmfuse.fusion.data.DataFile;
import io.mmfuse.fusion.data.Dataset;
import io.mmfuse.fusion.inference.PredictionStream;
import io.mmfuse.fusion.inference.Predictor;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mmfuse zero-shot}: classifies each row's input by the nearest of a list of label texts, each written into a
 * template and embedded once by the other side of a contrastive model; with {@code --label}, accuracy and macro F1.
 */
@Command(name = "zero-shot", description = "Classify rows by label names alone, with a contrastive model: each"
    + " label is written into the template and embedded by the other side; one JSON object per row.")
final class ZeroShotCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "DIR", description = "A contrastive model bundle.")
  Path model;

  @Option(names = "--data", required = true, paramLabel = "FILE", description = "CSV or JSONL.")
  Path data;

  @Option(names = "--input", required = true, paramLabel = "NAME", description = "The input to classify (its side"
      + " of the pair is embedded; the labels go through the other side).")
  String input;

  @Option(names = "--labels", required = true, paramLabel = "FILE", description = "The label names, one per line.")
  Path labels;

  @Option(names = "--template", paramLabel = "TEXT", description = "Where {} is the label (default: \"{}\").")
  String template = "{}";

  @Option(names = "--label", paramLabel = "COLUMN", description = "The true label column: also report accuracy and"
      + " macro F1 (the last line of standard output).")
  String labelColumn;

  @Option(names = "--output", paramLabel = "FILE", description = "Write the rows here (whole or not at all), not to"
      + " standard output.")
  Path output;

  @Option(names = "--plugins", paramLabel = "DIR", description = "Also load the modality plugin jars in DIR.")
  Path plugins;

  @picocli.CommandLine.Mixin InputMixin inputOptions = new InputMixin();

  @picocli.CommandLine.Mixin RuntimeMixin runtime = new RuntimeMixin();

  /** The label names of a file: one per non-blank line; refused when there are none or one comes twice. */
  static List<String> readLabels(Path file) throws java.io.IOException {
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputException("labels " + file + ": no such file");
    }
    LinkedHashSet<String> out = new LinkedHashSet<>();
    int line = 0;
    for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      line++;
      String t = l.strip();
      if (t.isEmpty()) {
        continue;
      }
      if (!out.add(t)) {
        throw new InvalidInputException("labels " + file + ", line " + line + ": '" + t + "' is there twice");
      }
    }
    if (out.size() < 2) {
      throw new InvalidInputException("labels " + file + ": " + out.size() + " label(s); zero-shot classification"
          + " needs at least 2");
    }
    return new ArrayList<>(out);
  }

  @Override
  public Integer call() throws java.io.IOException {
    if (!template.contains("{}")) {
      throw new InvalidConfigurationException("--template must hold {} where the label goes, found '" + template
          + "'");
    }
    List<String> names = readLabels(labels);
    Path report = output != null ? InputMixin.besides(output)
        : Path.of(data.getFileName() + ".zero-shot.bad-rows.jsonl");
    try (LoadedPlugins loaded = new LoadedPlugins(plugins);
        Predictor p = Predictor.load(model, loaded.registry(), runtime.forBundle(model));
        BadRows bad = inputOptions.badRows(report)) {
      RuntimeMixin.warn(spec, p.runtimeWarning());
      io.mmfuse.api.proto.HeadSpec head = p.spec().getHead();
      if (head.getTask() != Task.CONTRASTIVE) {
        throw new InvalidConfigurationException("model " + model + " is not contrastive (its task is "
            + head.getTask() + "); zero-shot classification needs a model trained with --task contrastive");
      }
      List<String> other = head.getSideAList().contains(input) ? head.getSideBList() : head.getSideAList();
      p.sideOf(input);
      if (other.size() != 1) {
        throw new InvalidConfigurationException("zero-shot: the other side of '" + input + "' has the inputs "
            + other + "; the labels need a side of one input");
      }
      List<float[]> labelVectors = new ArrayList<>();
      for (String n : names) {
        labelVectors.add(p.embed(Map.of(other.get(0), template.replace("{}", n)), other.get(0)));
      }
      int k = names.size();
      int[][] confusion = new int[k][k];
      int unknown = 0;
      try (DataFile d = DataFile.open(data, labelColumn, p.sideSpec(input), loaded.registry(),
              Dataset.ReadOptions.NONE, bad);
          AtomicOutput written = new AtomicOutput(output, spec.commandLine().getOut())) {
        PrintWriter out = written.writer();
        int[] unknownRows = {0};
        PredictionStream.embed(p, d, input, inputOptions.threads(), (row, truth, v, skipped) -> {
          JsonObject o = new JsonObject();
          o.addProperty("row", row + 1);
          if (v == null) {
            o.addProperty("skipped_line", d.line(row));
            o.addProperty("error", skipped.getMessage());
            out.println(o);
            return;
          }
          int best = 0;
          JsonObject scores = new JsonObject();
          float[] sims = new float[k];
          for (int c = 0; c < k; c++) {
            float s = 0;
            for (int j = 0; j < v.length; j++) {
              s += v[j] * labelVectors.get(c)[j];
            }
            sims[c] = s;
            scores.addProperty(names.get(c), s);
            if (s > sims[best]) {
              best = c;
            }
          }
          o.addProperty("label", names.get(best));
          o.add("scores", scores);
          out.println(o);
          if (labelColumn != null) {
            int t = names.indexOf(truth);
            if (t < 0) {
              unknownRows[0]++;
            } else {
              confusion[t][best]++;
            }
          }
        });
        unknown = unknownRows[0];
        JsonObject metrics = labelColumn == null ? null : metrics(confusion, unknown);
        if (metrics != null) {
          out.println(metrics);
        }
        written.commit();
        if (metrics != null && output != null) {
          spec.commandLine().getOut().println(metrics);
        }
      }
      if (unknown > 0) {
        spec.commandLine().getErr().printf(Locale.ROOT, "warning: %d row(s) have a true label that is not in %s;"
            + " they count as wrong%n", unknown, labels);
      }
      if (!bad.summary().isEmpty()) {
        spec.commandLine().getErr().println(bad.summary());
      }
      spec.commandLine().getErr().flush();
      spec.commandLine().getOut().flush();
    }
    return 0;
  }

  /** Accuracy and macro F1 over the labels, a row whose truth is not a label counting as wrong. */
  static JsonObject metrics(int[][] confusion, int unknown) {
    int k = confusion.length;
    long correct = 0;
    long total = unknown;
    double f1 = 0;
    for (int c = 0; c < k; c++) {
      long tp = confusion[c][c];
      long fp = 0;
      long fn = 0;
      for (int o = 0; o < k; o++) {
        total += confusion[c][o];
        if (o != c) {
          fp += confusion[o][c];
          fn += confusion[c][o];
        }
      }
      correct += tp;
      f1 += tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
    }
    JsonObject o = new JsonObject();
    o.addProperty("accuracy", total == 0 ? Double.NaN : (double) correct / total);
    o.addProperty("macro_f1", f1 / k);
    o.addProperty("rows", total);
    o.addProperty("chance", 1.0 / k);
    return o;
  }
}
