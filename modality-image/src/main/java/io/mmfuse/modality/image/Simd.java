package io.mmfuse.modality.image;

/**
 * Whether the image kernels run on SIMD lanes ({@link VectorKernels}) or as plain Java loops; both give the same
 * bytes and floats. The SIMD kernels need the JDK's incubating Vector API, so they run only in a JVM started with
 * {@code --add-modules jdk.incubator.vector} (the {@code mmfuse} launcher, the benchmarks and the tests pass it), on a
 * CPU whose preferred vectors hold at least 8 ints (AVX2 or AVX-512), and unless the system property
 * {@code mmfuse.simd} is {@code false}. Everywhere else the scalar loops run, silently.
 */
public final class Simd {
  private Simd() {}

  private static final boolean ENABLED = detect();

  /** Whether the SIMD kernels run in this JVM. */
  public static boolean enabled() {
    return ENABLED;
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
}
