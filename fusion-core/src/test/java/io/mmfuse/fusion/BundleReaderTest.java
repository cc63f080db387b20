package io.mmfuse.fusion;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.CheckpointException;
import io.mmfuse.fusion.bundle.BundleReader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the bundle reader refuses before it reads anything else. */
class BundleReaderTest {
  @Test
  void aBundleOfTheOlderFormatIsRefusedByName(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("manifest.json"), "{\"format\": \"mmfuse-bundle-1\", \"sha256\": {}}");
    CheckpointException e = assertThrows(CheckpointException.class, () -> BundleReader.open(dir));
    assertTrue(e.getMessage().contains("format \"mmfuse-bundle-1\"; expected mmfuse-bundle-2")
        && e.getMessage().contains("train it again"), e.getMessage());
  }

  @Test
  void aDirectoryWithoutAManifestIsNotABundle(@TempDir Path dir) {
    CheckpointException e = assertThrows(CheckpointException.class, () -> BundleReader.open(dir));
    assertTrue(e.getMessage().contains("manifest.json is missing; not a model bundle"), e.getMessage());
  }
}
