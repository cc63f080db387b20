package io.mmfuse.fusion.internal;

/**
 * Position-table rows and weights for patch tokens: one row of a trained {@code rows x columns} grid when the image's
 * patch grid is the trained one, otherwise a bilinear mix of four rows (corners aligned, as ViLT interpolates its
 * position embeddings to each image's grid of valid patches).
 */
public final class GridPositions {
  private GridPositions() {}

  /**
   * Writes four table rows and weights for the patch at {@code (r, c)} of an image whose valid patches form an
   * {@code h x w} grid, against a trained {@code rows x cols} table, at {@code index[o..o+4)} and
   * {@code weight[o..o+4)}.
   */
  public static void write(int r, int c, int h, int w, int rows, int cols, int[] index, float[] weight, int o) {
    if (h == rows && w == cols) {
      index[o] = r * cols + c;
      weight[o] = 1f;
      for (int k = 1; k < 4; k++) {
        index[o + k] = 0;
        weight[o + k] = 0f;
      }
      return;
    }
    double y = h > 1 ? (double) r * (rows - 1) / (h - 1) : 0;
    double x = w > 1 ? (double) c * (cols - 1) / (w - 1) : 0;
    int y0 = Math.min((int) Math.floor(y), rows - 1);
    int x0 = Math.min((int) Math.floor(x), cols - 1);
    int y1 = Math.min(y0 + 1, rows - 1);
    int x1 = Math.min(x0 + 1, cols - 1);
    float dy = (float) (y - y0);
    float dx = (float) (x - x0);
    index[o] = y0 * cols + x0;
    weight[o] = (1 - dy) * (1 - dx);
    index[o + 1] = y0 * cols + x1;
    weight[o + 1] = (1 - dy) * dx;
    index[o + 2] = y1 * cols + x0;
    weight[o + 2] = dy * (1 - dx);
    index[o + 3] = y1 * cols + x1;
    weight[o + 3] = dy * dx;
  }
}
