package io.mmfuse.examples.cli;

import com.google.gson.JsonObject;
import io.mmfuse.fusion.train.LabelEncoder;
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

  /** The line that stands for a row skipped as bad: its line in the input and why. */
  static JsonObject skipped(long line, String error) {
    JsonObject o = new JsonObject();
    o.addProperty("skipped_line", line);
    o.addProperty("error", error);
    return o;
  }

  /** One row's prediction, as the server answers it too ({@link io.mmfuse.serving.Answers#json}). */
  static JsonObject prediction(LabelEncoder labels, float[] v) {
    return io.mmfuse.serving.Answers.json(labels, v);
  }
}
