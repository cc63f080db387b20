package io.mmfuse.fusion.hf;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import io.mmfuse.api.CheckpointException;
import io.mmfuse.api.UnsupportedFeatureException;
import io.mmfuse.api.proto.PositionLayout;
import io.mmfuse.api.proto.TokenKind;
import io.mmfuse.api.safetensors.SafeTensors;
import io.mmfuse.api.safetensors.TensorInfo;
import io.mmfuse.fusion.graph.EncoderConfig;
import io.mmfuse.fusion.graph.FusionConfig;
import io.mmfuse.fusion.graph.FusionGraph;
import io.mmfuse.fusion.graph.FusionStrategies;
import io.mmfuse.fusion.graph.InputConfig;
import io.mmfuse.fusion.graph.Weight;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Imports Hugging Face checkpoints ({@code config.json} + {@code model.safetensors}) of {@code model_type}
 * {@code bert}, {@code vit} and {@code vilt} onto the one {@link FusionGraph}: each import is a mapping of names and
 * layouts (PyTorch {@code Linear} weights transposed, Q/K/V concatenated, {@code Conv2d} patch weights reshaped to the
 * projection matrix of the image's patch tokens), never a separate model.
 */
public final class HfCheckpoints {
  private HfCheckpoints() {}

  /** Name of the text input of imported models. */
  public static final String TEXT = "text";
  /** Name of the image input of imported models. */
  public static final String IMAGE = "image";

  /** An imported checkpoint: the model's configuration, its weights, and the image patch size (0 for none). */
  public record Imported(String modelType, FusionConfig config, Map<String, Weight> weights, int patchSize) {}

  /** Reads a checkpoint directory. */
  public static Imported read(Path dir) {
    Path configFile = dir.resolve("config.json");
    Path weightsFile = dir.resolve("model.safetensors");
    if (!Files.isRegularFile(configFile)) {
      throw new CheckpointException("checkpoint " + dir + ": config.json is missing");
    }
    if (!Files.isRegularFile(weightsFile)) {
      throw new CheckpointException("checkpoint " + dir + ": model.safetensors is missing");
    }
    JsonObject config;
    try {
      JsonElement e = io.mmfuse.api.Limits.parseJson(io.mmfuse.api.Limits.readText(configFile,
          m -> new CheckpointException(configFile + ": " + m)));
      if (!e.isJsonObject()) {
        throw new CheckpointException(configFile + ": expected a JSON object");
      }
      config = e.getAsJsonObject();
    } catch (IOException | JsonParseException e) {
      throw new CheckpointException(configFile + ": cannot be read: " + e.getMessage(), e);
    }
    SafeTensors weights = SafeTensors.open(weightsFile);
    try {
      return new Reader(config, weights, configFile.toString()).read();
    } catch (IllegalStateException | UnsupportedOperationException | ClassCastException | NumberFormatException
        | NullPointerException e) {
      // A field of the wrong JSON kind (an object where a string belongs, ...).
      throw new CheckpointException(configFile + ": a field has the wrong kind of value: " + e.getMessage(), e);
    }
  }

  private static final class Reader {
    private final JsonObject json;
    private final SafeTensors st;
    private final String source;
    private final Map<String, Weight> out = new LinkedHashMap<>();
    private final String modelType;

    Reader(JsonObject json, SafeTensors st, String source) {
      this.json = json;
      this.st = st;
      this.source = source;
      this.modelType = json.has("model_type") && json.get("model_type").isJsonPrimitive()
          ? json.get("model_type").getAsString() : "";
    }

    private int integer(String key) {
      JsonElement e = json.get(key);
      if (e == null || !e.isJsonPrimitive()) {
        throw new CheckpointException(source + ": " + key + " is missing; expected an integer");
      }
      try {
        if (!e.getAsJsonPrimitive().isNumber()) {
          throw new NumberFormatException();
        }
        int v = e.getAsJsonPrimitive().getAsBigDecimal().intValueExact();
        if (v < 0) {
          throw new NumberFormatException();
        }
        return v;
      } catch (NumberFormatException | ArithmeticException x) {
        throw new CheckpointException(source + ": " + key + " is " + e + "; expected a whole number from 0 to "
            + Integer.MAX_VALUE);
      }
    }

    private float number(String key, float dflt) {
      JsonElement e = json.get(key);
      if (e == null || e.isJsonNull()) {
        return dflt;
      }
      if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
        throw new CheckpointException(source + ": " + key + " is " + e + "; expected a number");
      }
      return e.getAsFloat();
    }

    /** Reads a tensor, checking its shape. */
    private float[] take(String name, long... expected) {
      TensorInfo t = st.find(name).orElseThrow(() ->
          new CheckpointException(st.source() + ": tensor " + name + " is missing; expected shape "
              + Arrays.toString(expected)));
      if (!Arrays.equals(t.shape(), expected)) {
        throw new CheckpointException(st.source() + ": tensor " + name + " has shape " + t.shapeText()
            + "; expected " + Arrays.toString(expected) + " from " + source);
      }
      return st.floats(name);
    }

    private void put(String name, float[] data, long... shape) {
      out.put(name, new Weight(shape, data));
    }

    /** A PyTorch Linear weight [out, in] as our kernel [in, out]. */
    private static float[] transpose(float[] w, int rows, int cols) {
      float[] t = new float[w.length];
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
          t[c * rows + r] = w[r * cols + c];
        }
      }
      return t;
    }

    private void linear(String hf, String ours, int in, int outDim) {
      put(ours + "/kernel", transpose(take(hf + ".weight", outDim, in), outDim, in), in, outDim);
      put(ours + "/bias", take(hf + ".bias", outDim), outDim);
    }

    private void norm(String hf, String ours, int h) {
      put(ours + "/gamma", take(hf + ".weight", h), h);
      put(ours + "/beta", take(hf + ".bias", h), h);
    }

    Imported read() {
      return switch (modelType) {
        case "bert" -> bert();
        case "vit" -> vit();
        case "vilt" -> vilt();
        default -> throw new UnsupportedFeatureException(
            source + ": model_type '" + modelType + "' is not supported; expected bert, vit or vilt");
      };
    }

    private EncoderConfig encoder(boolean preNorm, boolean finalNorm, boolean pooler) {
      String act = json.has("hidden_act") ? json.get("hidden_act").getAsString() : "gelu";
      io.mmfuse.api.proto.Activation a = switch (act) {
        case "gelu" -> io.mmfuse.api.proto.Activation.GELU;
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> io.mmfuse.api.proto.Activation.GELU_TANH;
        case "relu" -> io.mmfuse.api.proto.Activation.RELU;
        default -> throw new UnsupportedFeatureException(source + ": hidden_act '" + act + "' is not supported");
      };
      return new EncoderConfig(
          integer("hidden_size"), integer("num_hidden_layers"), integer("num_attention_heads"),
          integer("intermediate_size"), preNorm, a, number("layer_norm_eps", 1e-12f),
          number("hidden_dropout_prob", 0f), number("attention_probs_dropout_prob", 0f), finalNorm, pooler);
    }

    private void layers(EncoderConfig e, String attention, String norm1, String norm2) {
      int h = e.width();
      for (int i = 0; i < e.layers(); i++) {
        String hf = "encoder.layer." + i + ".";
        String ours = "encoder/layer_" + i;
        float[] kernel = new float[h * 3 * h];
        float[] bias = new float[3 * h];
        String[] parts = {"query", "key", "value"};
        for (int p = 0; p < 3; p++) {
          String name = hf + attention + "." + parts[p];
          float[] w = take(name + ".weight", h, h);
          for (int r = 0; r < h; r++) {
            for (int c = 0; c < h; c++) {
              // w[out=r][in=c] -> kernel[in=c][p*h + r]
              kernel[c * 3 * h + p * h + r] = w[r * h + c];
            }
          }
          System.arraycopy(take(name + ".bias", h), 0, bias, p * h, h);
        }
        put(ours + "/attention/qkv/kernel", kernel, h, 3L * h);
        put(ours + "/attention/qkv/bias", bias, 3L * h);
        linear(hf + "attention.output.dense", ours + "/attention/output", h, h);
        norm(hf + norm1, ours + "/norm1", h);
        norm(hf + norm2, ours + "/norm2", h);
        linear(hf + "intermediate.dense", ours + "/ffn/in", h, e.ffnWidth());
        linear(hf + "output.dense", ours + "/ffn/out", e.ffnWidth(), h);
      }
    }

    private InputConfig text(String prefix, int h) {
      int vocab = integer("vocab_size");
      int positions = integer("max_position_embeddings");
      int types = json.has("type_vocab_size") ? integer("type_vocab_size") : 2;
      put("embed/" + TEXT + "/tokens", take(prefix + "word_embeddings.weight", vocab, h), vocab, h);
      put("embed/" + TEXT + "/positions", take(prefix + "position_embeddings.weight", positions, h), positions, h);
      put("embed/" + TEXT + "/segments", take(prefix + "token_type_embeddings.weight", types, h), types, h);
      norm(prefix + "LayerNorm", "embed/" + TEXT + "/norm", h);
      return new InputConfig(TEXT, TokenKind.DISCRETE, vocab, 0, false, PositionLayout.SEQUENCE, positions, 0, 0,
          types, false, true, false);
    }

    private InputConfig image(String prefix, int h, int patch) {
      int channels = json.has("num_channels") ? integer("num_channels") : 3;
      if (channels != 3) {
        throw new UnsupportedFeatureException(source + ": num_channels " + channels + " is not supported (3 is)");
      }
      int grid = integer("image_size") / patch;
      int width = 3 * patch * patch;
      float[] conv = take(prefix + "patch_embeddings.projection.weight", h, 3, patch, patch);
      put("embed/" + IMAGE + "/projection/kernel", transpose(conv, h, width), width, h);
      put("embed/" + IMAGE + "/projection/bias", take(prefix + "patch_embeddings.projection.bias", h), h);
      put("embed/" + IMAGE + "/cls", take(prefix + "cls_token", 1, 1, h), h);
      float[] pos = take(prefix + "position_embeddings", 1, 1L + (long) grid * grid, h);
      put("embed/" + IMAGE + "/cls_position", Arrays.copyOfRange(pos, 0, h), h);
      put("embed/" + IMAGE + "/positions", Arrays.copyOfRange(pos, h, pos.length), (long) grid * grid, h);
      return new InputConfig(IMAGE, TokenKind.CONTINUOUS, 0, width, false, PositionLayout.GRID, grid * grid, grid,
          grid, 0, true, false, false);
    }

    private boolean pooler(int h) {
      if (st.find("pooler.dense.weight").isEmpty()) {
        return false;
      }
      linear("pooler.dense", "pooler", h, h);
      return true;
    }

    private Imported bert() {
      int h = integer("hidden_size");
      InputConfig text = text("embeddings.", h);
      boolean pooler = pooler(h);
      EncoderConfig e = encoder(false, false, pooler);
      layers(e, "attention.self", "attention.output.LayerNorm", "output.LayerNorm");
      return new Imported(modelType, new FusionConfig(List.of(text), FusionStrategies.named("concat"), false, false, e), out, 0);
    }

    private Imported vit() {
      int h = integer("hidden_size");
      int patch = integer("patch_size");
      InputConfig image = image("embeddings.", h, patch);
      boolean pooler = pooler(h);
      EncoderConfig e = encoder(true, true, pooler);
      layers(e, "attention.attention", "layernorm_before", "layernorm_after");
      norm("layernorm", "encoder/final_norm", h);
      return new Imported(modelType, new FusionConfig(List.of(image), FusionStrategies.named("concat"), false, false, e), out, patch);
    }

    private Imported vilt() {
      int h = integer("hidden_size");
      int patch = integer("patch_size");
      InputConfig text = text("embeddings.text_embeddings.", h);
      InputConfig image = image("embeddings.", h, patch);
      int types = json.has("modality_type_vocab_size") ? integer("modality_type_vocab_size") : 2;
      float[] modality = take("embeddings.token_type_embeddings.weight", types, h);
      put("embed/modality_types", Arrays.copyOf(modality, 2 * h), 2, h);
      boolean pooler = pooler(h);
      EncoderConfig e = encoder(true, true, pooler);
      layers(e, "attention.attention", "layernorm_before", "layernorm_after");
      norm("layernorm", "encoder/final_norm", h);
      List<InputConfig> inputs = new ArrayList<>(List.of(text, image));
      return new Imported(modelType, new FusionConfig(inputs, FusionStrategies.named("concat"), false, true, e), out, patch);
    }
  }
}
