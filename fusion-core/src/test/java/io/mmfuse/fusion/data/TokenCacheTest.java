package io.mmfuse.fusion.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.TokenSequence;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenCacheTest {
  private static Map<String, TokenSequence> row(int i) {
    Map<String, TokenSequence> m = new LinkedHashMap<>();
    m.put("text", TokenSequence.ofIds("text", new int[] {101, i, i + 1, 102}));
    m.put("image", i % 3 == 0 ? null : TokenSequence.ofGridFeatures("image", 3, new float[] {i, 0.5f, -i, 1, 2, 3},
        new int[] {0, 0, 0, 1}));
    return m;
  }

  @Test
  void whatIsWrittenIsReadBackOnceSealedAndByTheNextRun(@TempDir Path dir) {
    String key = TokenCache.key(List.of("data-sha", "settings"));
    try (TokenCache c = TokenCache.open(dir, key, "/data.csv", List.of("text", "image"), 10)) {
      assertFalse(c.complete());
      for (int i = 9; i >= 0; i--) {
        if (i != 4) {
          c.put(i, row(i));
        }
      }
      c.seal();
      assertTrue(c.complete());
      assertEquals(row(7), c.get(7));
      assertEquals(row(0), c.get(0));
      assertNull(c.get(4), "a row never written (a bad row) is not in the cache");
    }
    try (TokenCache again = TokenCache.open(dir, key, "/data.csv", List.of("text", "image"), 10)) {
      assertTrue(again.complete(), "the same key finds the sealed entry");
      assertEquals(9, again.cachedRows());
      assertEquals(row(3), again.get(3));
    }
  }

  @Test
  void anotherKeyForTheSameDataReplacesTheEntryAndAHalfWrittenOneIsWrittenAnew(@TempDir Path dir) throws Exception {
    String old = TokenCache.key(List.of("sha-1", "settings"));
    try (TokenCache c = TokenCache.open(dir, old, "/data.csv", List.of("text", "image"), 2)) {
      c.put(0, row(0));
      c.put(1, row(1));
      c.seal();
    }
    String changed = TokenCache.key(List.of("sha-2", "settings"));
    assertNotEquals(old, changed);
    try (TokenCache c = TokenCache.open(dir, changed, "/data.csv", List.of("text", "image"), 2)) {
      assertFalse(c.complete(), "changed data: nothing to read");
      assertFalse(Files.exists(dir.resolve(old)), "the stale entry of the same data is deleted");
      c.put(0, row(0));
      // Not sealed: as if the run stopped in its first epoch.
    }
    try (TokenCache c = TokenCache.open(dir, changed, "/data.csv", List.of("text", "image"), 2)) {
      assertFalse(c.complete(), "a half-written entry never counts");
    }
    String other = TokenCache.key(List.of("sha-9", "settings"));
    try (TokenCache c = TokenCache.open(dir, other, "/other.csv", List.of("text", "image"), 2)) {
      assertTrue(Files.exists(dir.resolve(changed)), "entries of other data stay");
    }
  }
}
