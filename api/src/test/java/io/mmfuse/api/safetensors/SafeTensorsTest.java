package io.mmfuse.api.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.CheckpointException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
  static Path fixture() throws Exception {
    return Path.of(SafeTensorsTest.class.getResource("/fixtures/bert-tiny-reference.safetensors").toURI());
  }

  @Test
  void readsAFileWrittenByHuggingFace() throws Exception {
    SafeTensors st = SafeTensors.open(fixture());
    assertEquals(DType.I64, st.info("input_ids").dtype());
    assertArrayEquals(new long[] {3, 24}, st.info("input_ids").shape());
    assertArrayEquals(new long[] {3, 24, 64}, st.info("last_hidden_state").shape());
    assertEquals(3 * 24 * 64, st.floats("last_hidden_state").length);
    long[] mask = st.longs("attention_mask");
    assertTrue(Arrays.stream(mask).allMatch(v -> v == 0 || v == 1));
    assertEquals(1, mask[0]);
  }

  @Test
  void roundTripsWhatItWrites(@TempDir Path dir) {
    Path file = dir.resolve("t.safetensors");
    new SafeTensorsWriter()
        .addFloats("x", new float[] {1.5f, -2f, 3f, 4f, 5f, 6f}, 2, 3)
        .addInts("pos", new int[] {0, 1}, 1, 2)
        .addLongs("mask", new long[] {1, 0, 1}, 3)
        .putMetadata("k", "v")
        .write(file);
    SafeTensors st = SafeTensors.open(file);
    assertArrayEquals(new float[] {1.5f, -2f, 3f, 4f, 5f, 6f}, st.floats("x"));
    assertArrayEquals(new long[] {0, 1}, st.longs("pos"));
    assertArrayEquals(new long[] {1, 0, 1}, st.longs("mask"));
    assertEquals("v", st.metadata().get("k"));
    assertEquals(DType.I32, st.info("pos").dtype());
  }

  @Test
  void readsHalfAndBfloat16() {
    ByteBuffer data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    data.putShort((short) 0x3C00).putShort((short) 0xC000); // F16 1.0, -2.0
    data.putShort((short) 0x3F80).putShort((short) 0x4040); // BF16 1.0, 3.0
    String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
        + "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[4,8]}}";
    SafeTensors st = SafeTensors.parse(file(header, data.array()), "mem");
    assertArrayEquals(new float[] {1f, -2f}, st.floats("h"));
    assertArrayEquals(new float[] {1f, 3f}, st.floats("b"));
  }

  private static ByteBuffer file(String header, byte[] data) {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h).put(data);
    return b.flip();
  }

  @Test
  void refusesATruncatedFileNamingTheTensor(@TempDir Path dir) throws Exception {
    byte[] all = Files.readAllBytes(fixture());
    Path cut = dir.resolve("cut.safetensors");
    Files.write(cut, Arrays.copyOf(all, all.length - 100));
    CheckpointException e = assertThrows(CheckpointException.class, () -> SafeTensors.open(cut));
    assertTrue(e.getMessage().contains(cut.toString()) && e.getMessage().contains("lies outside"), e.getMessage());
  }

  @Test
  void refusesShapesThatDoNotMatchTheBytes() {
    String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}";
    CheckpointException e =
        assertThrows(CheckpointException.class, () -> SafeTensors.parse(file(header, new byte[8]), "m"));
    assertTrue(e.getMessage().contains("tensor w: F32[3] needs 12 bytes, found 8"), e.getMessage());
  }

  @Test
  void refusesAHeaderLongerThanTheFile() {
    ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).putLong(0).flip();
    assertThrows(CheckpointException.class, () -> SafeTensors.parse(b, "m"));
  }

  @Test
  void namesTheTensorsItHasWhenOneIsMissing() throws Exception {
    CheckpointException e =
        assertThrows(CheckpointException.class, () -> SafeTensors.open(fixture()).info("pixel_values"));
    assertTrue(e.getMessage().contains("has no tensor pixel_values") && e.getMessage().contains("input_ids"));
  }
}
