package io.mmfuse.modality.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.api.Settings;
import io.mmfuse.api.TokenSequence;
import io.mmfuse.api.TokenizerContext;
import io.mmfuse.api.TokenizerFactory;
import io.mmfuse.api.proto.InputSpec;
import io.mmfuse.modality.image.proto.Augmentation;
import io.mmfuse.modality.image.proto.ImageSettings;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Images at a size that fits the data, and augmentation that happens in training only. */
class ImageFitAndAugmentationTest {
  static InputSpec spec(ImageSettings s) {
    return Settings.with(InputSpec.newBuilder().setName("picture").setModality("image").build(), s);
  }

  @Test
  void theSizeFollowsTheImagesNeverUpscaledCappedAt224WithAtMost196Patches() {
    // {height, width, patch} for typical sizes.
    assertArrayEquals(new int[] {64, 64, 8}, ImageTokenizerFactory.pick(64, 64, 0));
    assertArrayEquals(new int[] {32, 32, 4}, ImageTokenizerFactory.pick(32, 32, 0));
    assertArrayEquals(new int[] {224, 224, 16}, ImageTokenizerFactory.pick(224, 224, 0));
    assertArrayEquals(new int[] {224, 224, 16}, ImageTokenizerFactory.pick(1000, 1000, 0));
    // 480 x 640 scaled to 168 x 224; patch 8 would give 21 x 28 = 588 tokens, 16 gives 10 x 14.
    assertArrayEquals(new int[] {160, 224, 16}, ImageTokenizerFactory.pick(480, 640, 0));
    // A patch the settings set is kept.
    assertArrayEquals(new int[] {60, 60, 4}, ImageTokenizerFactory.pick(62, 62, 4));
    // Smaller than the smallest patch: one patch of 4, a little smaller than the image.
    assertArrayEquals(new int[] {4, 4, 4}, ImageTokenizerFactory.pick(5, 5, 0));
  }

  @Test
  void fitPicksTheMedianSizeOfTheTrainingImagesAndRecordsIt(@TempDir Path dir) {
    Path tall = Fixtures.file("rgb_97x301.png");
    Path square = Fixtures.file("rgba_300x300.png");
    TokenizerFactory f = new ImageTokenizerFactory();
    TokenizerFactory.Fitted fitted = f.fit(new TokenizerContext(spec(ImageSettings.getDefaultInstance()), dir),
        Arrays.asList(tall, null, tall, square), dir);
    ImageSettings saved = Settings.of(fitted.spec(), ImageSettings.class);
    // Median of 97 x 301 (twice) and 300 x 300: 97 x 301, scaled to 72 x 224, patch 16 (14 x 4 tokens).
    assertEquals(224, saved.getResizeHeight());
    assertEquals(64, saved.getResizeWidth());
    assertEquals(16, saved.getPatchSize());
    assertEquals("64x224 px, patch 16 (picked from the median size of 3 training images, 97x301); no augmentation",
        fitted.summary());
    TokenSequence t = ((ImagePatchTokenizer) fitted.tokenizer()).tokenize(square);
    assertEquals(14 * 4, t.length());
    // The saved spec builds the same tokenizer at prediction time.
    TokenSequence again = ((ImagePatchTokenizer) f.create(new TokenizerContext(fitted.spec(), dir))).tokenize(square);
    assertArrayEquals(t.features(), again.features());
  }

  @Test
  void aPresetOrASizeInTheSettingsIsKeptAsItIs(@TempDir Path dir) {
    TokenizerFactory f = new ImageTokenizerFactory();
    for (ImageSettings s : List.of(ImageSettings.newBuilder().setPreset("vit").build(),
        ImageSettings.newBuilder().setResizeHeight(32).setResizeWidth(32).build())) {
      InputSpec in = spec(s);
      TokenizerFactory.Fitted fitted = f.fit(new TokenizerContext(in, dir),
          List.of(Fixtures.file("rgb_97x301.png")), dir);
      assertEquals(in, fitted.spec());
      assertTrue(fitted.summary().endsWith("(as the settings say); no augmentation"), fitted.summary());
    }
  }

  static RgbImage pattern(int w, int h) {
    byte[] rgb = new byte[w * h * 3];
    for (int i = 0; i < rgb.length; i++) {
      rgb[i] = (byte) (i * 37 % 251);
    }
    return new RgbImage(w, h, rgb);
  }

  @Test
  void augmentationIsDeterministicUnderTheSeedAndTheIdentityWhenEverythingIsOff() {
    RgbImage image = pattern(40, 30);
    Augmenter a = new Augmenter(0.8f, 10, 0.1f, 0.2f, false);
    RgbImage x = a.apply(image, new Random(5));
    assertArrayEquals(x.rgb(), a.apply(image, new Random(5)).rgb());
    assertFalse(Arrays.equals(x.rgb(), a.apply(image, new Random(6)).rgb()));
    assertFalse(Arrays.equals(x.rgb(), image.rgb()));
    assertEquals(40, x.width());
    assertEquals(30, x.height());

    Augmenter none = new Augmenter(1, 0, 0, 0, false);
    assertArrayEquals(image.rgb(), none.apply(image, new Random(1)).rgb());

    // Mirroring alone: every image is either itself or its exact mirror, and both happen.
    Augmenter flip = new Augmenter(1, 0, 0, 0, true);
    int mirrored = 0;
    for (int seed = 0; seed < 20; seed++) {
      RgbImage y = flip.apply(image, new Random(seed));
      if (!Arrays.equals(y.rgb(), image.rgb())) {
        mirrored++;
        for (int row = 0; row < 30; row++) {
          for (int col = 0; col < 40; col++) {
            for (int c = 0; c < 3; c++) {
              assertEquals(image.get(39 - col, row, c), y.get(col, row, c));
            }
          }
        }
      }
    }
    assertTrue(mirrored > 0 && mirrored < 20, "mirrored " + mirrored + " of 20");

    InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class,
        () -> Augmenter.fromSettings(Augmentation.newBuilder().setEnabled(true).setCropScaleMin(1.5f).build()));
    assertTrue(e.getMessage().contains("crop_scale_min must be in (0, 1], found 1.5"), e.getMessage());
    assertEquals(null, Augmenter.fromSettings(Augmentation.newBuilder().setRotationDegrees(5).build()));
  }

  @Test
  void onlyTrainingAugmentsPredictionTokenizesTheImageAsItIs(@TempDir Path dir) {
    Path file = Fixtures.file("rgba_300x300.png");
    ImageSettings plain = ImageSettings.newBuilder().setResizeHeight(32).setResizeWidth(32).setPatchSize(8).build();
    ImageSettings augmented = plain.toBuilder().setAugmentation(Augmentation.newBuilder().setEnabled(true)).build();
    TokenizerFactory f = new ImageTokenizerFactory();
    ImagePatchTokenizer p = (ImagePatchTokenizer) f.create(new TokenizerContext(spec(plain), dir));
    ImagePatchTokenizer a = (ImagePatchTokenizer) f.create(new TokenizerContext(spec(augmented), dir));
    assertFalse(p.augments());
    assertTrue(a.augments());
    float[] asIs = p.tokenize(file).features();
    assertArrayEquals(asIs, a.tokenize(file).features());
    assertArrayEquals(asIs, a.tokenizeObject(file).features());
    assertArrayEquals(asIs, p.tokenizeForTraining(file, new Random(3)).features());
    float[] train = a.tokenizeForTraining(file, new Random(3)).features();
    assertFalse(Arrays.equals(asIs, train));
    assertArrayEquals(train, a.tokenizeForTraining(file, new Random(3)).features());
    assertEquals(asIs.length, train.length);
  }
}
