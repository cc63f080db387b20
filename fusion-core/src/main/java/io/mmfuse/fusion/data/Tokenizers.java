package io.mmfuse.fusion.data;

import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.ModalityTokenizer;
import io.mmfuse.api.TokenSequence;
import io.mmfuse.api.TokenSpace;
import io.mmfuse.fusion.graph.FusionConfig;
import io.mmfuse.fusion.graph.InputConfig;
import io.mmfuse.fusion.session.InputFeed;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The tokenizers of a model's inputs, and how examples become token sequences and batch feeds. */
public final class Tokenizers {
  private final Map<String, ModalityTokenizer<?>> byInput;

  public Tokenizers(Map<String, ModalityTokenizer<?>> byInput) {
    this.byInput = new LinkedHashMap<>(byInput);
  }

  public Map<String, TokenSpace> spaces() {
    Map<String, TokenSpace> out = new LinkedHashMap<>();
    byInput.forEach((k, v) -> out.put(k, v.tokenSpace()));
    return out;
  }

  /** Tokenizes one example: per input, a sequence, or null where the input is missing. */
  public Map<String, TokenSequence> tokenize(Map<String, ?> example, String where) {
    Map<String, TokenSequence> out = new LinkedHashMap<>();
    boolean any = false;
    for (Map.Entry<String, ModalityTokenizer<?>> e : byInput.entrySet()) {
      Object value = example.get(e.getKey());
      if (value == null) {
        out.put(e.getKey(), null);
        continue;
      }
      try {
        out.put(e.getKey(), e.getValue().tokenizeObject(value));
      } catch (InvalidInputException x) {
        throw new InvalidInputException(where + ", input '" + e.getKey() + "': " + x.detail(), x);
      }
      any = true;
    }
    if (!any) {
      throw new InvalidInputException(where + ": every input is missing; an example needs at least one");
    }
    return out;
  }

  /** Whether any input's tokenizer augments training examples. */
  public boolean augments() {
    return byInput.values().stream().anyMatch(ModalityTokenizer::augments);
  }

  /**
   * A training example's sequences with every augmenting input tokenized anew ({@link
   * ModalityTokenizer#tokenizeForTraining}), the others taken from {@code cached}; the inputs draw from {@code
   * random} in input order.
   */
  public Map<String, TokenSequence> tokenizeForTraining(Map<String, ?> example, Map<String, TokenSequence> cached,
      java.util.Random random, String where) {
    Map<String, TokenSequence> out = new LinkedHashMap<>(cached);
    for (Map.Entry<String, ModalityTokenizer<?>> e : byInput.entrySet()) {
      Object value = example.get(e.getKey());
      if (value == null || !e.getValue().augments()) {
        continue;
      }
      try {
        out.put(e.getKey(), e.getValue().tokenizeForTraining(value, random));
      } catch (InvalidInputException x) {
        throw new InvalidInputException(where + ", input '" + e.getKey() + "': " + x.detail(), x);
      }
    }
    return out;
  }

  /** The feeds of a batch of tokenized examples. */
  public static Map<String, InputFeed> feeds(FusionConfig config, List<Map<String, TokenSequence>> batch) {
    Map<String, InputFeed> feeds = new LinkedHashMap<>();
    for (InputConfig in : config.inputs()) {
      List<TokenSequence> seqs = new ArrayList<>(batch.size());
      for (Map<String, TokenSequence> ex : batch) {
        seqs.add(ex.get(in.name()));
      }
      feeds.put(in.name(), Batches.feed(in, seqs));
    }
    return feeds;
  }
}
