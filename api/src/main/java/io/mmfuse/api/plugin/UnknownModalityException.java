package io.mmfuse.api.plugin;

import io.mmfuse.api.InvalidConfigurationException;

/** A spec names a modality that no plugin on the class path claims (id {@code MMF-MODALITY-MISSING}). */
public final class UnknownModalityException extends InvalidConfigurationException {
  private static final long serialVersionUID = 1L;

  public UnknownModalityException(String message) {
    super("MMF-MODALITY-MISSING", message, null);
  }
}
