package io.mmfuse.api.safetensors;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.CheckpointException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Headers found by probing that threw NumberFormatException or were accepted: each is one clear refusal. */
class HostileHeaderTest {
  static ByteBuffer file(String header, int dataBytes) {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    return b.position(0);
  }

  static String refusal(String header, int dataBytes) {
    return assertThrows(CheckpointException.class, () -> SafeTensors.parse(file(header, dataBytes), "w.safetensors"))
        .getMessage();
  }

  @Test
  void stringOffsetsAndShapesAreRefusedByField() {
    String m = refusal("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [\"0\", \"8\"]}}", 8);
    assertTrue(m.contains("tensor a: data_offsets[0] is \"0\"; expected a whole number"), m);
    m = refusal("{\"a\": {\"dtype\": \"F32\", \"shape\": [\"two\"], \"data_offsets\": [0, 8]}}", 8);
    assertTrue(m.contains("tensor a: shape[0] is \"two\"; expected a whole number"), m);
  }

  @Test
  void aFractionalShapeIsRefused() {
    String m = refusal("{\"a\": {\"dtype\": \"F32\", \"shape\": [1000.7], \"data_offsets\": [0, 4000]}}", 4000);
    assertTrue(m.contains("shape[0] is 1000.7; expected a whole number"), m);
  }

  @Test
  void tensorsThatShareBytesAreRefused() {
    String m = refusal("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
        + " \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}", 12);
    assertTrue(m.contains("tensors a [0, 8) and b [4, 12) share bytes"), m);
  }
}
