package io.mmfuse.fusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mmfuse.fusion.internal.GridPositions;
import org.junit.jupiter.api.Test;

class GridPositionsTest {
  /** Mixes a table of values t[row][col] = 10 * row + col through the written rows and weights. */
  private static float mix(int r, int c, int h, int w, int rows, int cols) {
    int[] index = new int[4];
    float[] weight = new float[4];
    GridPositions.write(r, c, h, w, rows, cols, index, weight, 0);
    float v = 0;
    for (int k = 0; k < 4; k++) {
      v += weight[k] * (10 * (index[k] / cols) + index[k] % cols);
    }
    return v;
  }

  @Test
  void theTrainedGridUsesOneRowPerPatch() {
    int[] index = new int[4];
    float[] weight = new float[4];
    GridPositions.write(2, 1, 3, 4, 3, 4, index, weight, 0);
    assertArrayEquals(new int[] {9, 0, 0, 0}, index);
    assertArrayEquals(new float[] {1, 0, 0, 0}, weight);
  }

  @Test
  void otherGridsInterpolateBilinearlyWithAlignedCorners() {
    // A 7x7 table read on a 4x3 grid: corners map to corners, the rest lies on the lines between them, which is
    // what bilinear interpolation with align_corners=True gives for a table that is linear in row and column.
    assertEquals(0f, mix(0, 0, 4, 3, 7, 7), 1e-5);
    assertEquals(66f, mix(3, 2, 4, 3, 7, 7), 1e-5);
    assertEquals(10 * 2f + 3f, mix(1, 1, 4, 3, 7, 7), 1e-5);
    assertEquals(10 * 4f + 6f, mix(2, 2, 4, 3, 7, 7), 1e-5);
    // A single row or column reads the table's first.
    assertEquals(3f, mix(0, 1, 1, 3, 7, 7), 1e-5);
  }
}
