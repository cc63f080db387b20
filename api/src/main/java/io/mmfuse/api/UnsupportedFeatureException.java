package io.mmfuse.api;

/** A feature that a file or spec asks for and that mmfuse does not implement; never silently approximated. */
public class UnsupportedFeatureException extends InvalidConfigurationException {
  private static final long serialVersionUID = 1L;

  public UnsupportedFeatureException(String message) {
    super("MMF-UNSUPPORTED", message, null);
  }
}
