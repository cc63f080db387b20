package io.mmfuse.api;

import io.mmfuse.api.proto.InputSpec;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What a factory gets to build a tokenizer: the input's spec and the directory that relative file names in it are
 * resolved against (the spec file's or the model bundle's).
 *
 * @param spec the input's spec, with the modality's settings
 * @param baseDirectory where relative paths in the spec are resolved
 */
public record TokenizerContext(InputSpec spec, Path baseDirectory) {

  public TokenizerContext {
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(baseDirectory, "baseDirectory");
  }

  /** Resolves a file named in the spec against the base directory. */
  public Path resolve(String file) {
    return baseDirectory.resolve(file);
  }
}
