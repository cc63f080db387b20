package io.mmfuse.examples.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The machine's CPU time by kind from Linux's {@code /proc/stat}, for the one figure a benchmark on a virtual machine
 * cannot do without: steal, the time the hypervisor ran other guests on this guest's CPUs. A latency measured while
 * a tenth of the CPU was stolen is not the code's.
 */
final class CpuTime {
  private static final Path STAT = Path.of("/proc/stat");

  /** Jiffies of every kind, and of steal, summed over the CPUs; null where /proc/stat is not there. */
  record Sample(long total, long steal) {}

  private CpuTime() {}

  static Sample sample() {
    try {
      for (String line : Files.readAllLines(STAT)) {
        if (line.startsWith("cpu ")) {
          // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user)
          String[] f = line.trim().split("\\s+");
          long total = 0;
          for (int i = 1; i < Math.min(f.length, 9); i++) {
            total += Long.parseLong(f[i]);
          }
          return new Sample(total, f.length > 8 ? Long.parseLong(f[8]) : 0);
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux, or a kernel that words it otherwise: no figure rather than a wrong one.
    }
    return null;
  }

  /** The share of CPU time stolen between two samples; NaN without both or without time between them. */
  static double stealShare(Sample before, Sample after) {
    if (before == null || after == null || after.total() <= before.total()) {
      return Double.NaN;
    }
    return (double) (after.steal() - before.steal()) / (after.total() - before.total());
  }
}
