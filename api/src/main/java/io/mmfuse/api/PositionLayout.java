package io.mmfuse.api;

/** Where a token stands: an index in a sequence, or a row and column on a grid. */
public enum PositionLayout {
  /** One index per token, 0-based. */
  SEQUENCE(1),
  /** Row and column per token on a 2-D grid (image patches). */
  GRID(2);

  private final int coordinates;

  PositionLayout(int coordinates) {
    this.coordinates = coordinates;
  }

  /** Returns how many integers describe one token's position. */
  public int coordinates() {
    return coordinates;
  }
}
