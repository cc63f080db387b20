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
  private boolean committed;

  private BundleWriter(Path target, Path staging) {
    this.target = target;
    this.staging = staging;
  }

  /** Starts a bundle that will replace {@code target} when committed. */
  public static BundleWriter create(Path target) {
    try {
      Path parent = target.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      return new BundleWriter(target, Files.createTempDirectory(parent, "." + target.getFileName() + ".staging-"));
    } catch (IOException e) {
      throw new CheckpointException("bundle " + target + ": cannot create a staging directory: " + e, e);
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
    }
  }
}
