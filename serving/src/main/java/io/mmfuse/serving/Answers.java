package io.mmfuse.serving;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.mmfuse.api.proto.Task;
import io.mmfuse.fusion.train.LabelEncoder;
import io.mmfuse.serving.proto.Prediction;
import java.util.List;

/**
 * One example's outputs as users read them: the class (for multi-label, the classes at or above 0.5) and the
 * probability of each class, or the regression value(s). The JSON form is what {@code mmfuse predict} prints.
 */
public final class Answers {
  private Answers() {}

  /**
   * {@code prediction} (the class; for multi-label the array of classes at or above 0.5) and {@code probabilities}
   * by class, or {@code value} (one regression output) / {@code values} (several).
   */
  public static JsonObject json(LabelEncoder labels, float[] v) {
    JsonObject o = new JsonObject();
    if (labels.task() == Task.REGRESSION) {
      if (v.length == 1) {
        o.addProperty("value", v[0]);
      } else {
        o.add("values", array(v));
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

  /** The same answer as a protobuf record, with the raw outputs. */
  public static Prediction proto(LabelEncoder labels, float[] v) {
    Prediction.Builder b = Prediction.newBuilder();
    for (float x : v) {
      b.addOutputs(x);
    }
    if (labels.task() == Task.REGRESSION) {
      return b.build();
    }
    List<String> predicted = labels.decode(v);
    if (labels.task() == Task.MULTI_LABEL) {
      b.addAllLabels(predicted);
    } else {
      b.setPrediction(predicted.get(0));
    }
    for (int c = 0; c < v.length; c++) {
      b.putProbabilities(labels.classes().get(c), v[c]);
    }
    return b.build();
  }

  static JsonArray array(float[] v) {
    JsonArray a = new JsonArray();
    for (float x : v) {
      a.add(x);
    }
    return a;
  }
}
