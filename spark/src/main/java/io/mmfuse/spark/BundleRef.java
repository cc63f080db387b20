package io.mmfuse.spark;

import io.mmfuse.api.CheckpointException;
import io.mmfuse.api.Specs;
import io.mmfuse.api.proto.ModelSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;

/**
 * A model bundle named by a path or the URI of any Hadoop file system, with the hash of its manifest (which lists
 * every file's hash): what the driver sends to the executors instead of the model. Each executor reads the bundle
 * from that storage itself; one on another file system than the local one is copied once per machine into a local
 * directory named by the hash.
 */
record BundleRef(String uri, String manifestHash) implements Serializable {
  private static final String MANIFEST = io.mmfuse.fusion.bundle.BundleReader.MANIFEST_FILE;
  private static final String SPEC = io.mmfuse.fusion.bundle.BundleReader.SPEC_FILE;

  /** Resolves a bundle on the driver: its qualified URI and the hash of its manifest as it is now. */
  static BundleRef resolve(String path, Configuration conf) {
    org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
    try {
      FileSystem fs = p.getFileSystem(conf);
      org.apache.hadoop.fs.Path q = fs.makeQualified(p);
      return new BundleRef(q.toString(), hash(read(fs, new org.apache.hadoop.fs.Path(q, MANIFEST), q)));
    } catch (IOException e) {
      throw new CheckpointException("bundle " + path + ": cannot be read: " + e.getMessage(), e);
    }
  }

  /** The bundle's model spec, read without loading the model (the driver needs only that). */
  ModelSpec spec(Configuration conf) {
    org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(uri);
    try {
      FileSystem fs = p.getFileSystem(conf);
      String text = new String(read(fs, new org.apache.hadoop.fs.Path(p, SPEC), p), StandardCharsets.UTF_8);
      return Specs.parse(text, uri + "/" + SPEC);
    } catch (IOException e) {
      throw new CheckpointException("bundle " + uri + ": cannot be read: " + e.getMessage(), e);
    }
  }

  /**
   * The bundle as a local directory: itself where it is on the local file system, else a copy under {@code cache}
   * (made once, whole or not at all). Fails when the bundle's manifest changed since the driver resolved it.
   */
  Path local(Configuration conf, Path cache) {
    org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(uri);
    try {
      FileSystem fs = p.getFileSystem(conf);
      String now = hash(read(fs, new org.apache.hadoop.fs.Path(p, MANIFEST), p));
      if (!now.equals(manifestHash)) {
        throw new CheckpointException("bundle " + uri + " changed after the job was planned (manifest "
            + manifestHash.substring(0, 12) + " then, " + now.substring(0, 12) + " now); run the job again");
      }
      if (fs instanceof org.apache.hadoop.fs.LocalFileSystem || "file".equals(fs.getScheme())) {
        return Path.of(p.toUri());
      }
      Path dir = cache.resolve(manifestHash);
      if (Files.isDirectory(dir)) {
        return dir;
      }
      Files.createDirectories(cache);
      Path staging = Files.createTempDirectory(cache, manifestHash.substring(0, 12) + ".partial-");
      copy(fs, p, staging);
      try {
        Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
      } catch (java.nio.file.FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
        // Another JVM on this machine copied it first.
        io.mmfuse.fusion.internal.Checksums.deleteTree(staging);
      }
      return dir;
    } catch (IOException e) {
      throw new CheckpointException("bundle " + uri + ": cannot be copied to " + cache + ": " + e.getMessage(), e);
    }
  }

  private static void copy(FileSystem fs, org.apache.hadoop.fs.Path from, Path to) throws IOException {
    for (FileStatus s : fs.listStatus(from)) {
      Path target = to.resolve(s.getPath().getName());
      if (s.isDirectory()) {
        Files.createDirectories(target);
        copy(fs, s.getPath(), target);
      } else {
        try (InputStream in = fs.open(s.getPath())) {
          Files.copy(in, target);
        }
      }
    }
  }

  private static byte[] read(FileSystem fs, org.apache.hadoop.fs.Path file, org.apache.hadoop.fs.Path bundle)
      throws IOException {
    if (!fs.exists(file)) {
      throw new CheckpointException("bundle " + bundle + ": has no " + file.getName() + "; is it a model bundle"
          + " written by mmfuse train?");
    }
    try (InputStream in = fs.open(file)) {
      return in.readAllBytes();
    }
  }

  static String hash(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
