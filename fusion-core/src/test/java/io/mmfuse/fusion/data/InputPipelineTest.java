package io.mmfuse.fusion.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.InvalidInputException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class InputPipelineTest {
  private static List<Integer> shuffled(int n) {
    List<Integer> rows = new ArrayList<>(IntStream.range(0, n).boxed().toList());
    Collections.shuffle(rows, new Random(7));
    return rows;
  }

  @Test
  void resultsComeInTheOrderAskedWhateverTheThreads() {
    List<Integer> rows = shuffled(1000);
    for (int threads : new int[] {0, 1, 4}) {
      try (InputPipeline p = new InputPipeline(threads, 3)) {
        List<Integer> out = new ArrayList<>();
        // Uneven work, so that chunks finish out of order on several threads.
        p.map(rows, 7, r -> {
          if (r % 13 == 0) {
            Thread.onSpinWait();
            try {
              Thread.sleep(1);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          return r * 2;
        }).forEachRemaining(out::add);
        assertEquals(rows.stream().map(r -> r * 2).toList(), out, threads + " threads");
      }
    }
  }

  @Test
  void theWindowBoundsHowFarTheWorkersRunAhead() throws Exception {
    AtomicInteger produced = new AtomicInteger();
    try (InputPipeline p = new InputPipeline(4, 2)) {
      InputPipeline.Stream<Integer> s = p.map(shuffled(400), 10, r -> {
        produced.incrementAndGet();
        return r;
      });
      int consumed = 0;
      for (int k = 0; k < 50; k++) {
        s.next();
        consumed++;
        Thread.sleep(2);
        // At most the chunk being consumed and the two in the window: 3 chunks of 10.
        assertTrue(produced.get() - consumed <= 30, produced.get() + " produced for " + consumed + " consumed");
      }
      s.close();
    }
  }

  @Test
  void aFailureReachesTheConsumerAsItself() {
    try (InputPipeline p = new InputPipeline(2, 2)) {
      InputPipeline.Stream<Integer> s = p.map(shuffled(100), 5, r -> {
        if (r == 42) {
          throw new InvalidInputException("row 42 is bad");
        }
        return r;
      });
      InvalidInputException e = assertThrows(InvalidInputException.class, () -> s.forEachRemaining(x -> { }));
      assertEquals("row 42 is bad", e.detail());
    }
  }
}
