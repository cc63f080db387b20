package io.mmfuse.serving;

import io.grpc.Status;
import io.mmfuse.api.MmfuseException;

/**
 * A request the server answers with an error: its gRPC status code (which also gives the HTTP status) and a message
 * that says what is wrong.
 */
public final class ServingException extends MmfuseException {
  private static final long serialVersionUID = 1L;

  private final Status.Code code;
  private final int httpStatus;

  public ServingException(Status.Code code, String message) {
    this(code, message, null);
  }

  public ServingException(Status.Code code, String message, Throwable cause) {
    this(code, httpStatus(code), message, cause);
  }

  /** An error whose HTTP status is not the one its code gives (413 for a body over the size limit). */
  ServingException(Status.Code code, int httpStatus, String message, Throwable cause) {
    super("MMF-SERVE-" + code.name(), message, cause);
    this.code = code;
    this.httpStatus = httpStatus;
  }

  public Status.Code code() {
    return code;
  }

  /** The HTTP status that stands for {@link #code()}. */
  public int httpStatus() {
    return httpStatus;
  }

  static int httpStatus(Status.Code code) {
    return switch (code) {
      case OK -> 200;
      case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE -> 400;
      case UNAUTHENTICATED -> 401;
      case PERMISSION_DENIED -> 403;
      case NOT_FOUND -> 404;
      case ALREADY_EXISTS, ABORTED -> 409;
      case RESOURCE_EXHAUSTED -> 429;
      case CANCELLED -> 499;
      case UNIMPLEMENTED -> 501;
      case UNAVAILABLE -> 503;
      case DEADLINE_EXCEEDED -> 504;
      default -> 500;
    };
  }

  /** The error a request ends with, from what went wrong while it was served. */
  static ServingException of(Throwable t) {
    while ((t instanceof java.util.concurrent.CompletionException
        || t instanceof java.util.concurrent.ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof ServingException s) {
      return s;
    }
    if (t instanceof java.util.concurrent.CancellationException) {
      return new ServingException(Status.Code.CANCELLED, "the request was cancelled", t);
    }
    if (t instanceof io.mmfuse.api.OverloadedException o) {
      return new ServingException(Status.Code.RESOURCE_EXHAUSTED, o.detail(), t);
    }
    if (t instanceof io.mmfuse.api.DeadlineExceededException d) {
      return new ServingException(Status.Code.DEADLINE_EXCEEDED, d.detail(), t);
    }
    if (t instanceof io.mmfuse.api.InvalidInputException
        || t instanceof io.mmfuse.api.plugin.UnknownModalityException) {
      return new ServingException(Status.Code.INVALID_ARGUMENT, ((MmfuseException) t).detail(), t);
    }
    if (t instanceof io.mmfuse.api.InvalidConfigurationException
        || t instanceof io.mmfuse.api.UnsupportedFeatureException
        || t instanceof io.mmfuse.api.CheckpointException) {
      return new ServingException(Status.Code.FAILED_PRECONDITION, ((MmfuseException) t).detail(), t);
    }
    return new ServingException(Status.Code.INTERNAL, "internal error: " + t.getClass().getSimpleName()
        + (t.getMessage() == null ? "" : ": " + t.getMessage()), t);
  }
}
