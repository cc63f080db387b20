package io.mmfuse.examples.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.mmfuse.api.proto.Task;
import io.mmfuse.fusion.train.LabelEncoder;
import java.util.List;
import java.util.Map;

/** Small JSON helpers for the command line's output. */
final class Json {
  private Json() {}

  static String metrics(Map<String, Double> metrics) {
    JsonObject o = new JsonObject();
    metrics.forEach((k, v) -> {
      if (Double.isFinite(v)) {
        o.addProperty(k, v);
      }
    });
    return o.toString();
  }

  /**
   * One row's prediction: {@code prediction} (the class; for multi-label the array of classes at or above 0.5) and
   * {@code probabilities} by class, or {@code value} (one regression output) / {@code values} (several).
   */
  /** The line that stands for a row skipped as bad: its line in the input and why. */
  static JsonObject skipped(long line, String error) {
    JsonObject o = new JsonObject();
    o.addProperty("skipped_line", line);
    o.addProperty("error", error);
    return o;
  }

  static JsonObject prediction(LabelEncoder labels, float[] v) {
    JsonObject o = new JsonObject();
    if (labels.task() == Task.REGRESSION) {
      if (v.length == 1) {
        o.addProperty("value", v[0]);
      } else {
        JsonArray a = new JsonArray();
        for (float x : v) {
          a.add(x);
        }
        o.add("values", a);
      }
      return o;
    }
    List<String> predicted = labels.decode(v);
    if (labels.task() == Task.MULTI_LABEL) {
      JsonArray a = new JsonArray();
      predicted.forEach(a::add);
      o.add("prediction", a);
    } else {
      o.addProperty("prediction", predicted.get(0));
    }
    JsonObject probs = new JsonObject();
    for (int c = 0; c < v.length; c++) {
      probs.addProperty(labels.classes().get(c), v[c]);
    }
    o.add("probabilities", probs);
    return o;
  }
}
