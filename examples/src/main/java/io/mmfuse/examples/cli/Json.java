package io.mmfuse.examples.cli;

import com.google.gson.JsonObject;
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
}
