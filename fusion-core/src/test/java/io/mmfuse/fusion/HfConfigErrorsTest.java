package io.mmfuse.fusion;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.CheckpointException;
import io.mmfuse.fusion.hf.HfCheckpoints;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A config.json field of the wrong kind is one refusal naming the field (it was a NumberFormatException). */
class HfConfigErrorsTest {
  @Test
  void aHiddenSizeInWordsIsRefusedByName(@TempDir Path dir) throws Exception {
    Path from = Path.of("src/test/resources/fixtures/hf/bert-tiny");
    Files.copy(from.resolve("model.safetensors"), dir.resolve("model.safetensors"));
    String config = Files.readString(from.resolve("config.json"));
    Files.writeString(dir.resolve("config.json"), config.replaceFirst("\"hidden_size\":\\s*\\d+",
        "\"hidden_size\": \"sixty-four\""));
    String m = assertThrows(CheckpointException.class, () -> HfCheckpoints.read(dir)).getMessage();
    assertTrue(m.contains("hidden_size is \"sixty-four\"; expected a whole number"), m);
    Files.writeString(dir.resolve("config.json"), config.replaceFirst("\"hidden_act\":\\s*\"[a-z_]+\"",
        "\"hidden_act\": {\"name\": \"gelu\"}"));
    String m2 = assertThrows(CheckpointException.class, () -> HfCheckpoints.read(dir)).getMessage();
    assertTrue(m2.contains("config.json") && m2.contains("wrong kind of value"), m2);
  }

  @Test
  void aConfigNestedPastTheDepthLimitIsRefused(@TempDir Path dir) throws Exception {
    Path from = Path.of("src/test/resources/fixtures/hf/bert-tiny");
    Files.copy(from.resolve("model.safetensors"), dir.resolve("model.safetensors"));
    String config = Files.readString(from.resolve("config.json"));
    Files.writeString(dir.resolve("config.json"), config.replaceFirst("\\{", "{\"deep\": " + "{\"a\": ".repeat(50_000)
        + "1" + "}".repeat(50_000) + ","));
    String m = assertThrows(CheckpointException.class, () -> HfCheckpoints.read(dir)).getMessage();
    assertTrue(m.contains(dir.resolve("config.json") + ": cannot be read: arrays and objects nest deeper than 64"
        + " levels at $.deep.a.a"), m);
  }
}
