package io.mmfuse.serving;

import io.grpc.Status;
import io.mmfuse.api.TokenSequence;
import io.mmfuse.api.proto.Example;
import io.mmfuse.api.proto.InputSpec;
import io.mmfuse.api.proto.Task;
import io.mmfuse.fusion.graph.Names;
import io.mmfuse.fusion.inference.Predictor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * What both protocols serve, with neither's types: each call takes a model name and examples, holds the model the
 * name serves when it arrives for the whole request (so every answer of a request comes from one model), checks and
 * tokenizes the examples on the caller's thread, and queues them on the model's batching predictor.
 */
final class Inference {
  /** The answers of one request, in order, and the version of the model that gave them all. */
  record Reply<T>(String version, io.mmfuse.fusion.train.LabelEncoder labels, List<T> items) {}

  /** One example's zero-shot answer: the best label and every label's similarity. */
  record Scores(String label, Map<String, Float> scores) {}

  private final ModelRegistry registry;
  private final int maxExamples;
  /** Where requests are answered: off the batcher's thread, which goes on to the next batch. */
  private final java.util.concurrent.ThreadPoolExecutor answers = new java.util.concurrent.ThreadPoolExecutor(
      Math.max(2, Runtime.getRuntime().availableProcessors()), Math.max(2, Runtime.getRuntime().availableProcessors()),
      30, java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
        Thread t = new Thread(r, "mmfuse-answer");
        t.setDaemon(true);
        return t;
      });

  {
    answers.allowCoreThreadTimeOut(true);
  }

  Inference(ModelRegistry registry, int maxExamples) {
    this.registry = registry;
    this.maxExamples = maxExamples;
  }

  ModelRegistry registry() {
    return registry;
  }

  /** The head's outputs of each example. */
  CompletableFuture<Reply<float[]>> predict(String model, List<Example> examples, Duration timeout) {
    return run(model, examples, m -> {
      List<CompletableFuture<float[]>> out = new ArrayList<>();
      for (Map<String, TokenSequence> t : tokenizeAll(m, examples, null)) {
        out.add(m.batcher.submitTokenized(t, Names.PREDICTIONS, timeout));
      }
      return out;
    });
  }

  /** Each example's embedding: of the whole example, or (input set) of the side {@code input} is on. */
  CompletableFuture<Reply<float[]>> embed(String model, List<Example> examples, String input, Duration timeout) {
    return run(model, examples, m -> {
      String output = side(m, input) == null ? Names.EMBEDDINGS : m.predictor.embeddingOutput(input);
      if (!m.predictor.hasOutput(output)) {
        throw new ServingException(Status.Code.FAILED_PRECONDITION, "model '" + model + "' has no '" + output
            + "' output to embed with; it was trained before embeddings were exported");
      }
      List<CompletableFuture<float[]>> out = new ArrayList<>();
      for (Map<String, TokenSequence> t : tokenizeAll(m, examples, side(m, input))) {
        out.add(m.batcher.submitTokenized(t, output, timeout));
      }
      return out;
    });
  }

  /**
   * For a contrastive model: each example's {@code input} side against the labels, each written into {@code
   * template} and embedded by the other side (in the same batches).
   */
  CompletableFuture<Reply<Scores>> zeroShot(String model, List<Example> examples, String input, List<String> labels,
      String template, Duration timeout) {
    String t = template == null || template.isEmpty() ? "{}" : template;
    if (!t.contains("{}")) {
      throw new ServingException(Status.Code.INVALID_ARGUMENT, "the template must hold {} where the label goes,"
          + " found '" + t + "'");
    }
    if (labels.size() < 2 || labels.size() > maxExamples || new LinkedHashSet<>(labels).size() != labels.size()) {
      throw new ServingException(Status.Code.INVALID_ARGUMENT, "zero-shot needs 2 to " + maxExamples
          + " distinct labels, found " + labels.size() + (new LinkedHashSet<>(labels).size() != labels.size()
          ? " with repeats" : ""));
    }
    CompletableFuture<Reply<float[]>> rows = run(model, examples, m -> {
      if (m.predictor.spec().getHead().getTask() != Task.CONTRASTIVE) {
        throw new ServingException(Status.Code.FAILED_PRECONDITION, "model '" + model + "' is not contrastive (its"
            + " task is " + m.predictor.spec().getHead().getTask() + "); zero-shot needs a contrastive model");
      }
      List<String> mine = side(m, input);
      if (mine == null) {
        throw new ServingException(Status.Code.INVALID_ARGUMENT, "zero-shot needs the input to classify");
      }
      var head = m.predictor.spec().getHead();
      List<String> other = head.getSideAList().contains(input) ? head.getSideBList() : head.getSideAList();
      if (other.size() != 1) {
        throw new ServingException(Status.Code.FAILED_PRECONDITION, "the other side of '" + input + "' has the"
            + " inputs " + other + "; the labels need a side of one input");
      }
      String labelInput = other.get(0);
      List<Map<String, TokenSequence>> labelTokens = new ArrayList<>();
      for (int c = 0; c < labels.size(); c++) {
        labelTokens.add(m.predictor.tokenize(Map.of(labelInput, t.replace("{}", labels.get(c))),
            "label " + (c + 1)));
      }
      List<Map<String, TokenSequence>> rowTokens = tokenizeAll(m, examples, mine);
      List<CompletableFuture<float[]>> out = new ArrayList<>();
      for (Map<String, TokenSequence> tok : labelTokens) {
        out.add(m.batcher.submitTokenized(tok, m.predictor.embeddingOutput(labelInput), timeout));
      }
      String output = m.predictor.embeddingOutput(input);
      for (Map<String, TokenSequence> tok : rowTokens) {
        out.add(m.batcher.submitTokenized(tok, output, timeout));
      }
      return out;
    });
    return rows.thenApply(r -> {
      int k = labels.size();
      List<Scores> out = new ArrayList<>();
      for (int i = k; i < r.items().size(); i++) {
        float[] v = r.items().get(i);
        Map<String, Float> scores = new LinkedHashMap<>();
        int best = 0;
        float bestScore = Float.NEGATIVE_INFINITY;
        for (int c = 0; c < k; c++) {
          float[] l = r.items().get(c);
          float s = 0;
          for (int j = 0; j < v.length; j++) {
            s += v[j] * l[j];
          }
          scores.put(labels.get(c), s);
          if (s > bestScore) {
            bestScore = s;
            best = c;
          }
        }
        out.add(new Scores(labels.get(best), scores));
      }
      return new Reply<>(r.version(), r.labels(), out);
    });
  }

  /** The inputs of {@code input}'s side; null when no input is named (the whole example). */
  private static List<String> side(ServedModel m, String input) {
    if (input == null || input.isEmpty()) {
      return null;
    }
    if (m.predictor.spec().getInputsList().stream().noneMatch(i -> i.getName().equals(input))) {
      throw new ServingException(Status.Code.INVALID_ARGUMENT, "model '" + m.name + "' has no input '" + input
          + "'; its inputs are " + inputNames(m.predictor));
    }
    return m.predictor.sideOf(input);
  }

  static List<String> inputNames(Predictor p) {
    return p.spec().getInputsList().stream().map(InputSpec::getName).toList();
  }

  private static List<Map<String, TokenSequence>> tokenizeAll(ServedModel m, List<Example> examples,
      List<String> keep) {
    Set<String> known = new LinkedHashSet<>(inputNames(m.predictor));
    List<Map<String, TokenSequence>> out = new ArrayList<>(examples.size());
    for (int i = 0; i < examples.size(); i++) {
      out.add(tokenize(m, known, examples.get(i), i, keep));
    }
    return out;
  }

  /** An example's token sequences, its inputs checked against the model's ({@code keep}: only those inputs). */
  private static Map<String, TokenSequence> tokenize(ServedModel m, Set<String> known, Example e, int index,
      List<String> keep) {
    String where = "example " + (index + 1);
    Map<String, Object> values = new LinkedHashMap<>();
    for (Map.Entry<String, io.mmfuse.api.proto.InputValue> in : e.getInputsMap().entrySet()) {
      if (!known.contains(in.getKey())) {
        throw new ServingException(Status.Code.INVALID_ARGUMENT, where + ": model '" + m.name + "' has no input '"
            + in.getKey() + "'; its inputs are " + known);
      }
      if (keep == null || keep.contains(in.getKey())) {
        values.put(in.getKey(), in.getValue());
      }
    }
    try {
      return m.predictor.tokenize(values, where);
    } catch (io.mmfuse.api.InvalidInputException x) {
      throw new ServingException(Status.Code.INVALID_ARGUMENT, x.detail(), x);
    }
  }

  /**
   * Holds the model {@code name} serves, submits the request's examples through {@code submit}, and lets the model
   * go when every one has been answered. A refusal of any example (queue full) cancels the others at once.
   * Cancelling the returned future cancels those still queued.
   */
  private CompletableFuture<Reply<float[]>> run(String name, List<Example> examples,
      Function<ServedModel, List<CompletableFuture<float[]>>> submit) {
    if (examples.isEmpty()) {
      throw new ServingException(Status.Code.INVALID_ARGUMENT, "the request has no examples");
    }
    if (examples.size() > maxExamples) {
      throw new ServingException(Status.Code.INVALID_ARGUMENT, "the request has " + examples.size()
          + " examples; the limit is " + maxExamples + " a request (--max-examples)");
    }
    ModelRegistry.Lease lease = registry.acquire(name);
    List<CompletableFuture<float[]>> parts;
    try {
      parts = submit.apply(lease.model);
    } catch (RuntimeException e) {
      lease.close();
      throw e;
    }
    CompletableFuture<Reply<float[]>> result = new CompletableFuture<>();
    CompletableFuture<Void> all = CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new));
    for (CompletableFuture<float[]> p : parts) {
      // The first failure answers the request and cancels the rest, which then leave their batches.
      p.whenCompleteAsync((v, err) -> {
        if (err != null && result.completeExceptionally(ServingException.of(err))) {
          parts.forEach(o -> o.cancel(false));
        }
      }, answers);
    }
    all.whenCompleteAsync((v, err) -> {
      lease.close();
      if (err == null) {
        List<float[]> out = new ArrayList<>(parts.size());
        parts.forEach(p -> out.add(p.join()));
        result.complete(new Reply<>(lease.model.version, lease.model.labels, out));
      }
    }, answers);
    result.whenComplete((v, err) -> {
      if (result.isCancelled()) {
        parts.forEach(o -> o.cancel(false));
      }
    });
    return result;
  }
}
