package io.mmfuse.modality.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.ModalityTokenizer;
import io.mmfuse.api.TokenSequence;
import io.mmfuse.api.TokenizerContext;
import io.mmfuse.api.plugin.Plugins;
import io.mmfuse.api.proto.InputSpec;
import io.mmfuse.api.proto.PositionLayout;
import io.mmfuse.api.proto.TokenKind;
import io.mmfuse.modality.image.proto.ImageSettings;
import io.mmfuse.modality.image.proto.Resample;
import java.nio.file.Files;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PatchesTest {
  private static ProcessedImage image(int h, int w) {
    float[] v = new float[3 * h * w];
    Random r = new Random(7);
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextFloat();
    }
    return new ProcessedImage(v, h, w, new long[0]);
  }

  @Test
  void aConv2dPatchEmbeddingIsAMatrixProductWithThePatchVectors() {
    int p = 4;
    int hidden = 5;
    ProcessedImage img = image(9, 13);
    Patches patches = Patches.of(img, p);
    assertEquals(2, patches.rows());
    assertEquals(3, patches.columns());
    Random r = new Random(3);
    float[][][][] weight = new float[hidden][3][p][p];
    for (float[][][] a : weight) {
      for (float[][] b : a) {
        for (float[] c : b) {
          for (int i = 0; i < p; i++) {
            c[i] = (float) r.nextGaussian();
          }
        }
      }
    }
    for (int n = 0; n < patches.count(); n++) {
      int row = patches.positions()[2 * n];
      int col = patches.positions()[2 * n + 1];
      for (int o = 0; o < hidden; o++) {
        // Conv2d with kernel P and stride P at output (row, col).
        double conv = 0;
        for (int c = 0; c < 3; c++) {
          for (int y = 0; y < p; y++) {
            for (int x = 0; x < p; x++) {
              conv += weight[o][c][y][x] * img.pixelValues()[(c * 9 + row * p + y) * 13 + col * p + x];
            }
          }
        }
        // The same weight reshaped to [hidden, 3*P*P] times the patch vector.
        double matmul = 0;
        for (int k = 0; k < 3 * p * p; k++) {
          matmul += weight[o][k / (p * p)][(k / p) % p][k % p] * patches.features()[n * 3 * p * p + k];
        }
        assertEquals(conv, matmul, 1e-4);
      }
    }
    assertArrayEquals(new int[] {0, 0, 0, 1, 0, 2, 1, 0, 1, 1, 1, 2}, patches.positions());
  }

  @Test
  void patchesIntoRefusesAnArrayTooSmallAndWritesNothing() {
    ImageProcessor vilt = new ImageProcessor(ImageConfig.preset("vilt"));
    // ViltImageProcessor resizes 640 x 427 to 576 x 384: 12 x 18 patches of 32.
    PatchGrid grid = vilt.patchGrid(427, 640);
    assertEquals(12, grid.rows());
    assertEquals(18, grid.columns());
    assertEquals(12 * 18 * 3 * 32 * 32, grid.floats());
    RgbImage image = new RgbImage(640, 427, new byte[640 * 427 * 3]);
    float[] buffer = new float[grid.floats() + 5];
    java.util.Arrays.fill(buffer, 7f);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> vilt.patchesInto(image, buffer, 6));
    assertTrue(e.getMessage().contains("need 663552 floats from offset 6, but the array holds 663557"),
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> vilt.patchesInto(image, buffer, -1));
    for (float v : buffer) {
      assertEquals(7f, v);
    }
    assertEquals(grid, vilt.patchesInto(image, buffer, 5));
  }

  @Test
  void patchesEntirelyOutsideThePixelMaskAreDroppedAndCounted() {
    ProcessedImage padded = image(8, 8).padTo(16, 24);
    Patches patches = Patches.of(padded, 8);
    assertEquals(6, patches.rows() * patches.columns());
    assertEquals(1, patches.count());
    assertEquals(5, patches.dropped());
    assertArrayEquals(new int[] {0, 0}, patches.positions());
    // A patch with any image pixel stays.
    assertEquals(2, Patches.of(image(9, 8).padTo(16, 16), 8).count());
  }

  @Test
  void thePluginTokenizesAnImageFromItsSpec() throws Exception {
    InputSpec spec = io.mmfuse.api.Settings.with(InputSpec.newBuilder().setName("photo").setModality("image").build(),
        ImageSettings.newBuilder().setPreset("vit").setPatchSize(16).build());
    ModalityTokenizer<?> t = Plugins.load(getClass().getClassLoader())
        .tokenizer(new TokenizerContext(spec, Fixtures.file("china.jpg").getParent()));
    assertTrue(t instanceof ImagePatchTokenizer);
    TokenSequence s = t.tokenizeObject(Files.readAllBytes(Fixtures.file("rgb_640x480.png")));
    assertEquals(TokenKind.CONTINUOUS, s.kind());
    assertEquals(PositionLayout.GRID, s.layout());
    assertEquals(196, s.length());
    assertEquals(768, s.featureWidth());
    assertEquals(768, t.tokenSpace().featureWidth());
    assertEquals(14, t.tokenSpace().gridRows());
    // The first patch holds the first 16 pixels of the reference's first row, channel 0 first.
    float[] ref = Fixtures.huggingFace().floats("vit/rgb_640x480.png");
    for (int x = 0; x < 16; x++) {
      assertEquals(ref[x], s.features()[x], 1e-6);
      assertEquals(ref[224 * 224 + 224 + x], s.features()[256 + 16 + x], 1e-6);
    }
    assertArrayEquals(new int[] {13, 13}, java.util.Arrays.copyOfRange(s.positions(), 390, 392));
  }

  @Test
  void specOverridesChangeThePreset() {
    ImageConfig c = ImageConfig.fromSettings(ImageSettings.newBuilder().setPreset("clip").setShortestEdge(256)
        .setCropHeight(240).setCropWidth(240).setPatchSize(20).build());
    assertEquals(256, c.shortestEdge());
    assertEquals(240, c.cropHeight());
    assertEquals(20, c.patchSize());
    assertEquals(Resample.BICUBIC, c.filter());
    ImageConfig v = ImageConfig.fromSettings(ImageSettings.newBuilder().setPreset("vilt").setShortestEdge(200).build());
    assertEquals(333, v.longestEdge());
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"vit", "clip", "vilt"})
  void theFusedPathGivesThePatchesOfTheProcessedImage(String preset) {
    for (String name : new String[] {"china.jpg", "rgb_97x301.png", "gray_120x80.png"}) {
      for (int p : new int[] {16, 7}) {
        ImageConfig config = ImageConfig.preset(preset).withPatchSize(p);
        ImageProcessor processor = new ImageProcessor(config);
        RgbImage rgb = new ImageDecoder().decode(Fixtures.file(name));
        Patches expected = Patches.of(processor.process(rgb), p);
        Patches fused = processor.patches(rgb);
        assertEquals(expected.rows(), fused.rows());
        assertEquals(expected.columns(), fused.columns());
        assertEquals(expected.dropped(), fused.dropped());
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected.positions(), fused.positions());
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected.features(), fused.features(), name + " " + p);
      }
    }
  }
}
