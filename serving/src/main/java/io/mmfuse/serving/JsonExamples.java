package io.mmfuse.serving;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.mmfuse.api.Limits;
import io.mmfuse.api.proto.Example;
import io.mmfuse.api.proto.FloatSeries;
import io.mmfuse.api.proto.InputSpec;
import io.mmfuse.api.proto.InputValue;
import io.mmfuse.api.proto.ModelSpec;
import io.mmfuse.api.proto.TableRow;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * HTTP/JSON examples as the protobuf records gRPC takes, by each input's modality: a text input is a string, a table
 * input an object of column to cell, an image {@code {"b64": "..."}} (or {@code {"url": "..."}} from an allowed
 * prefix), a series an array of numbers; null or absent is missing. Anything else is refused, naming the example and
 * the input.
 */
public final class JsonExamples {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
      .followRedirects(HttpClient.Redirect.NEVER).build();

  private final List<String> allowedUrlPrefixes;

  JsonExamples(List<String> allowedUrlPrefixes) {
    this.allowedUrlPrefixes = allowedUrlPrefixes;
  }

  /**
   * Examples as an HTTP/JSON request body takes them, {@code {"examples": [...]}}: text as strings, images as {@code
   * {"b64": ...}}, table rows as objects, series as arrays; for clients and tests.
   */
  public static JsonObject toJson(List<Example> examples) {
    JsonArray a = new JsonArray();
    for (Example e : examples) {
      JsonObject o = new JsonObject();
      e.getInputsMap().forEach((k, v) -> {
        switch (v.getValueCase()) {
          case TEXT -> o.addProperty(k, v.getText());
          case IMAGE, RAW -> {
            JsonObject b = new JsonObject();
            b.addProperty("b64", Base64.getEncoder().encodeToString(
                (v.hasImage() ? v.getImage() : v.getRaw()).toByteArray()));
            o.add(k, b);
          }
          case TABLE -> {
            JsonObject row = new JsonObject();
            v.getTable().getCellsMap().forEach(row::addProperty);
            o.add(k, row);
          }
          case SERIES -> {
            JsonArray s = new JsonArray();
            v.getSeries().getValuesList().forEach(s::add);
            o.add(k, s);
          }
          default -> throw new IllegalArgumentException("input '" + k + "': a " + v.getValueCase()
              + " value has no JSON form; send it over gRPC");
        }
      });
      a.add(o);
    }
    JsonObject body = new JsonObject();
    body.add("examples", a);
    return body;
  }

  /** The examples of a request body's {@code examples} array. */
  List<Example> examples(JsonObject body, ModelSpec spec, int maxExamples) {
    JsonElement e = body.get("examples");
    if (e == null || !e.isJsonArray()) {
      throw bad("the body needs \"examples\": an array of objects, input name to value; found "
          + (e == null ? "none" : kind(e)));
    }
    JsonArray a = e.getAsJsonArray();
    if (a.size() > maxExamples) {
      throw bad("the request has " + a.size() + " examples; the limit is " + maxExamples
          + " a request (--max-examples)");
    }
    List<Example> out = new ArrayList<>(a.size());
    for (int i = 0; i < a.size(); i++) {
      out.add(example(a.get(i), spec, i));
    }
    return out;
  }

  private Example example(JsonElement e, ModelSpec spec, int index) {
    String where = "example " + (index + 1);
    if (!e.isJsonObject()) {
      throw bad(where + ": expected an object, input name to value; found " + kind(e));
    }
    Example.Builder b = Example.newBuilder();
    for (Map.Entry<String, JsonElement> in : e.getAsJsonObject().entrySet()) {
      InputSpec input = spec.getInputsList().stream().filter(x -> x.getName().equals(in.getKey())).findFirst()
          .orElseThrow(() -> bad(where + ": the model has no input '" + in.getKey() + "'; its inputs are "
              + spec.getInputsList().stream().map(InputSpec::getName).toList()));
      if (in.getValue().isJsonNull()) {
        continue;
      }
      b.putInputs(in.getKey(), value(in.getValue(), input, where + ", input '" + in.getKey() + "'"));
    }
    return b.build();
  }

  private InputValue value(JsonElement v, InputSpec input, String where) {
    String modality = input.getModality();
    switch (modality) {
      case "text" -> {
        if (v.isJsonPrimitive() && v.getAsJsonPrimitive().isString()) {
          return InputValue.newBuilder().setText(v.getAsString()).build();
        }
        throw bad(where + " is text: expected a string, found " + kind(v));
      }
      case "image" -> {
        return InputValue.newBuilder().setImage(bytes(v, where, true)).build();
      }
      case "table" -> {
        if (!v.isJsonObject()) {
          throw bad(where + " is a table row: expected an object of column to cell, found " + kind(v));
        }
        TableRow.Builder row = TableRow.newBuilder();
        for (Map.Entry<String, JsonElement> c : v.getAsJsonObject().entrySet()) {
          JsonElement cell = c.getValue();
          if (cell.isJsonNull()) {
            continue;
          }
          if (!cell.isJsonPrimitive()) {
            throw bad(where + ", column '" + c.getKey() + "': expected a string, number or boolean, found "
                + kind(cell));
          }
          row.putCells(c.getKey(), cell.getAsString());
        }
        return InputValue.newBuilder().setTable(row).build();
      }
      default -> {
        // A third party's modality: the value's own kind.
        if (v.isJsonPrimitive() && v.getAsJsonPrimitive().isString()) {
          return InputValue.newBuilder().setText(v.getAsString()).build();
        }
        if (v.isJsonArray()) {
          FloatSeries.Builder s = FloatSeries.newBuilder();
          for (JsonElement x : v.getAsJsonArray()) {
            if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isNumber()) {
              throw bad(where + ": expected an array of numbers, found an element that is " + kind(x));
            }
            s.addValues(x.getAsFloat());
          }
          return InputValue.newBuilder().setSeries(s).build();
        }
        if (v.isJsonObject()) {
          return InputValue.newBuilder().setRaw(bytes(v, where, false)).build();
        }
        throw bad(where + " (modality '" + modality + "'): expected a string, an array of numbers or {\"b64\":"
            + " ...}, found " + kind(v));
      }
    }
  }

  private ByteString bytes(JsonElement v, String where, boolean image) {
    if (!v.isJsonObject() || v.getAsJsonObject().size() != 1
        || !(v.getAsJsonObject().has("b64") || v.getAsJsonObject().has("url"))) {
      throw bad(where + (image ? " is an image" : "") + ": expected {\"b64\": \"BASE64\"}"
          + (allowedUrlPrefixes.isEmpty() ? "" : " or {\"url\": \"...\"}") + ", found " + kind(v));
    }
    JsonObject o = v.getAsJsonObject();
    if (o.has("b64")) {
      JsonElement b64 = o.get("b64");
      if (!b64.isJsonPrimitive() || !b64.getAsJsonPrimitive().isString()) {
        throw bad(where + ": \"b64\" must be a string, found " + kind(b64));
      }
      try {
        return ByteString.copyFrom(Base64.getMimeDecoder().decode(b64.getAsString()));
      } catch (IllegalArgumentException e) {
        throw bad(where + ": \"b64\" is not base64: " + e.getMessage());
      }
    }
    JsonElement url = o.get("url");
    if (!url.isJsonPrimitive() || !url.getAsJsonPrimitive().isString()) {
      throw bad(where + ": \"url\" must be a string, found " + kind(url));
    }
    return fetch(url.getAsString(), where);
  }

  private ByteString fetch(String url, String where) {
    if (allowedUrlPrefixes.stream().noneMatch(url::startsWith)) {
      throw bad(where + ": the URL " + url + " is not fetched: "
          + (allowedUrlPrefixes.isEmpty() ? "this server fetches no URLs (send the bytes as {\"b64\": ...},"
              + " or start it with --allow-url PREFIX)" : "it starts with none of " + allowedUrlPrefixes));
    }
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw bad(where + ": the URL " + url + " is not valid: " + e.getMessage());
    }
    try {
      if ("file".equals(uri.getScheme())) {
        return ByteString.copyFrom(Limits.read(java.nio.file.Path.of(uri), Limits.IMAGE_BYTES,
            x -> new io.mmfuse.api.InvalidInputException(where + ": " + url + " " + x)));
      }
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
        throw bad(where + ": the URL " + url + " is not http, https or file");
      }
      HttpResponse<InputStream> r = HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET()
          .build(), HttpResponse.BodyHandlers.ofInputStream());
      try (InputStream in = r.body()) {
        if (r.statusCode() != 200) {
          throw bad(where + ": fetching " + url + " gave HTTP " + r.statusCode());
        }
        return ByteString.copyFrom(Limits.read(in, Limits.IMAGE_BYTES,
            x -> new io.mmfuse.api.InvalidInputException(where + ": " + url + " " + x)));
      }
    } catch (io.mmfuse.api.InvalidInputException e) {
      throw bad(e.detail());
    } catch (IOException e) {
      throw bad(where + ": fetching " + url + " failed: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ServingException(Status.Code.CANCELLED, where + ": interrupted while fetching " + url);
    }
  }

  static String kind(JsonElement e) {
    if (e == null || e.isJsonNull()) {
      return "null";
    }
    if (e.isJsonArray()) {
      return "an array";
    }
    if (e.isJsonObject()) {
      return "an object";
    }
    JsonPrimitive p = e.getAsJsonPrimitive();
    return p.isString() ? "a string" : p.isNumber() ? "a number (" + p + ")" : "a boolean (" + p + ")";
  }

  static ServingException bad(String message) {
    return new ServingException(Status.Code.INVALID_ARGUMENT, message);
  }
}
