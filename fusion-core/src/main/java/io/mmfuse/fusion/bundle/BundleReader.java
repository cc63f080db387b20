package io.mmfuse.fusion.bundle;

import com.google.gson.JsonObject;
import io.mmfuse.api.CheckpointException;
import io.mmfuse.api.Specs;
import io.mmfuse.api.proto.ModelSpec;
import io.mmfuse.fusion.internal.Checksums;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.proto.ConfigProto;

/** Opens a model bundle: checks its manifest (format, every file present with its checksum), then reads it. */
public final class BundleReader {
  private final Path dir;
  private final ModelSpec spec;
  private final JsonObject manifest;

  private BundleReader(Path dir, ModelSpec spec, JsonObject manifest) {
    this.dir = dir;
    this.spec = spec;
    this.manifest = manifest;
  }

  /**
   * The bundle's manifest file, relative to its directory: its hash names the bundle's whole content (it lists every
   * file's SHA-256), for caches of bundles read from elsewhere.
   */
  public static final String MANIFEST_FILE = BundleLayout.MANIFEST;

  /** The bundle's model spec (protobuf text format), relative to its directory, for reading it without the model. */
  public static final String SPEC_FILE = BundleLayout.SPEC;

  /** Opens and verifies the bundle in {@code dir}. */
  public static BundleReader open(Path dir) {
    Path manifestFile = dir.resolve(BundleLayout.MANIFEST);
    if (!Files.exists(dir)) {
      // A writer that died between its two renames leaves the bundle beside its path.
      BundleWriter.recover(dir);
    }
    if (!Files.isRegularFile(manifestFile)) {
      throw new CheckpointException("bundle " + dir + ": " + BundleLayout.MANIFEST + " is missing; not a model bundle");
    }
    JsonObject m;
    try {
      m = io.mmfuse.api.Limits.parseJson(io.mmfuse.api.Limits.readText(manifestFile,
          x -> new CheckpointException("bundle " + dir + ": " + BundleLayout.MANIFEST + " " + x))).getAsJsonObject();
      if (!m.has("format") || !BundleLayout.FORMAT.equals(m.get("format").getAsString())) {
        throw new CheckpointException("bundle " + dir + ": format " + m.get("format") + "; expected "
            + BundleLayout.FORMAT + " (a bundle from an older mmfuse: train it again with this one)");
      }
      for (var e : m.getAsJsonObject("sha256").entrySet()) {
        Path f = dir.resolve(e.getKey());
        if (!Files.isRegularFile(f)) {
          throw new CheckpointException("bundle " + dir + ": file " + e.getKey() + " is missing");
        }
        if (!Checksums.sha256(f).equals(e.getValue().getAsString())) {
          throw new CheckpointException("bundle " + dir + ": file " + e.getKey() + " does not match its checksum");
        }
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof CheckpointException c) {
        throw c;
      }
      throw new CheckpointException("bundle " + dir + ": unreadable manifest: " + e.getMessage(), e);
    }
    return new BundleReader(dir, Specs.read(dir.resolve(BundleLayout.SPEC)), m);
  }

  /**
   * The spec of what looks like a bundle, unverified (to read its runtime settings before loading it); empty when
   * {@code dir} holds no spec.
   */
  public static Optional<ModelSpec> peekSpec(Path dir) {
    Path f = dir.resolve(BundleLayout.SPEC);
    return Files.isRegularFile(f) ? Optional.of(Specs.read(f)) : Optional.empty();
  }

  /** The bundle's directory: what relative file names in its spec are resolved against. */
  public Path directory() {
    return dir;
  }

  /** The model spec, with every tokenizer's settings and fitted state. */
  public ModelSpec spec() {
    return spec;
  }

  /** Where the bundle came from; empty for a bundle written without provenance. */
  public Optional<Provenance> provenance() {
    return manifest.has("provenance") ? Optional.of(Provenance.fromJson(manifest.getAsJsonObject("provenance")))
        : Optional.empty();
  }

  /**
   * How many parts the SavedModel's encoder runs each example's tokens in (its {@code sequence_parts} constant; 1
   * where it has none, as bundles written before it do), read from the graph before a session exists: the session's
   * threads depend on it ({@code TensorFlowRuntime.forSequenceParts}).
   */
  public int sequenceParts() {
    Path pb = dir.resolve(BundleLayout.SAVED_MODEL).resolve("saved_model.pb");
    org.tensorflow.proto.SavedModel model;
    try (java.io.InputStream in = Files.newInputStream(pb)) {
      model = org.tensorflow.proto.SavedModel.parseFrom(in);
    } catch (IOException | RuntimeException e) {
      throw new CheckpointException("bundle " + dir + ": " + pb.getFileName() + " cannot be read as a SavedModel: "
          + e.getMessage(), e);
    }
    for (org.tensorflow.proto.MetaGraphDef meta : model.getMetaGraphsList()) {
      for (org.tensorflow.proto.NodeDef node : meta.getGraphDef().getNodeList()) {
        if (node.getName().equals(io.mmfuse.fusion.graph.Names.SEQUENCE_PARTS) && node.getOp().equals("Const")) {
          org.tensorflow.proto.TensorProto value = node.getAttrOrThrow("value").getTensor();
          // A scalar: in int_val, or as 4 little-endian bytes of tensor_content.
          int parts = value.getIntValCount() > 0 ? value.getIntVal(0)
              : value.getTensorContent().size() == 4 ? java.nio.ByteBuffer.wrap(value.getTensorContent().toByteArray())
                  .order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt() : 0;
          if (parts < 1 || parts > 64) {
            throw new CheckpointException("bundle " + dir + ": its graph's " + io.mmfuse.fusion.graph.Names.SEQUENCE_PARTS
                + " is " + parts + "; expected 1 to 64");
          }
          return parts;
        }
      }
    }
    return 1;
  }

  /** Loads the SavedModel with this session configuration; the caller closes it. */
  public SavedModelBundle loadSavedModel(ConfigProto config) {
    try {
      return SavedModelBundle.loader(dir.resolve(BundleLayout.SAVED_MODEL).toString()).withTags("serve")
          .withConfigProto(config).load();
    } catch (RuntimeException e) {
      throw new CheckpointException("bundle " + dir + ": the SavedModel cannot be loaded: " + e.getMessage(), e);
    }
  }
}
