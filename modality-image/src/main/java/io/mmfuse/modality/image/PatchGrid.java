package io.mmfuse.modality.image;

/**
 * The grid of P x P patches an image is cut into: {@code rows x columns} patch vectors of {@code 3 * P * P} floats,
 * row by row.
 *
 * @param patchSize P
 * @param rows patch rows
 * @param columns patch columns
 */
public record PatchGrid(int patchSize, int rows, int columns) {

  /** Returns the number of patches. */
  public int count() {
    return rows * columns;
  }

  /** Returns the width of one patch vector. */
  public int width() {
    return 3 * patchSize * patchSize;
  }

  /** Returns the floats of all the patch vectors. */
  public int floats() {
    return Math.multiplyExact(count(), width());
  }

  /** Returns the (row, column) of every patch, row by row. */
  public int[] positions() {
    int[] positions = new int[count() * 2];
    for (int i = 0; i < count(); i++) {
      positions[2 * i] = i / columns;
      positions[2 * i + 1] = i % columns;
    }
    return positions;
  }
}
