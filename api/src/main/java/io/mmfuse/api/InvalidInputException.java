package io.mmfuse.api;

/** Input data (a file, a row, a cell, a tensor) that cannot be used as it is. */
public class InvalidInputException extends MmfuseException {
  private static final long serialVersionUID = 1L;

  public InvalidInputException(String message) {
    super("MMF-INPUT", message);
  }

  public InvalidInputException(String message, Throwable cause) {
    super("MMF-INPUT", message, cause);
  }
}
