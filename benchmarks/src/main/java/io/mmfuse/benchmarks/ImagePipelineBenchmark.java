package io.mmfuse.benchmarks;

import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.modality.cv.transform.CenterCrop;
import ai.djl.modality.cv.transform.Normalize;
import ai.djl.modality.cv.transform.Resize;
import ai.djl.modality.cv.transform.ToTensor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.mmfuse.modality.image.ImageConfig;
import io.mmfuse.modality.image.ImageDecoder;
import io.mmfuse.modality.image.ImageProcessor;
import io.mmfuse.modality.image.PatchGrid;
import io.mmfuse.modality.image.Patches;
import io.mmfuse.modality.image.Resampling;
import io.mmfuse.modality.image.RgbImage;
import io.mmfuse.modality.image.Simd;
import io.mmfuse.modality.image.proto.Resample;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Images per second through each preset's preprocessing, from encoded bytes in memory to patch vectors in a Java
 * array, split into decode and resize plus normalize plus patchify ({@code mmfusePreprocess}: one pass where the
 * fused SIMD kernel applies, as the pipeline runs it), the latter also as its two passes apart (resize and crop to
 * an 8-bit image, then normalize plus patchify); the same into a batch buffer of {@link #BATCH} images that is
 * reused ({@code mmfusePreprocessIntoBatch}, {@code mmfusePipelineIntoBatch}: {@code patchesInto}, no array allocated
 * per image); and the same pipeline with DJL's image transforms on its PyTorch engine ({@code djlPipeline}, {@code
 * djlDecode}) as the peer.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 3)
// The Vector API module as under the mmfuse launcher: the image kernels run on SIMD lanes. For the scalar loops, add
// -jvmArgsAppend -Dmmfuse.simd=false.
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
@State(Scope.Benchmark)
public class ImagePipelineBenchmark {
  static final Path IMAGES = Path.of("modality-image/src/test/resources/fixtures/images");

  @Param({"vit", "clip", "vilt"})
  public String preset;

  @Param({"china.jpg", "flower.jpg"})
  public String image;

  private byte[] encoded;
  private ImageConfig config;
  private ImageDecoder decoder;
  private ImageProcessor processor;
  private RgbImage decoded;
  private RgbImage resized;
  private int[] size;
  private NDManager manager;
  private ImageFactory factory;
  /** A batch buffer of {@link #BATCH} images' patches, filled slot after slot as a service would fill its batches. */
  private float[] batch;
  private int slotFloats;
  private int slot;

  static final int BATCH = 8;

  @Setup
  public void setUp() throws IOException, InterruptedException {
    encoded = Files.readAllBytes(IMAGES.resolve(image));
    config = ImageConfig.preset(preset);
    decoder = new ImageDecoder();
    processor = new ImageProcessor(config);
    // The SIMD kernels once compiled (see Simd), as in a long-running process.
    Simd.awaitWarmUp(60_000);
    decoded = decoder.decode(encoded, image);
    resized = processor.resizeAndCrop(decoded);
    size = config.resizedSize(decoded.height(), decoded.width());
    slotFloats = processor.patchGrid(decoded.height(), decoded.width()).floats();
    batch = new float[BATCH * slotFloats];
    manager = NDManager.newBaseManager("PyTorch");
    factory = ImageFactory.getInstance();
  }

  @TearDown
  public void tearDown() {
    manager.close();
  }

  @Benchmark
  public RgbImage mmfuseDecode() {
    return decoder.decode(encoded, image);
  }

  @Benchmark
  public Patches mmfusePreprocess() {
    return processor.patches(decoded);
  }

  @Benchmark
  public PatchGrid mmfusePreprocessIntoBatch() {
    slot = (slot + 1) % BATCH;
    return processor.patchesInto(decoded, batch, slot * slotFloats);
  }

  @Benchmark
  public RgbImage mmfuseResize() {
    return processor.resizeAndCrop(decoded);
  }

  @Benchmark
  public Patches mmfuseNormalizePatchify() {
    return processor.patches(resized);
  }

  @Benchmark
  public Patches mmfusePipeline() {
    return processor.patches(decoder.decode(encoded, image));
  }

  @Benchmark
  public PatchGrid mmfusePipelineIntoBatch() {
    slot = (slot + 1) % BATCH;
    return processor.patchesInto(decoder.decode(encoded, image), batch, slot * slotFloats);
  }

  @Benchmark
  public Image djlDecode() throws IOException {
    return factory.fromInputStream(new ByteArrayInputStream(encoded));
  }

  @Benchmark
  public float[] djlPipeline() throws IOException {
    Image img = factory.fromInputStream(new ByteArrayInputStream(encoded));
    try (NDManager m = manager.newSubManager()) {
      NDArray x = img.toNDArray(m, Image.Flag.COLOR);
      Image.Interpolation interpolation =
          config.filter() == Resample.BICUBIC ? Image.Interpolation.BICUBIC : Image.Interpolation.BILINEAR;
      x = new Resize(size[1], size[0], interpolation).transform(x);
      if (config.cropHeight() > 0) {
        x = new CenterCrop(config.cropWidth(), config.cropHeight()).transform(x);
      }
      x = new ToTensor().transform(x);
      x = new Normalize(config.mean(), config.std()).transform(x);
      long h = x.getShape().get(1);
      long w = x.getShape().get(2);
      int p = config.patchSize();
      long rows = h / p;
      long cols = w / p;
      NDArray patches =
          x.get(":, :" + rows * p + ", :" + cols * p)
              .reshape(new Shape(3, rows, p, cols, p))
              .transpose(1, 3, 0, 2, 4)
              .reshape(new Shape(rows * cols, 3L * p * p));
      return patches.toFloatArray();
    }
  }
}
