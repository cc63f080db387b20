package io.mmfuse.fusion.bundle;

import com.google.gson.JsonObject;
import io.mmfuse.fusion.train.TrainingConfig;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import java.util.Properties;

/**
 * Where a bundle came from, as its manifest records it.
 *
 * @param training the training configuration, as a JSON object ({@code TrainingConfig#toJson})
 * @param seed the run's seed
 * @param dataFile the training data file's name, as given
 * @param dataSha256 a SHA-256 of the training data file
 * @param mmfuseVersion the version of the mmfuse build that wrote the bundle
 * @param tensorflowVersion the version of the TensorFlow runtime that trained it
 * @param split how the rows were split into training and validation (kind, counts, seed, fraction, group column or
 *     validation file); empty when not recorded
 * @param machine the machine it trained on and what was chosen for it (CPU and its features, device, precision
 *     asked and used); empty when not recorded
 */
public record Provenance(JsonObject training, long seed, String dataFile, String dataSha256, String mmfuseVersion,
    String tensorflowVersion, JsonObject split, JsonObject machine) {

  public Provenance {
    Objects.requireNonNull(training, "training");
    Objects.requireNonNull(dataFile, "dataFile");
    Objects.requireNonNull(dataSha256, "dataSha256");
    Objects.requireNonNull(mmfuseVersion, "mmfuseVersion");
    Objects.requireNonNull(tensorflowVersion, "tensorflowVersion");
    Objects.requireNonNull(split, "split");
    Objects.requireNonNull(machine, "machine");
  }

  /** This provenance with the machine it trained on. */
  public Provenance withMachine(JsonObject m) {
    return new Provenance(training, seed, dataFile, dataSha256, mmfuseVersion, tensorflowVersion, split, m);
  }

  /** This run's provenance: the versions are this build's and the loaded TensorFlow's. */
  public static Provenance of(JsonObject training, long seed, String dataFile, String dataSha256) {
    return of(training, seed, dataFile, dataSha256, new JsonObject());
  }

  /** This run's provenance, with the split it validated on. */
  public static Provenance of(JsonObject training, long seed, String dataFile, String dataSha256, JsonObject split) {
    return new Provenance(training, seed, dataFile, dataSha256, buildVersion(), org.tensorflow.TensorFlow.version(),
        split, new JsonObject());
  }

  /** The version of this mmfuse build, from the build's own resource. */
  public static String buildVersion() {
    try (InputStream in = Provenance.class.getResourceAsStream("build.properties")) {
      Properties p = new Properties();
      if (in != null) {
        p.load(in);
      }
      String v = p.getProperty("version", "");
      return v.isEmpty() || v.startsWith("${") ? "unknown" : v;
    } catch (IOException e) {
      return "unknown";
    }
  }

  JsonObject toJson() {
    JsonObject o = new JsonObject();
    o.addProperty("mmfuse", mmfuseVersion);
    o.addProperty("tensorflow", tensorflowVersion);
    o.addProperty("seed", seed);
    JsonObject data = new JsonObject();
    data.addProperty("file", dataFile);
    data.addProperty("sha256", dataSha256);
    o.add("data", data);
    o.add("training", training);
    o.add("split", split);
    o.add("machine", machine);
    return o;
  }

  static Provenance fromJson(JsonObject o) {
    JsonObject data = o.getAsJsonObject("data");
    return new Provenance(o.getAsJsonObject("training"), o.get("seed").getAsLong(), data.get("file").getAsString(),
        data.get("sha256").getAsString(), o.get("mmfuse").getAsString(), o.get("tensorflow").getAsString(),
        o.has("split") ? o.getAsJsonObject("split") : new JsonObject(),
        o.has("machine") ? o.getAsJsonObject("machine") : new JsonObject());
  }
}
