package io.mmfuse.api;

/**
 * Base of every error mmfuse reports. Each carries a stable id that users can search for, and a message that says
 * what was expected, what was found, and where.
 */
public class MmfuseException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String errorId;

  public MmfuseException(String errorId, String message) {
    this(errorId, message, null);
  }

  public MmfuseException(String errorId, String message, Throwable cause) {
    super(message, cause);
    this.errorId = errorId;
  }

  /** Returns the stable id of this kind of error, such as {@code MMF-INPUT}. */
  public String errorId() {
    return errorId;
  }

  @Override
  public String getMessage() {
    return "[" + errorId + "] " + super.getMessage();
  }

  /** Returns the message without the error id. */
  public String detail() {
    return super.getMessage();
  }
}
