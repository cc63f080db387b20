package io.mmfuse.examples.bench;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunMetadata;

/** What TensorFlow's trace of a run says: how long it took from first op to last, and op time by op type. */
public final class OpTimes {
  private OpTimes() {}

  /** Microseconds from the first op's start to the last op's end. */
  public static long spanMicros(RunMetadata md) {
    long first = Long.MAX_VALUE;
    long last = 0;
    for (var d : md.getStepStats().getDevStatsList()) {
      for (NodeExecStats n : d.getNodeStatsList()) {
        first = Math.min(first, n.getAllStartMicros());
        last = Math.max(last, n.getAllStartMicros() + n.getOpEndRelMicros());
      }
    }
    return first == Long.MAX_VALUE ? 0 : last - first;
  }

  /** Of {@code runs} traced runs, the fastest from first op to last: the one least disturbed by the machine. */
  public static RunMetadata fastest(Supplier<RunMetadata> traced, int runs) {
    RunMetadata fastest = null;
    long span = Long.MAX_VALUE;
    for (int i = 0; i < runs; i++) {
      RunMetadata md = traced.get();
      long s = spanMicros(md);
      if (s < span) {
        span = s;
        fastest = md;
      }
    }
    return fastest;
  }

  /** Op type (oneDNN's own names, e.g. {@code _MklNativeFusedMatMul}) to {microseconds, ops}. */
  public static Map<String, long[]> byType(RunMetadata md) {
    Map<String, long[]> out = new HashMap<>();
    for (var d : md.getStepStats().getDevStatsList()) {
      for (NodeExecStats n : d.getNodeStatsList()) {
        String label = n.getTimelineLabel();
        int eq = label.indexOf("= ");
        String type = eq >= 0 ? label.substring(eq + 2).replaceAll("\\(.*", "") : n.getNodeName();
        long[] t = out.computeIfAbsent(type, k -> new long[2]);
        t[0] += n.getOpEndRelMicros() - n.getOpStartRelMicros();
        t[1]++;
      }
    }
    return out;
  }

  /**
   * How much of a run's span had ops running side by side: {@code [span, time with at least one op running, time
   * with two or more]} in microseconds, and, in {@code alone}, each op's time as the only one running (filled by
   * node name), which names the stages one thread runs while the others wait.
   */
  public static long[] overlap(RunMetadata md, Map<String, Long> alone) {
    java.util.List<long[]> events = new java.util.ArrayList<>();
    java.util.List<String> names = new java.util.ArrayList<>();
    for (var d : md.getStepStats().getDevStatsList()) {
      for (NodeExecStats n : d.getNodeStatsList()) {
        long start = n.getAllStartMicros() + n.getOpStartRelMicros();
        long end = n.getAllStartMicros() + n.getOpEndRelMicros();
        if (end > start) {
          events.add(new long[] {start, 1, names.size()});
          events.add(new long[] {end, -1, names.size()});
          names.add(n.getNodeName());
        }
      }
    }
    // Ends before starts at the same instant: an op that starts as another ends does not overlap it.
    events.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
    java.util.Set<Integer> running = new java.util.HashSet<>();
    long busy = 0;
    long together = 0;
    long last = events.isEmpty() ? 0 : events.get(0)[0];
    for (long[] e : events) {
      long dt = e[0] - last;
      if (running.size() >= 1) {
        busy += dt;
      }
      if (running.size() >= 2) {
        together += dt;
      }
      if (running.size() == 1 && alone != null && dt > 0) {
        alone.merge(names.get(running.iterator().next()), dt, Long::sum);
      }
      last = e[0];
      if (e[1] > 0) {
        running.add((int) e[2]);
      } else {
        running.remove((int) e[2]);
      }
    }
    return new long[] {spanMicros(md), busy, together};
  }
}
