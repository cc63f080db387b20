package io.mmfuse.modality.text.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.api.Limits;
import io.mmfuse.api.UnsupportedFeatureException;
import io.mmfuse.modality.text.HfTokenizer;
import io.mmfuse.modality.text.Truncation;
import java.io.IOException;
import java.nio.file.Path;
import java.text.Normalizer.Form;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reads Hugging Face {@code tokenizer.json} files and BERT {@code vocab.txt} files into tokenizer pipelines. */
public final class TokenizerFiles {
  private TokenizerFiles() {}

  public static HfTokenizer readTokenizerJson(Path file) {
    return parseTokenizerJson(readUtf8(file), file.toString());
  }

  private static String readUtf8(Path file) {
    try {
      return Limits.readText(file, m -> new InvalidConfigurationException("tokenizer file " + file + " " + m));
    } catch (IOException e) {
      throw new InvalidConfigurationException("tokenizer file " + file + ": cannot be read: " + e, e);
    }
  }

  public static HfTokenizer parseTokenizerJson(String json, String source) {
    JsonObject root;
    try {
      JsonElement e = Limits.parseJson(json);
      if (!e.isJsonObject()) {
        throw problem(source, "expected a JSON object at the top level, found " + kind(e));
      }
      root = e.getAsJsonObject();
    } catch (JsonParseException | IllegalStateException e) {
      throw new InvalidConfigurationException(
          "tokenizer file " + source + ": not valid JSON (truncated or malformed): " + e.getMessage(), e);
    }
    try {
      return new Reader(source).read(root);
    } catch (InvalidConfigurationException e) {
      // A part's own check ("truncation: max length must be > 0") says what, not which file.
      throw e.detail().contains(source) ? e : new InvalidConfigurationException("tokenizer file " + source + ": "
          + e.detail(), e);
    } catch (IllegalStateException | UnsupportedOperationException | ClassCastException | NumberFormatException
        | IndexOutOfBoundsException | NullPointerException e) {
      // A field of the wrong JSON kind or length ("truncation": "yes", a sep of one element, a merge that is an
      // object): said as what it is, not as a stack trace.
      throw problem(source, "a field has the wrong kind of value (" + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
    }
  }

  public static HfTokenizer readBertVocab(Path file, boolean lowercase) {
    String text = readUtf8(file);
    Map<String, Integer> vocab = new HashMap<>();
    String[] lines = text.split("\n", -1);
    int n = lines.length;
    if (n > 0 && lines[n - 1].isEmpty()) {
      n--;
    }
    if (Limits.VOCABULARY.exceeded(n)) {
      throw problem(file.toString(), "the vocabulary has " + Limits.VOCABULARY.refusal(n));
    }
    for (int i = 0; i < n; i++) {
      vocab.put(lines[i].stripTrailing(), i);
    }
    for (String required : List.of("[UNK]", "[CLS]", "[SEP]")) {
      if (!vocab.containsKey(required)) {
        throw problem(file.toString(), "the special token " + required + " is missing from the vocabulary");
      }
    }
    List<AddedVocabulary.Token> added = new ArrayList<>();
    for (String special : List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")) {
      Integer id = vocab.get(special);
      if (id != null) {
        added.add(new AddedVocabulary.Token(special, id, false, false, false, false, true));
      }
    }
    Normalizer normalizer = new Normalizers.Bert(true, true, lowercase, lowercase);
    return new HfTokenizer(
        file.toString(),
        new AddedVocabulary(added, normalizer),
        normalizer,
        new PreTokenizers.Bert(),
        new WordPiece(vocab, "[UNK]", "##", 100),
        PostProcessors.bert(vocab.get("[CLS]"), vocab.get("[SEP]")),
        null);
  }

  private static InvalidConfigurationException problem(String source, String what) {
    return new InvalidConfigurationException("tokenizer file " + source + ": " + what);
  }

  private static String kind(JsonElement e) {
    if (e == null || e.isJsonNull()) {
      return "null";
    }
    if (e.isJsonObject()) {
      return "an object";
    }
    if (e.isJsonArray()) {
      return "an array";
    }
    return e.getAsJsonPrimitive().isString() ? "a string" : e.getAsJsonPrimitive().isBoolean() ? "a boolean"
        : "a number";
  }

  /** Reads one file, naming the JSON path of whatever is wrong. */
  private static final class Reader {
    private final String source;

    Reader(String source) {
      this.source = source;
    }

    HfTokenizer read(JsonObject root) {
      Normalizer normalizer = normalizer(root.get("normalizer"), "normalizer");
      PreTokenizer preTokenizer = preTokenizer(root.get("pre_tokenizer"), "pre_tokenizer");
      Model model = model(object(root, "model", "model"));
      List<AddedVocabulary.Token> added = addedTokens(root.get("added_tokens"));
      PostProcessor post = postProcessor(root.get("post_processor"), "post_processor");
      Truncation truncation = truncation(root.get("truncation"));
      return new HfTokenizer(
          source, new AddedVocabulary(added, normalizer), normalizer, preTokenizer, model, post, truncation);
    }

    private InvalidConfigurationException bad(String path, String what) {
      return problem(source, path + ": " + what);
    }

    private JsonObject object(JsonObject parent, String key, String path) {
      JsonElement e = parent.get(key);
      if (e == null || !e.isJsonObject()) {
        throw bad(path, "expected an object, found " + (e == null ? "nothing" : kind(e)));
      }
      return e.getAsJsonObject();
    }

    private String type(JsonObject o, String path) {
      JsonElement t = o.get("type");
      if (t == null || !t.isJsonPrimitive() || !t.getAsJsonPrimitive().isString()) {
        throw bad(path, "expected a \"type\" string, found " + (t == null ? "nothing" : kind(t)));
      }
      return t.getAsString();
    }

    private boolean bool(JsonObject o, String key, boolean dflt, String path) {
      JsonElement e = o.get(key);
      if (e == null || e.isJsonNull()) {
        return dflt;
      }
      if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
        throw bad(path + "." + key, "expected true or false, found " + kind(e));
      }
      return e.getAsBoolean();
    }

    private String string(JsonObject o, String key, String dflt, String path) {
      JsonElement e = o.get(key);
      if (e == null || e.isJsonNull()) {
        return dflt;
      }
      if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
        throw bad(path + "." + key, "expected a string, found " + kind(e));
      }
      return e.getAsString();
    }

    private int integer(JsonElement e, String path) {
      if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
        throw bad(path, "expected an integer, found " + (e == null ? "nothing" : kind(e)));
      }
      double d = e.getAsDouble();
      if (d != Math.rint(d) || d < 0 || d > Integer.MAX_VALUE) {
        throw bad(path, "expected a non-negative integer, found " + e);
      }
      return (int) d;
    }

    private JsonArray array(JsonObject o, String key, String path) {
      JsonElement e = o.get(key);
      if (e == null || !e.isJsonArray()) {
        throw bad(path + "." + key, "expected an array, found " + (e == null ? "nothing" : kind(e)));
      }
      return e.getAsJsonArray();
    }

    Normalizer normalizer(JsonElement e, String path) {
      if (e == null || e.isJsonNull()) {
        return null;
      }
      if (!e.isJsonObject()) {
        throw bad(path, "expected an object or null, found " + kind(e));
      }
      JsonObject o = e.getAsJsonObject();
      String type = type(o, path);
      switch (type) {
        case "BertNormalizer": {
          boolean lowercase = bool(o, "lowercase", true, path);
          JsonElement strip = o.get("strip_accents");
          boolean stripAccents = strip == null || strip.isJsonNull() ? lowercase : bool(o, "strip_accents", false, path);
          return new Normalizers.Bert(
              bool(o, "clean_text", true, path), bool(o, "handle_chinese_chars", true, path), stripAccents,
              lowercase);
        }
        case "Lowercase":
          return new Normalizers.Lowercase();
        case "StripAccents":
          return new Normalizers.StripAccents();
        case "NFC":
          return new Normalizers.Unicode(Form.NFC);
        case "NFD":
          return new Normalizers.Unicode(Form.NFD);
        case "NFKC":
          return new Normalizers.Unicode(Form.NFKC);
        case "NFKD":
          return new Normalizers.Unicode(Form.NFKD);
        case "Sequence": {
          JsonArray list = array(o, "normalizers", path);
          List<Normalizer> parts = new ArrayList<>();
          for (int i = 0; i < list.size(); i++) {
            Normalizer n = normalizer(list.get(i), path + ".normalizers[" + i + "]");
            if (n != null) {
              parts.add(n);
            }
          }
          return new Normalizers.Sequence(List.copyOf(parts));
        }
        default:
          throw new UnsupportedFeatureException(
              "tokenizer file " + source + ": " + path + ": normalizer type " + type + " is not supported");
      }
    }

    PreTokenizer preTokenizer(JsonElement e, String path) {
      if (e == null || e.isJsonNull()) {
        return null;
      }
      if (!e.isJsonObject()) {
        throw bad(path, "expected an object or null, found " + kind(e));
      }
      JsonObject o = e.getAsJsonObject();
      String type = type(o, path);
      switch (type) {
        case "BertPreTokenizer":
          return new PreTokenizers.Bert();
        case "Whitespace":
          return new PreTokenizers.Whitespace();
        case "WhitespaceSplit":
          return new PreTokenizers.WhitespaceSplit();
        case "ByteLevel":
          return new PreTokenizers.ByteLevel(
              bool(o, "add_prefix_space", true, path), bool(o, "use_regex", true, path));
        case "Sequence": {
          JsonArray list = array(o, "pretokenizers", path);
          List<PreTokenizer> parts = new ArrayList<>();
          for (int i = 0; i < list.size(); i++) {
            PreTokenizer p = preTokenizer(list.get(i), path + ".pretokenizers[" + i + "]");
            if (p != null) {
              if (p.byteLevel() && i != list.size() - 1) {
                throw new UnsupportedFeatureException(
                    "tokenizer file " + source + ": " + path + ": a ByteLevel pre-tokenizer that is not the last"
                        + " of a Sequence is not supported");
              }
              parts.add(p);
            }
          }
          return new PreTokenizers.Sequence(List.copyOf(parts));
        }
        default:
          throw new UnsupportedFeatureException(
              "tokenizer file " + source + ": " + path + ": pre-tokenizer type " + type + " is not supported");
      }
    }

    Map<String, Integer> vocab(JsonObject model) {
      JsonElement v = model.get("vocab");
      if (v == null || !v.isJsonObject()) {
        throw bad("model.vocab", "expected an object of token to id, found " + (v == null ? "nothing" : kind(v)));
      }
      if (Limits.VOCABULARY.exceeded(v.getAsJsonObject().size())) {
        throw bad("model.vocab", "the vocabulary has " + Limits.VOCABULARY.refusal(v.getAsJsonObject().size()));
      }
      Map<String, Integer> vocab = new HashMap<>();
      for (Map.Entry<String, JsonElement> entry : v.getAsJsonObject().entrySet()) {
        vocab.put(entry.getKey(), integer(entry.getValue(), "model.vocab[\"" + entry.getKey() + "\"]"));
      }
      if (vocab.isEmpty()) {
        throw bad("model.vocab", "the vocabulary is empty");
      }
      return vocab;
    }

    Model model(JsonObject o) {
      String type = o.has("type") ? type(o, "model") : null;
      if (type == null) {
        throw bad("model", "has no \"type\"; expected WordPiece or BPE");
      }
      try {
        switch (type) {
          case "WordPiece": {
            Map<String, Integer> vocab = vocab(o);
            String unk = string(o, "unk_token", "[UNK]", "model");
            if (!vocab.containsKey(unk)) {
              throw bad("model.unk_token", "the unknown token " + unk + " is not in the vocabulary");
            }
            JsonElement max = o.get("max_input_chars_per_word");
            return new WordPiece(
                vocab, unk, string(o, "continuing_subword_prefix", "##", "model"),
                max == null || max.isJsonNull() ? 100 : integer(max, "model.max_input_chars_per_word"));
          }
          case "BPE": {
            JsonElement dropout = o.get("dropout");
            if (dropout != null && !dropout.isJsonNull() && dropout.getAsDouble() > 0) {
              throw new UnsupportedFeatureException(
                  "tokenizer file " + source + ": model.dropout: BPE dropout (random merges) is not supported");
            }
            Map<String, Integer> vocab = vocab(o);
            String unk = string(o, "unk_token", null, "model");
            if (unk != null && !vocab.containsKey(unk)) {
              throw bad("model.unk_token", "the unknown token " + unk + " is not in the vocabulary");
            }
            return new Bpe(
                vocab, merges(o), unk, string(o, "continuing_subword_prefix", "", "model"),
                string(o, "end_of_word_suffix", "", "model"), bool(o, "fuse_unk", false, "model"),
                bool(o, "byte_fallback", false, "model"), bool(o, "ignore_merges", false, "model"));
          }
          default:
            throw new UnsupportedFeatureException(
                "tokenizer file " + source + ": model type " + type + " is not supported (WordPiece and BPE are)");
        }
      } catch (IllegalArgumentException e) {
        throw bad("model", e.getMessage());
      }
    }

    List<String[]> merges(JsonObject model) {
      JsonArray list = array(model, "merges", "model");
      if (Limits.VOCABULARY.exceeded(list.size())) {
        throw bad("model.merges", "the list has " + Limits.VOCABULARY.refusal(list.size()).replaceFirst(" tokens",
            " merges"));
      }
      List<String[]> merges = new ArrayList<>(list.size());
      for (int i = 0; i < list.size(); i++) {
        JsonElement m = list.get(i);
        String path = "model.merges[" + i + "]";
        if (m.isJsonPrimitive() && m.getAsJsonPrimitive().isString()) {
          String s = m.getAsString();
          int space = s.indexOf(' ');
          if (space <= 0 || space != s.lastIndexOf(' ') || space == s.length() - 1) {
            throw bad(path, "expected two tokens separated by one space, found \"" + s + "\"");
          }
          merges.add(new String[] {s.substring(0, space), s.substring(space + 1)});
        } else if (m.isJsonArray() && m.getAsJsonArray().size() == 2) {
          merges.add(new String[] {m.getAsJsonArray().get(0).getAsString(), m.getAsJsonArray().get(1).getAsString()});
        } else {
          throw bad(path, "expected \"a b\" or [\"a\", \"b\"], found " + kind(m));
        }
      }
      return merges;
    }

    List<AddedVocabulary.Token> addedTokens(JsonElement e) {
      List<AddedVocabulary.Token> tokens = new ArrayList<>();
      if (e == null || e.isJsonNull()) {
        return tokens;
      }
      if (!e.isJsonArray()) {
        throw bad("added_tokens", "expected an array, found " + kind(e));
      }
      JsonArray list = e.getAsJsonArray();
      for (int i = 0; i < list.size(); i++) {
        String path = "added_tokens[" + i + "]";
        if (!list.get(i).isJsonObject()) {
          throw bad(path, "expected an object, found " + kind(list.get(i)));
        }
        JsonObject t = list.get(i).getAsJsonObject();
        String content = string(t, "content", null, path);
        if (content == null) {
          throw bad(path + ".content", "expected a string, found nothing");
        }
        boolean special = bool(t, "special", false, path);
        tokens.add(
            new AddedVocabulary.Token(
                content, integer(t.get("id"), path + ".id"), bool(t, "single_word", false, path),
                bool(t, "lstrip", false, path), bool(t, "rstrip", false, path),
                bool(t, "normalized", !special, path), special));
      }
      return tokens;
    }

    PostProcessor postProcessor(JsonElement e, String path) {
      if (e == null || e.isJsonNull()) {
        return PostProcessor.NONE;
      }
      if (!e.isJsonObject()) {
        throw bad(path, "expected an object or null, found " + kind(e));
      }
      JsonObject o = e.getAsJsonObject();
      String type = type(o, path);
      switch (type) {
        case "ByteLevel":
          return PostProcessor.NONE;
        case "BertProcessing": {
          int sep = integer(array(o, "sep", path).get(1), path + ".sep[1]");
          int cls = integer(array(o, "cls", path).get(1), path + ".cls[1]");
          return PostProcessors.bert(cls, sep);
        }
        case "TemplateProcessing": {
          JsonObject specials = object(o, "special_tokens", path + ".special_tokens");
          return new PostProcessors.Template(
              template(array(o, "single", path), specials, path + ".single"),
              template(array(o, "pair", path), specials, path + ".pair"));
        }
        default:
          throw new UnsupportedFeatureException(
              "tokenizer file " + source + ": " + path + ": post-processor type " + type + " is not supported");
      }
    }

    private List<PostProcessors.Item> template(JsonArray items, JsonObject specials, String path) {
      List<PostProcessors.Item> out = new ArrayList<>();
      for (int i = 0; i < items.size(); i++) {
        String p = path + "[" + i + "]";
        if (!items.get(i).isJsonObject()) {
          throw bad(p, "expected an object, found " + kind(items.get(i)));
        }
        JsonObject item = items.get(i).getAsJsonObject();
        if (item.has("SpecialToken")) {
          JsonObject st = object(item, "SpecialToken", p + ".SpecialToken");
          String name = string(st, "id", null, p + ".SpecialToken");
          JsonElement def = specials.get(name);
          if (name == null || def == null || !def.isJsonObject()) {
            throw bad(p, "special token " + name + " is not defined in special_tokens");
          }
          JsonArray ids = array(def.getAsJsonObject(), "ids", "special_tokens." + name);
          int[] values = new int[ids.size()];
          for (int k = 0; k < values.length; k++) {
            values[k] = integer(ids.get(k), "special_tokens." + name + ".ids[" + k + "]");
          }
          out.add(PostProcessors.Item.special(values, integer(st.get("type_id"), p + ".SpecialToken.type_id")));
        } else if (item.has("Sequence")) {
          JsonObject seq = object(item, "Sequence", p + ".Sequence");
          String id = string(seq, "id", null, p + ".Sequence");
          if (!"A".equals(id) && !"B".equals(id)) {
            throw bad(p + ".Sequence.id", "expected A or B, found " + id);
          }
          out.add(PostProcessors.Item.sequence(id.charAt(0), integer(seq.get("type_id"), p + ".Sequence.type_id")));
        } else {
          throw bad(p, "expected a SpecialToken or a Sequence");
        }
      }
      return out;
    }

    Truncation truncation(JsonElement e) {
      if (e == null || e.isJsonNull()) {
        return null;
      }
      JsonObject o = e.getAsJsonObject();
      String strategy = string(o, "strategy", "LongestFirst", "truncation");
      Truncation.Strategy s =
          switch (strategy) {
            case "LongestFirst" -> Truncation.Strategy.LONGEST_FIRST;
            case "OnlyFirst" -> Truncation.Strategy.ONLY_FIRST;
            case "OnlySecond" -> Truncation.Strategy.ONLY_SECOND;
            default -> throw new UnsupportedFeatureException(
                "tokenizer file " + source + ": truncation strategy " + strategy + " is not supported");
          };
      return new Truncation(
          integer(o.get("max_length"), "truncation.max_length"), s,
          "Left".equals(string(o, "direction", "Right", "truncation")));
    }
  }
}
