package io.mmfuse.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParseException;
import io.mmfuse.api.safetensors.SafeTensors;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The parsers' bounds: each is a clear refusal that names the property that sets it. */
class LimitsTest {
  static <T> T withProperty(String name, String value, Supplier<T> body) {
    System.setProperty(name, value);
    try {
      return body.get();
    } finally {
      System.clearProperty(name);
    }
  }

  @Test
  void jsonNestedPastTheDepthLimitIsRefusedWithItsPath() {
    String ok = "[".repeat(64) + "]".repeat(64);
    assertTrue(Limits.parseJson(ok).isJsonArray());
    String deep = "{\"a\": " + "[".repeat(200_000) + "]".repeat(200_000) + "}";
    String m = assertThrows(JsonParseException.class, () -> Limits.parseJson(deep)).getMessage();
    assertTrue(m.startsWith("arrays and objects nest deeper than 64 levels at $.a"), m);
    assertTrue(m.endsWith("the limit is 64 (-Dmmfuse.maxJsonDepth)"), m);
    String shallow = withProperty("mmfuse.maxJsonDepth", "3", () -> assertThrows(JsonParseException.class,
        () -> Limits.parseJson("[[[[1]]]]")).getMessage());
    assertTrue(shallow.contains("deeper than 3 levels"), shallow);
  }

  @Test
  void jsonWithSomethingAfterTheDocumentIsRefused() {
    assertThrows(JsonParseException.class, () -> Limits.parseJson("{\"a\": 1} {\"b\": 2}"));
  }

  @Test
  void aFileOverItsLimitIsRefusedBeforeItIsRead(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("tokenizer.json");
    Files.writeString(f, "{\"a\": \"" + "x".repeat(500) + "\"}");
    String m = withProperty("mmfuse.maxConfigBytes", "100", () -> assertThrows(InvalidConfigurationException.class,
        () -> Limits.readText(f, x -> new InvalidConfigurationException("file " + f + " " + x))).getMessage());
    assertTrue(m.endsWith("file " + f + " has 509 bytes; the limit is 100 (-Dmmfuse.maxConfigBytes)"), m);
    assertEquals(509, Limits.readText(f, x -> new InvalidConfigurationException(x)).length());
  }

  @Test
  void aStreamIsReadUpToItsLimitAndNoFurther() throws Exception {
    byte[] bytes = new byte[1000];
    String m = withProperty("mmfuse.maxImageBytes", "999", () -> assertThrows(InvalidInputException.class,
        () -> Limits.read(new ByteArrayInputStream(bytes), Limits.IMAGE_BYTES,
            x -> new InvalidInputException("image s " + x))).getMessage());
    assertTrue(m.endsWith("image s has more than 999 bytes; the limit is 999 (-Dmmfuse.maxImageBytes)"), m);
    byte[] read = withProperty("mmfuse.maxImageBytes", "1000", () -> {
      try {
        return Limits.read(new ByteArrayInputStream(bytes), Limits.IMAGE_BYTES, InvalidInputException::new);
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      }
    });
    assertArrayEquals(bytes, read);
  }

  @Test
  void invalidUtf8IsRefusedWithItsOffset(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("vocab.txt");
    Files.write(f, new byte[] {'a', 'b', (byte) 0xC3, '\n'});
    String m = assertThrows(InvalidConfigurationException.class,
        () -> Limits.readText(f, x -> new InvalidConfigurationException("vocab " + x))).getMessage();
    assertTrue(m.endsWith("vocab is not valid UTF-8 (at byte 2)"), m);
  }

  @Test
  void aBadPropertyValueIsRefusedInWords() {
    String m = withProperty("mmfuse.maxTensors", "lots", () -> assertThrows(InvalidConfigurationException.class,
        Limits.TENSORS::value).getMessage());
    assertTrue(m.endsWith("-Dmmfuse.maxTensors=lots: expected a whole number > 0 of tensors"), m);
    assertEquals(2_000_000, withProperty("mmfuse.maxVocabulary", "2_000_000", Limits.VOCABULARY::value));
  }

  @Test
  void aSafetensorsHeaderWithMoreTensorsThanTheLimitIsRefused() {
    StringBuilder h = new StringBuilder("{");
    for (int i = 0; i < 5; i++) {
      h.append(i == 0 ? "" : ", ").append("\"t").append(i).append("\": {\"dtype\": \"F32\", \"shape\": [1],")
          .append(" \"data_offsets\": [").append(4 * i).append(", ").append(4 * i + 4).append("]}");
    }
    byte[] header = h.append('}').toString().getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + header.length + 20).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(header.length).put(header).position(0);
    assertEquals(5, SafeTensors.parse(b, "w.safetensors").tensors().size());
    String m = withProperty("mmfuse.maxTensors", "4", () -> assertThrows(CheckpointException.class,
        () -> SafeTensors.parse(b, "w.safetensors")).getMessage());
    assertTrue(m.contains("w.safetensors: the header lists 5 tensors; the limit is 4 (-Dmmfuse.maxTensors)"), m);
  }
}
