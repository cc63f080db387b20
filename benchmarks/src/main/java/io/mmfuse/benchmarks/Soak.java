package io.mmfuse.benchmarks;

import io.mmfuse.api.MmfuseException;
import io.mmfuse.api.plugin.Plugins;
import io.mmfuse.fusion.data.BadRows;
import io.mmfuse.fusion.data.DataFile;
import io.mmfuse.fusion.data.Dataset;
import io.mmfuse.fusion.inference.Predictor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A soak run (docs/reliability.md): PREDICTIONS predictions from THREADS threads sharing one Predictor, one in ten
 * with a bad input (corrupt image bytes, every input missing, a value of the wrong type); prints the process's
 * resident memory every tenth of the run and, at the end, every error class counted. Not a test.
 * Usage: {@code Soak BUNDLE DATA.csv PREDICTIONS THREADS}.
 */
public final class Soak {
  private Soak() {}

  public static void main(String[] args) throws Exception {
    Path bundle = Path.of(args[0]);
    Path data = Path.of(args[1]);
    long total = Long.parseLong(args[2]);
    int threads = Integer.parseInt(args[3]);
    var registry = Plugins.load();
    List<Map<String, Object>> rows = new ArrayList<>();
    try (Predictor p = Predictor.load(bundle, registry);
        DataFile d = DataFile.open(data, null, p.spec(), registry, Dataset.ReadOptions.NONE, BadRows.FAIL)) {
      for (int r = 0; r < Math.min(d.size(), 500); r++) {
        rows.add(d.example(r).inputs());
      }
      String image = p.spec().getInputsList().stream().filter(i -> i.getModality().equals("image"))
          .map(i -> i.getName()).findFirst().orElse(null);
      Map<String, LongAdder> errors = new ConcurrentHashMap<>();
      AtomicLong done = new AtomicLong();
      LongAdder ok = new LongAdder();
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      long t0 = System.nanoTime();
      System.out.printf("%10s %8s %10s%n", "predictions", "seconds", "rss_mb");
      for (int t = 0; t < threads; t++) {
        long seed = t;
        pool.submit(() -> {
          Random r = new Random(seed);
          long i;
          while ((i = done.getAndIncrement()) < total) {
            Map<String, Object> ex = new LinkedHashMap<>(rows.get(r.nextInt(rows.size())));
            String kind = "good input";
            if (r.nextInt(10) == 0) {
              switch (r.nextInt(3)) {
                case 0 -> {
                  byte[] junk = new byte[200 + r.nextInt(2000)];
                  r.nextBytes(junk);
                  junk[0] = (byte) 0xFF;
                  junk[1] = (byte) 0xD8;
                  if (image != null) {
                    ex.put(image, junk);
                    kind = "corrupt JPEG";
                  } else {
                    ex.replaceAll((k, v) -> null);
                    kind = "every input missing";
                  }
                }
                case 1 -> {
                  ex.replaceAll((k, v) -> null);
                  kind = "every input missing";
                }
                default -> {
                  ex.replaceAll((k, v) -> 42L);
                  kind = "values of the wrong type";
                }
              }
            }
            String outcome;
            try {
              p.predict(ex);
              outcome = "predicted";
            } catch (MmfuseException e) {
              outcome = e.getClass().getSimpleName() + " " + e.getMessage().replaceAll("\\].*", "]");
            } catch (RuntimeException | Error e) {
              outcome = "UNEXPECTED " + e.getClass().getName();
            }
            // Counted by what went in and what came out: a good input predicted, each bad one refused.
            String key = kind + " -> " + outcome;
            (key.equals("good input -> predicted") ? ok : errors.computeIfAbsent(key, k -> new LongAdder()))
                .increment();
            if ((i + 1) % Math.max(1, total / 10) == 0) {
              System.out.printf(java.util.Locale.ROOT, "%10d %8.1f %10d%n", i + 1, (System.nanoTime() - t0) / 1e9, rssMb());
            }
          }
        });
      }
      pool.shutdown();
      pool.awaitTermination(7, TimeUnit.DAYS);
      System.out.println("good input -> predicted: " + ok.sum());
      new java.util.TreeMap<>(errors).forEach((k, v) -> System.out.println(k + ": " + v.sum()));
    }
  }

  static long rssMb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
        }
      }
    } catch (java.io.IOException e) {
      return -1;
    }
    return -1;
  }
}
