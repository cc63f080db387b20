package io.mmfuse.runtime;

import io.mmfuse.api.InvalidConfigurationException;
import java.util.List;
import java.util.Optional;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.GPUOptions;
import org.tensorflow.proto.GraphOptions;
import org.tensorflow.proto.OptimizerOptions;

/**
 * The one place that decides how TensorFlow executes: the session configuration (threads, soft placement off, GPU
 * memory, visible devices, XLA) and the device the model is placed on. {@code gpu} never falls back to the CPU
 * silently: without a GPU it fails saying why and how to fix it; {@code auto} takes a GPU when there is one, and
 * otherwise the CPU with one warning.
 */
public final class TensorFlowRuntime {
  private TensorFlowRuntime() {}

  /**
   * Where the model runs, with the session configuration to use.
   *
   * @param deviceType {@code CPU} or {@code GPU}
   * @param deviceIndex the device's index
   * @param config the session configuration
   * @param warning a line to show the user, if any (auto fell back to the CPU)
   */
  public record Placement(String deviceType, int deviceIndex, ConfigProto config, Optional<String> warning) {
    public boolean gpu() {
      return deviceType.equals("GPU");
    }
  }

  /** The session configuration the options ask for. */
  public static ConfigProto sessionConfig(RuntimeOptions o) {
    ConfigProto.Builder b = ConfigProto.newBuilder().setAllowSoftPlacement(false);
    if (o.intraOpThreads() > 0) {
      b.setIntraOpParallelismThreads(o.intraOpThreads());
    }
    if (o.interOpThreads() > 0) {
      b.setInterOpParallelismThreads(o.interOpThreads());
    }
    GPUOptions.Builder gpu = GPUOptions.newBuilder().setAllowGrowth(o.gpuMemoryGrowth());
    if (o.gpuMemoryFraction() > 0) {
      gpu.setPerProcessGpuMemoryFraction(o.gpuMemoryFraction());
    }
    if (!o.visibleDevices().isEmpty()) {
      gpu.setVisibleDeviceList(o.visibleDevices());
    }
    b.setGpuOptions(gpu);
    if (o.xla()) {
      b.setGraphOptions(GraphOptions.newBuilder().setOptimizerOptions(
          OptimizerOptions.newBuilder().setGlobalJitLevel(OptimizerOptions.GlobalJitLevel.ON_1)));
    }
    return b.build();
  }

  /** Decides the placement, checking with {@code lister} that a requested GPU exists. */
  public static Placement place(RuntimeOptions o, DeviceLister lister) {
    ConfigProto config = sessionConfig(o);
    if (o.device().equals("cpu")) {
      return new Placement("CPU", 0, config, Optional.empty());
    }
    List<DeviceInfo> gpus = lister.devices().stream().filter(d -> d.type().equals("GPU")).toList();
    if (o.device().equals("auto")) {
      if (gpus.isEmpty()) {
        return new Placement("CPU", 0, config, Optional.of(
            "mmfuse: warning: --device auto found no GPU (" + whyNoGpu() + "); running on the CPU"));
      }
      return new Placement("GPU", 0, config, Optional.empty());
    }
    int index = o.gpuIndex();
    if (gpus.isEmpty()) {
      throw new InvalidConfigurationException("--device " + o.device() + ": TensorFlow sees no GPU: " + whyNoGpu()
          + ". To run on a GPU: build with `mvn -Pgpu` (tensorflow-core-native classifier linux-x86_64-gpu), on a"
          + " machine with an NVIDIA GPU, CUDA 12.x and cuDNN 9 (TensorFlow 2.18 was built for CUDA 12.5 and cuDNN"
          + " 9.3); or use --device cpu or auto");
    }
    if (index >= gpus.size()) {
      throw new InvalidConfigurationException("--device " + o.device() + ": TensorFlow sees " + gpus.size()
          + " GPU(s): " + gpus.stream().map(DeviceInfo::name).toList());
    }
    return new Placement("GPU", index, config, Optional.empty());
  }

  /** Why TensorFlow sees no GPU: the CPU-only native library, or missing CUDA libraries. */
  static String whyNoGpu() {
    boolean gpuBuild = TensorFlowRuntime.class.getClassLoader()
        .getResource("org/tensorflow/internal/c_api/linux-x86_64-gpu/") != null
        || System.getProperty("java.class.path", "").contains("linux-x86_64-gpu");
    return gpuBuild
        ? "the GPU build of TensorFlow is present, but no CUDA 12 / cuDNN 9 libraries or no NVIDIA GPU were found"
        : "this build carries the CPU-only TensorFlow native library";
  }
}
