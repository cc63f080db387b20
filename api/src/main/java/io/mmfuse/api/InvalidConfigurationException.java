package io.mmfuse.api;

/** A spec, a setting, a tokenizer file or a plugin set-up that mmfuse cannot work with. */
public class InvalidConfigurationException extends MmfuseException {
  private static final long serialVersionUID = 1L;

  public InvalidConfigurationException(String message) {
    super("MMF-CONFIG", message);
  }

  public InvalidConfigurationException(String message, Throwable cause) {
    super("MMF-CONFIG", message, cause);
  }

  protected InvalidConfigurationException(String errorId, String message, Throwable cause) {
    super(errorId, message, cause);
  }
}
