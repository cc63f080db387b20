package io.mmfuse.fusion.train;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import io.mmfuse.api.CheckpointException;
import io.mmfuse.api.Specs;
import io.mmfuse.api.proto.ModelSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * A model bundle: a directory with the TensorFlow SavedModel ({@code saved_model/}), the model spec
 * ({@code model.spec}, text format) naming every tokenizer file and fitted state beside it, and {@code manifest.json}
 * with versions and a SHA-256 of every file. Bundles are assembled in a temporary directory beside the target and
 * renamed into place, so a crash never leaves half a bundle where a good one was.
 */
public final class ModelBundle {
  private ModelBundle() {}

  public static final String SPEC = "model.spec";
  public static final String SAVED_MODEL = "saved_model";
  public static final String MANIFEST = "manifest.json";
  public static final String FORMAT = "mmfuse-bundle-1";

  /** A fresh temporary directory beside {@code target} to assemble a bundle in. */
  public static Path staging(Path target) {
    try {
      Path parent = target.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      return Files.createTempDirectory(parent, "." + target.getFileName() + ".staging-");
    } catch (IOException e) {
      throw new CheckpointException("bundle " + target + ": cannot create a staging directory: " + e, e);
    }
  }

  /** Writes the spec and manifest into the staging directory and moves it to {@code target}, replacing it whole. */
  public static void commit(Path staging, ModelSpec spec, Path target) {
    try {
      Specs.write(spec, staging.resolve(SPEC));
      JsonObject manifest = new JsonObject();
      manifest.addProperty("format", FORMAT);
      manifest.addProperty("mmfuse", "0.1.0");
      manifest.addProperty("tensorflow_java", "1.1.0");
      manifest.addProperty("created", java.time.Instant.now().toString());
      JsonObject sums = new JsonObject();
      for (Path f : files(staging)) {
        String rel = staging.relativize(f).toString().replace('\\', '/');
        if (!rel.equals(MANIFEST)) {
          sums.addProperty(rel, sha256(f));
        }
      }
      manifest.add("sha256", sums);
      Files.writeString(staging.resolve(MANIFEST),
          new GsonBuilder().setPrettyPrinting().create().toJson(manifest), StandardCharsets.UTF_8);
      Path abs = target.toAbsolutePath();
      Path old = null;
      if (Files.exists(abs)) {
        old = abs.resolveSibling("." + abs.getFileName() + ".old-" + System.nanoTime());
        Files.move(abs, old, StandardCopyOption.ATOMIC_MOVE);
      }
      Files.move(staging, abs, StandardCopyOption.ATOMIC_MOVE);
      if (old != null) {
        deleteTree(old);
      }
    } catch (IOException e) {
      throw new CheckpointException("bundle " + target + ": cannot be written: " + e, e);
    }
  }

  /** Checks a bundle's manifest: every file present with its checksum. */
  public static ModelSpec verify(Path bundle) {
    Path manifest = bundle.resolve(MANIFEST);
    if (!Files.isRegularFile(manifest)) {
      throw new CheckpointException("bundle " + bundle + ": " + MANIFEST + " is missing; not a model bundle");
    }
    try {
      JsonObject m = com.google.gson.JsonParser.parseString(Files.readString(manifest)).getAsJsonObject();
      if (!FORMAT.equals(m.get("format").getAsString())) {
        throw new CheckpointException("bundle " + bundle + ": format " + m.get("format") + "; expected " + FORMAT);
      }
      for (var e : m.getAsJsonObject("sha256").entrySet()) {
        Path f = bundle.resolve(e.getKey());
        if (!Files.isRegularFile(f)) {
          throw new CheckpointException("bundle " + bundle + ": file " + e.getKey() + " is missing");
        }
        if (!sha256(f).equals(e.getValue().getAsString())) {
          throw new CheckpointException("bundle " + bundle + ": file " + e.getKey() + " does not match its checksum");
        }
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof CheckpointException c) {
        throw c;
      }
      throw new CheckpointException("bundle " + bundle + ": unreadable manifest: " + e.getMessage(), e);
    }
    return Specs.read(bundle.resolve(SPEC));
  }

  static List<Path> files(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).sorted().toList();
    }
  }

  static String sha256(Path f) throws IOException {
    try (InputStream in = Files.newInputStream(f)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Deletes a directory tree (used for staging directories that are abandoned). */
  public static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // Leftover staging files are harmless; the bundle itself is untouched.
    }
  }
}
