package io.mmfuse.api;

/** A request refused at once because the queue in front of the model is full, or because it has shut down. */
public class OverloadedException extends MmfuseException {
  private static final long serialVersionUID = 1L;

  public OverloadedException(String message) {
    super("MMF-OVERLOADED", message);
  }
}
