package io.mmfuse.fusion.bundle;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import io.mmfuse.api.CheckpointException;
import io.mmfuse.api.Specs;
import io.mmfuse.api.proto.ModelSpec;
import io.mmfuse.fusion.internal.Checksums;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.SessionFunction;
import org.tensorflow.Signature;

/**
 * Writes a model bundle. Everything goes into a staging directory beside the target, which {@link #commit} renames
 * into place whole, so a crash or a failed run never leaves half a bundle where a good one was; closing an uncommitted
 * writer deletes the staging directory.
 *
 * <pre>{@code
 * try (BundleWriter w = BundleWriter.create(out)) {
 *   factory.fit(context, rows, w.directory());   // tokenizer state and files
 *   w.savedModel(session, signature);
 *   w.commit(spec, provenance);
 * }
 * }</pre>
 */
public final class BundleWriter implements AutoCloseable {
  private final Path target;
  private final Path staging;
  private final java.nio.channels.FileChannel lockChannel;
  private boolean committed;

  private BundleWriter(Path target, Path staging, java.nio.channels.FileChannel lockChannel) {
    this.target = target;
    this.staging = staging;
    this.lockChannel = lockChannel;
  }

  /**
   * Starts a bundle that will replace {@code target} when committed; first puts right what a crashed writer left
   * beside it ({@link #recover}). The staging directory is locked (a {@code .lock} file beside it, held while this
   * writer lives), so that no other process takes it for a dead writer's.
   */
  public static BundleWriter create(Path target) {
    recover(target);
    try {
      Path parent = target.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      Path staging = Files.createTempDirectory(parent, "." + target.getFileName() + ".staging-");
      java.nio.channels.FileChannel lock = java.nio.channels.FileChannel.open(lockOf(staging),
          java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
      lock.lock();
      return new BundleWriter(target, staging, lock);
    } catch (IOException e) {
      throw new CheckpointException("bundle " + target + ": cannot create a staging directory: " + e, e);
    }
  }

  private static Path lockOf(Path staging) {
    return staging.resolveSibling(staging.getFileName() + ".lock");
  }

  /**
   * Puts right what a writer that died left beside {@code target}: the commit renames the old bundle away, then the
   * new one in, so a crash between the two leaves no bundle at the path. A dead writer's staging directory that holds
   * its manifest (written just before the renames) is the new bundle and goes into place; otherwise the newest old
   * bundle goes back. Every other leftover of dead writers (staging directories, old bundles) is deleted; a live
   * writer's staging directory (its lock held) is left alone. Readers call this when the bundle is missing.
   */
  static void recover(Path target) {
    Path abs = target.toAbsolutePath();
    Path parent = abs.getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      return;
    }
    String name = abs.getFileName().toString();
    java.util.List<Path> stagings = new java.util.ArrayList<>();
    java.util.List<Path> olds = new java.util.ArrayList<>();
    try (var entries = Files.list(parent)) {
      for (Path p : (Iterable<Path>) entries::iterator) {
        String f = p.getFileName().toString();
        if (f.startsWith("." + name + ".staging-") && !f.endsWith(".lock") && Files.isDirectory(p)) {
          stagings.add(p);
        } else if (f.startsWith("." + name + ".old-") && Files.isDirectory(p)) {
          olds.add(p);
        }
      }
      for (Path st : stagings) {
        if (live(st)) {
          continue;
        }
        if (!Files.exists(abs) && Files.isRegularFile(st.resolve(BundleLayout.MANIFEST))) {
          Files.move(st, abs, StandardCopyOption.ATOMIC_MOVE);
        } else {
          Checksums.deleteTree(st);
        }
        Files.deleteIfExists(lockOf(st));
      }
      // Old bundles are named by the time they were moved away: the newest is the last one that served.
      olds.sort(java.util.Comparator.comparingLong(BundleWriter::oldTime));
      if (!Files.exists(abs) && !olds.isEmpty()) {
        Files.move(olds.remove(olds.size() - 1), abs, StandardCopyOption.ATOMIC_MOVE);
      }
      olds.forEach(Checksums::deleteTree);
    } catch (IOException e) {
      throw new CheckpointException("bundle " + target + ": what an earlier writer left cannot be put right: " + e,
          e);
    }
  }

  private static long oldTime(Path old) {
    String f = old.getFileName().toString();
    try {
      return Long.parseLong(f.substring(f.lastIndexOf('-') + 1));
    } catch (NumberFormatException e) {
      return Long.MIN_VALUE;
    }
  }

  /** Whether a writer still holds the staging directory's lock (in this JVM or another). */
  private static boolean live(Path staging) {
    Path lock = lockOf(staging);
    if (!Files.exists(lock)) {
      return false;
    }
    try (java.nio.channels.FileChannel c = java.nio.channels.FileChannel.open(lock,
        java.nio.file.StandardOpenOption.WRITE)) {
      java.nio.channels.FileLock l = c.tryLock();
      if (l == null) {
        return true;
      }
      l.release();
      return false;
    } catch (java.nio.channels.OverlappingFileLockException e) {
      return true;
    } catch (IOException e) {
      return true;
    }
  }

  private void unlock() {
    try {
      lockChannel.close();
      Files.deleteIfExists(lockOf(staging));
    } catch (IOException e) {
      // The lock file stays; the next writer sees it is not held and removes it.
    }
  }

  /** The bundle's directory while it is written: where tokenizers put their files and fitted state. */
  public Path directory() {
    return staging;
  }

  /** Writes the SavedModel of a session with this serving signature. */
  public void savedModel(Session session, Signature signature) {
    Path dir = staging.resolve(BundleLayout.SAVED_MODEL);
    try {
      SavedModelBundle.exporter(dir.toString()).withSession(session)
          .withFunction(SessionFunction.create(signature, session)).export();
    } catch (IOException e) {
      throw new CheckpointException("bundle " + target + ": the SavedModel cannot be written: " + e, e);
    }
  }

  /** Writes the spec and the manifest and moves the bundle to its target, replacing what was there whole. */
  public void commit(ModelSpec spec, Provenance provenance) {
    if (!Files.isDirectory(staging.resolve(BundleLayout.SAVED_MODEL))) {
      throw new IllegalStateException("bundle " + target + ": no SavedModel was written");
    }
    try {
      Specs.write(spec, staging.resolve(BundleLayout.SPEC));
      JsonObject manifest = new JsonObject();
      manifest.addProperty("format", BundleLayout.FORMAT);
      manifest.addProperty("created", java.time.Instant.now().toString());
      manifest.add("provenance", provenance.toJson());
      JsonObject sums = new JsonObject();
      for (Path f : Checksums.files(staging)) {
        String rel = staging.relativize(f).toString().replace('\\', '/');
        if (!rel.equals(BundleLayout.MANIFEST)) {
          sums.addProperty(rel, Checksums.sha256(f));
        }
      }
      manifest.add("sha256", sums);
      Files.writeString(staging.resolve(BundleLayout.MANIFEST),
          new GsonBuilder().setPrettyPrinting().create().toJson(manifest), StandardCharsets.UTF_8);
      Path abs = target.toAbsolutePath();
      Path old = null;
      if (Files.exists(abs)) {
        old = abs.resolveSibling("." + abs.getFileName() + ".old-" + System.nanoTime());
        Files.move(abs, old, StandardCopyOption.ATOMIC_MOVE);
      }
      Files.move(staging, abs, StandardCopyOption.ATOMIC_MOVE);
      committed = true;
      unlock();
      if (old != null) {
        Checksums.deleteTree(old);
      }
    } catch (IOException e) {
      throw new CheckpointException("bundle " + target + ": cannot be written: " + e, e);
    }
  }

  /** Deletes the staging directory unless the bundle was committed. */
  @Override
  public void close() {
    if (!committed) {
      Checksums.deleteTree(staging);
      unlock();
    }
  }
}
