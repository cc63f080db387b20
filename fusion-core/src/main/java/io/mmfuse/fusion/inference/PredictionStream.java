package io.mmfuse.fusion.inference;

import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.TokenSequence;
import io.mmfuse.fusion.data.ExampleSource;
import io.mmfuse.fusion.data.InputPipeline;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Predicts every row of a source in order, in batches, with the rows read and tokenized on worker threads ahead of
 * the model through a bounded queue: memory stays flat whatever the number of rows. Each row's result goes to a
 * {@link Sink} as soon as its batch is done.
 */
public final class PredictionStream {
  /** Rows per batch. */
  public static final int BATCH = 64;

  private PredictionStream() {}

  /** Receives the rows in order. */
  public interface Sink {
    /**
     * One row: its label cell ("" without a label column) and outputs, or, for a row skipped as bad ({@link
     * io.mmfuse.fusion.data.BadRows#skip}), null outputs and the error.
     */
    void accept(int row, String label, float[] outputs, InvalidInputException skipped) throws IOException;
  }

  private record Item(int row, String label, Map<String, TokenSequence> tokens, InvalidInputException error) {}

  /**
   * Predicts each row of {@code source}; a bad row fails the run unless the source skips bad rows. Returns how many
   * rows were predicted.
   */
  public static int run(Predictor predictor, ExampleSource source, int threads, Sink sink) {
    return run(predictor, source, threads, java.util.function.UnaryOperator.identity(), predictor::predictTokenized,
        sink);
  }

  /**
   * Embeds {@code input}'s side of each row ({@link Predictor#embedTokenized}); a row whose side is missing is bad
   * (it fails, or is skipped). Returns how many rows were embedded.
   */
  public static int embed(Predictor predictor, ExampleSource source, String input, int threads, Sink sink) {
    predictor.sideOf(input);
    return run(predictor, source, threads, ex -> predictor.side(ex, input),
        batch -> predictor.embedTokenized(batch, input), sink);
  }

  /**
   * Runs {@code model} on each row's inputs as {@code select} picks them, tokenized ahead on worker threads, in
   * batches of {@link #BATCH}, in order.
   */
  public static int run(Predictor predictor, ExampleSource source, int threads,
      java.util.function.UnaryOperator<Map<String, Object>> select,
      java.util.function.Function<List<Map<String, TokenSequence>>, List<float[]>> model, Sink sink) {
    List<Integer> rows = IntStream.range(0, source.size()).boxed().toList();
    int done = 0;
    try (InputPipeline pipeline = new InputPipeline(threads, Math.max(2, 2 * threads));
        InputPipeline.Stream<Item> stream = pipeline.map(rows, BATCH, r -> load(predictor, source, r, select))) {
      List<Item> batch = new ArrayList<>(BATCH);
      while (stream.hasNext()) {
        Item it = stream.next();
        if (it.error() != null) {
          done += flush(model, batch, sink);
          source.reject(it.row(), it.error());
          sink.accept(it.row(), it.label(), null, it.error());
          continue;
        }
        batch.add(it);
        if (batch.size() == BATCH) {
          done += flush(model, batch, sink);
        }
      }
      done += flush(model, batch, sink);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return done;
  }

  private static Item load(Predictor predictor, ExampleSource source, int row,
      java.util.function.UnaryOperator<Map<String, Object>> select) {
    try {
      ExampleSource.Example ex = source.example(row);
      return new Item(row, ex.label(), predictor.tokenize(select.apply(ex.inputs()), source.where(row)), null);
    } catch (InvalidInputException e) {
      return new Item(row, "", null, e);
    }
  }

  private static int flush(java.util.function.Function<List<Map<String, TokenSequence>>, List<float[]>> model,
      List<Item> batch, Sink sink) throws IOException {
    if (batch.isEmpty()) {
      return 0;
    }
    List<Map<String, TokenSequence>> tokens = new ArrayList<>(batch.size());
    batch.forEach(b -> tokens.add(b.tokens()));
    List<float[]> out = model.apply(tokens);
    for (int i = 0; i < batch.size(); i++) {
      sink.accept(batch.get(i).row(), batch.get(i).label(), out.get(i), null);
    }
    int n = batch.size();
    batch.clear();
    return n;
  }
}
