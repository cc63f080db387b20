package io.mmfuse.api;

/** A model checkpoint or bundle whose files, tensors or shapes do not fit what is expected. */
public class CheckpointException extends MmfuseException {
  private static final long serialVersionUID = 1L;

  public CheckpointException(String message) {
    super("MMF-CHECKPOINT", message);
  }

  public CheckpointException(String message, Throwable cause) {
    super("MMF-CHECKPOINT", message, cause);
  }
}
