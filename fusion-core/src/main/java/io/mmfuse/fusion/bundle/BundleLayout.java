package io.mmfuse.fusion.bundle;

/**
 * Where things are in a model bundle, a directory: the TensorFlow SavedModel, the model spec (protobuf text format)
 * naming every tokenizer file and fitted state beside it, and the manifest (format, provenance, a SHA-256 of every
 * file). Only {@link BundleWriter} and {@link BundleReader} use these names (the reader names the manifest and spec
 * to those who read a bundle from other storage).
 */
final class BundleLayout {
  private BundleLayout() {}

  static final String SPEC = "model.spec";
  static final String SAVED_MODEL = "saved_model";
  static final String MANIFEST = "manifest.json";
  // 2: modality settings as typed messages (google.protobuf.Any), fusion named by string, provenance.
  static final String FORMAT = "mmfuse-bundle-2";
}
