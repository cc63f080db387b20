package io.mmfuse.fusion.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.CheckpointException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A writer that died between its two renames leaves no bundle at the path; the next reader or writer restores it. */
class BundleRecoveryTest {
  static Path fakeBundle(Path dir, String content) throws Exception {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(BundleLayout.MANIFEST), content);
    return dir;
  }

  static List<String> leftovers(Path parent) throws Exception {
    try (Stream<Path> s = Files.list(parent)) {
      return s.map(p -> p.getFileName().toString()).filter(f -> f.startsWith(".")).sorted().toList();
    }
  }

  @Test
  void theOldBundleGoesBackWhenTheNewOneWasNotComplete(@TempDir Path dir) throws Exception {
    Path target = dir.resolve("model");
    fakeBundle(dir.resolve(".model.old-100"), "older");
    fakeBundle(dir.resolve(".model.old-200"), "old");
    Files.createDirectories(dir.resolve(".model.staging-1"));
    BundleWriter.recover(target);
    assertEquals("old", Files.readString(target.resolve(BundleLayout.MANIFEST)));
    assertEquals(List.of(), leftovers(dir));
  }

  @Test
  void aCompleteStagingDirectoryOfADeadWriterIsTheNewBundle(@TempDir Path dir) throws Exception {
    Path target = dir.resolve("model");
    fakeBundle(dir.resolve(".model.old-100"), "old");
    fakeBundle(dir.resolve(".model.staging-7"), "new");
    Files.writeString(dir.resolve(".model.staging-7.lock"), "");
    BundleWriter.recover(target);
    assertEquals("new", Files.readString(target.resolve(BundleLayout.MANIFEST)));
    assertEquals(List.of(), leftovers(dir));
  }

  @Test
  void aReaderRestoresTheBundleAndALiveWritersStagingIsLeftAlone(@TempDir Path dir) throws Exception {
    Path target = dir.resolve("model");
    fakeBundle(dir.resolve(".model.old-100"), "{\"format\": \"mmfuse-bundle-1\"}");
    try (BundleWriter live = BundleWriter.create(dir.resolve("other"))) {
      Path staging = live.directory();
      // The reader found the old bundle back at its path: what it refuses now is its format, not its absence.
      CheckpointException e = assertThrows(CheckpointException.class, () -> BundleReader.open(target));
      assertFalse(e.getMessage().contains("is missing"), e.getMessage());
      assertTrue(Files.isDirectory(target));
      // Another writer's recovery does not take a live writer's staging directory for a dead one's.
      BundleWriter.recover(dir.resolve("other"));
      assertTrue(Files.isDirectory(staging));
    }
    assertEquals(List.of(), leftovers(dir));
  }
}
