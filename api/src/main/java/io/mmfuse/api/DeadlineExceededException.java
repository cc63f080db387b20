package io.mmfuse.api;

/** A request whose deadline passed before its answer was ready; it was dropped without being run. */
public class DeadlineExceededException extends MmfuseException {
  private static final long serialVersionUID = 1L;

  public DeadlineExceededException(String message) {
    super("MMF-DEADLINE", message);
  }
}
