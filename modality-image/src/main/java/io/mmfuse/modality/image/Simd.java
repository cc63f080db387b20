package io.mmfuse.modality.image;

import io.mmfuse.modality.image.proto.Resample;
import io.mmfuse.modality.image.proto.ResizeArithmetic;
import java.util.Random;

/**
 * Whether the image kernels run on SIMD lanes ({@link VectorKernels}) or as plain Java loops; both give the same
 * bytes and floats.
 *
 * <p>The SIMD kernels need the JDK's incubating Vector API, so they are {@linkplain #available() available} only in a
 * JVM started with {@code --add-modules jdk.incubator.vector} (the {@code mmfuse} launcher, the benchmarks and the
 * tests pass it), on a CPU whose preferred vectors hold at least 8 ints (AVX2 or AVX-512), and unless the system
 * property {@code mmfuse.simd} is {@code false}.
 *
 * <p>Until the JIT has compiled them, Vector API kernels are far slower than scalar loops: run from the first image
 * on, they took 0.7 s for it instead of 0.08 s, and caught up with the scalar loops only after 300-700 images. So
 * they become {@linkplain #active() active} only once a background thread, started when this class is first used
 * (an {@link ImageProcessor} does), has run them and the scalar loops on a small synthetic workload until the SIMD
 * kernels were the faster three rounds running: about 1.4 s of one core. Until then, and for good if that does not
 * happen within {@value #WARM_UP_LIMIT_MS} ms, the scalar loops run; the results are the same either way.
 */
public final class Simd {
  private Simd() {}

  static final long WARM_UP_LIMIT_MS = 20_000;

  private static final boolean AVAILABLE = detect();
  private static volatile boolean active;
  private static volatile boolean warmUpDone = !AVAILABLE;
  static volatile Throwable warmUpFailure;

  static {
    if (AVAILABLE) {
      Thread warmUp = new Thread(Simd::warmUp, "mmfuse-simd-warm-up");
      warmUp.setDaemon(true);
      warmUp.setPriority(Thread.MIN_PRIORITY);
      warmUp.start();
    }
  }

  /** Whether the SIMD kernels can run in this JVM (module, CPU, {@code mmfuse.simd}). */
  public static boolean available() {
    return AVAILABLE;
  }

  /** Whether the image kernels run on SIMD lanes now: available, and compiled to beat the scalar loops. */
  public static boolean active() {
    return active;
  }

  /** Waits up to {@code millis} for the warm-up to end; returns {@link #active()}. */
  public static boolean awaitWarmUp(long millis) throws InterruptedException {
    long end = System.nanoTime() + millis * 1_000_000;
    while (!warmUpDone && System.nanoTime() < end) {
      Thread.sleep(5);
    }
    return active;
  }

  private static boolean detect() {
    if (!Boolean.parseBoolean(System.getProperty("mmfuse.simd", "true"))
        || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      return false;
    }
    try {
      return VectorKernels.LANES >= 8;
    } catch (LinkageError e) {
      return false;
    }
  }

  /**
   * Runs both passes (with and without a window), normalization and patches on a 203x157 noise image, SIMD and
   * scalar in turn, until SIMD has been the faster three rounds running. Patches take the fused kernel both ways its
   * horizontal pass can go (gathered taps for ViT's enlargement, sums at every position for a slight shrink) and
   * both normalizations (ViT's multiplication, CLIP's division).
   */
  private static void warmUp() {
    try {
      Random random = new Random(1);
      byte[] rgb = new byte[203 * 157 * 3];
      random.nextBytes(rgb);
      RgbImage image = new RgbImage(203, 157, rgb);
      ImageProcessor vectors = new ImageProcessor(ImageConfig.preset("vit"), true);
      ImageProcessor scalar = new ImageProcessor(ImageConfig.preset("vit"), false);
      ImageProcessor clip = new ImageProcessor(ImageConfig.preset("clip"), false);
      long end = System.nanoTime() + WARM_UP_LIMIT_MS * 1_000_000;
      int wins = 0;
      while (wins < 3 && System.nanoTime() < end) {
        long simdTime = round(image, vectors, clip, true);
        long scalarTime = round(image, scalar, clip, false);
        wins = simdTime < scalarTime ? wins + 1 : 0;
      }
      active = wins >= 3;
    } catch (RuntimeException | LinkageError e) {
      // The scalar loops stay; the tests look here.
      warmUpFailure = e;
      active = false;
    } finally {
      warmUpDone = true;
    }
  }

  /**
   * One round; {@code clip} normalizes a shrink by 1.12, through the fused kernel (where it sums at every position,
   * with CLIP's division) or as its scalar equivalent.
   */
  private static long round(RgbImage image, ImageProcessor processor, ImageProcessor clip, boolean simd) {
    long start = System.nanoTime();
    for (int i = 0; i < 4; i++) {
      Resampling.resize(image, 181, 139, Resample.BICUBIC, ResizeArithmetic.TORCH_UINT8, simd);
      Resampling.resizeWindow(image, 150, 116, 13, 10, 97, 89, Resample.BILINEAR,
          ResizeArithmetic.PIL, simd);
      processor.patches(image);
      processor.normalize(image);
      if (simd) {
        ImageConfig c = clip.config();
        int rows = 139 / 16;
        int cols = 181 / 16;
        Resampling.fusedPatches(image, 181, 139, 0, 0, rows, cols, 16, Resample.BICUBIC,
            ResizeArithmetic.TORCH_UINT8, c.rescaleFactor(), c.mean(), c.std(), new float[rows * cols * 3 * 16 * 16],
            0);
      } else {
        clip.normalize(
            Resampling.resize(image, 181, 139, Resample.BICUBIC, ResizeArithmetic.TORCH_UINT8, false));
      }
    }
    return System.nanoTime() - start;
  }
}
