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
}
