package io.mmfuse.modality.image;

/**
 * ViT patch tokens of a preprocessed image: P x P patches, each one vector of {@code 3 * P * P} floats flattened
 * channel, then row, then column, so that a PyTorch {@code Conv2d} patch-embedding weight {@code [hidden, 3, P, P]}
 * reshaped to {@code [hidden, 3 * P * P]} applies to it as a matrix. Pixels beyond the last whole patch are dropped
 * (as the strided convolution does), and so are patches entirely outside the pixel mask.
 *
 * @param patchSize P
 * @param rows patch rows of the grid
 * @param columns patch columns of the grid
 * @param features {@code count * 3 * P * P} floats
 * @param positions a row and a column per kept patch
 * @param dropped patches left out because the pixel mask hides them entirely
 */
public record Patches(int patchSize, int rows, int columns, float[] features, int[] positions, int dropped) {

  /** Returns the number of patches kept. */
  public int count() {
    return positions.length / 2;
  }

  /** Returns the width of one patch vector. */
  public int width() {
    return 3 * patchSize * patchSize;
  }

  /** Cuts an image into patches. */
  public static Patches of(ProcessedImage image, int p) {
    int rows = image.height() / p;
    int cols = image.width() / p;
    int h = image.height();
    int w = image.width();
    int width = 3 * p * p;
    boolean[] keep = new boolean[rows * cols];
    int kept = 0;
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        boolean any = !image.hasMask();
        for (int y = 0; y < p && !any; y++) {
          for (int x = 0; x < p && !any; x++) {
            any = image.pixelMask()[(r * p + y) * w + c * p + x] != 0;
          }
        }
        keep[r * cols + c] = any;
        kept += any ? 1 : 0;
      }
    }
    float[] features = new float[kept * width];
    int[] positions = new int[kept * 2];
    float[] src = image.pixelValues();
    int n = 0;
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        if (!keep[r * cols + c]) {
          continue;
        }
        int o = n * width;
        for (int ch = 0; ch < 3; ch++) {
          for (int y = 0; y < p; y++) {
            System.arraycopy(src, (ch * h + r * p + y) * w + c * p, features, o, p);
            o += p;
          }
        }
        positions[2 * n] = r;
        positions[2 * n + 1] = c;
        n++;
      }
    }
    return new Patches(p, rows, cols, features, positions, rows * cols - kept);
  }
}
