package io.mmfuse.examples.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CpuTimeTest {
  @Test
  void stealIsTheStolenShareOfTheTimeBetweenTwoSamples() {
    assertEquals(0.1, CpuTime.stealShare(new CpuTime.Sample(1000, 50), new CpuTime.Sample(1200, 70)), 1e-12);
    // No time between the samples, or a sample missing: no figure.
    assertTrue(Double.isNaN(CpuTime.stealShare(new CpuTime.Sample(1000, 50), new CpuTime.Sample(1000, 50))));
    assertTrue(Double.isNaN(CpuTime.stealShare(null, new CpuTime.Sample(1000, 50))));
  }

  @Test
  void linuxCountsTimeThatOnlyGoesUp() {
    CpuTime.Sample a = CpuTime.sample();
    if (a == null) {
      return; // not Linux
    }
    long spin = System.nanoTime() + 50_000_000L;
    while (System.nanoTime() < spin) {
      Thread.onSpinWait();
    }
    CpuTime.Sample b = CpuTime.sample();
    assertTrue(b.total() > a.total() && b.steal() >= a.steal() && a.steal() <= a.total(), a + " then " + b);
  }
}
