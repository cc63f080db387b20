package io.mmfuse.api.plugin;

import io.mmfuse.api.InvalidConfigurationException;

/** Two plugins claim the same modality name. */
public class PluginConflictException extends InvalidConfigurationException {
  private static final long serialVersionUID = 1L;

  public PluginConflictException(String message) {
    super("MMF-PLUGIN-CONFLICT", message, null);
  }
}
