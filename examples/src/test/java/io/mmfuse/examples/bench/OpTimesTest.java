package io.mmfuse.examples.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.Iterator;
import java.util.List;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.StepStats;
import org.junit.jupiter.api.Test;

class OpTimesTest {
  static NodeExecStats node(String name, String label, long start, long micros) {
    return NodeExecStats.newBuilder().setNodeName(name).setTimelineLabel(label).setAllStartMicros(start)
        .setOpStartRelMicros(0).setOpEndRelMicros(micros).build();
  }

  static RunMetadata run(NodeExecStats... nodes) {
    return RunMetadata.newBuilder().setStepStats(StepStats.newBuilder().addDevStats(
        DeviceStepStats.newBuilder().addAllNodeStats(List.of(nodes)))).build();
  }

  @Test
  void spansTypesAndTheFastestRunAreReadFromTheTrace() {
    RunMetadata slow = run(node("a", "a = _MklNativeFusedMatMul(x, w)", 100, 50),
        node("b", "b = Add(a, c)", 160, 10), node("c", "c = Add(x, y)", 120, 5));
    assertEquals(70, OpTimes.spanMicros(slow));
    assertArrayEquals(new long[] {50, 1}, OpTimes.byType(slow).get("_MklNativeFusedMatMul"));
    assertArrayEquals(new long[] {15, 2}, OpTimes.byType(slow).get("Add"));
    // A node without the "name = Op(...)" label is counted under its name.
    assertArrayEquals(new long[] {3, 1}, OpTimes.byType(run(node("_SOURCE", "", 0, 3))).get("_SOURCE"));
    RunMetadata fast = run(node("a", "a = Add(x, y)", 10, 20));
    Iterator<RunMetadata> runs = List.of(slow, fast, slow).iterator();
    assertSame(fast, OpTimes.fastest(runs::next, 3));
  }

  @Test
  void overlapSaysHowLongOpsRanSideBySideAndWhichRanAlone() {
    // a 100-150 with c 120-125 inside it, then a gap, then b 160-170 and d 165-180 touching at nothing else;
    // e starts exactly as d ends: not side by side.
    RunMetadata md = run(node("a", "a = MatMul(x, w)", 100, 50), node("c", "c = Add(x, y)", 120, 5),
        node("b", "b = Add(a, c)", 160, 10), node("d", "d = Mul(a, a)", 165, 15), node("e", "e = Neg(d)", 180, 4));
    java.util.Map<String, Long> alone = new java.util.HashMap<>();
    long[] o = OpTimes.overlap(md, alone);
    assertEquals(84, o[0], "span 100 to 184");
    assertEquals(50 + 20 + 4, o[1], "busy: 100-150, 160-180, 180-184");
    assertEquals(5 + 5, o[2], "together: 120-125 and 165-170");
    assertEquals(45L, alone.get("a"));
    assertEquals(5L, alone.get("b"));
    assertEquals(10L, alone.get("d"));
    assertEquals(4L, alone.get("e"));
    assertEquals(null, alone.get("c"));
  }
}
