package io.mmfuse.runtime;

import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.api.proto.RuntimeSpec;

/**
 * How TensorFlow executes.
 *
 * @param device {@code cpu}, {@code gpu}, {@code gpu:N} or {@code auto}
 * @param intraOpThreads threads inside one op (0: TensorFlow's default); process-wide, the first session's wins
 * @param interOpThreads ops run at once (0: default)
 * @param gpuMemoryGrowth allocate GPU memory as needed instead of all at once
 * @param gpuMemoryFraction the fraction of GPU memory to use (0: default)
 * @param visibleDevices GPUs TensorFlow may use, e.g. {@code "0,1"} (empty: all)
 * @param xla XLA just-in-time compilation on (process-wide once switched on, see {@link TensorFlowRuntime})
 */
public record RuntimeOptions(String device, int intraOpThreads, int interOpThreads, boolean gpuMemoryGrowth,
    double gpuMemoryFraction, String visibleDevices, boolean xla) {

  public RuntimeOptions {
    if (!device.equals("cpu") && !device.equals("gpu") && !device.equals("auto") && !device.matches("gpu:\\d+")) {
      throw new InvalidConfigurationException("device '" + device + "': expected cpu, gpu, gpu:N or auto");
    }
    if (intraOpThreads < 0 || interOpThreads < 0 || gpuMemoryFraction < 0 || gpuMemoryFraction > 1) {
      throw new InvalidConfigurationException("runtime options: thread counts must be >= 0 and the GPU memory"
          + " fraction in [0, 1]; found intra " + intraOpThreads + ", inter " + interOpThreads + ", fraction "
          + gpuMemoryFraction);
    }
    if (!visibleDevices.matches("(\\d+(,\\d+)*)?")) {
      throw new InvalidConfigurationException("visible devices '" + visibleDevices
          + "': expected GPU indices separated by commas, such as 0,1");
    }
  }

  /** TensorFlow's defaults on the given device. */
  public static RuntimeOptions of(String device) {
    return new RuntimeOptions(device, 0, 0, true, 0, "", false);
  }

  /** The options a model spec's {@code runtime} asks for (an empty one: the CPU with TensorFlow's defaults). */
  public static RuntimeOptions fromSpec(RuntimeSpec r) {
    String device = r.getDevice().isEmpty() ? "cpu" : r.getDevice();
    return new RuntimeOptions(device, r.getIntraOpThreads(), r.getInterOpThreads(), r.getGpuMemoryFraction() == 0,
        r.getGpuMemoryFraction(), r.getVisibleDevices(), r.getXla());
  }

  /** These options as a spec's {@code runtime}. */
  public RuntimeSpec toSpec() {
    return RuntimeSpec.newBuilder().setDevice(device).setIntraOpThreads(intraOpThreads)
        .setInterOpThreads(interOpThreads).setXla(xla).setGpuMemoryFraction((float) gpuMemoryFraction)
        .setVisibleDevices(visibleDevices).build();
  }

  public RuntimeOptions withDevice(String d) {
    return new RuntimeOptions(d, intraOpThreads, interOpThreads, gpuMemoryGrowth, gpuMemoryFraction, visibleDevices,
        xla);
  }

  public RuntimeOptions withThreads(int intra, int inter) {
    return new RuntimeOptions(device, intra, inter, gpuMemoryGrowth, gpuMemoryFraction, visibleDevices, xla);
  }

  public RuntimeOptions withXla(boolean on) {
    return new RuntimeOptions(device, intraOpThreads, interOpThreads, gpuMemoryGrowth, gpuMemoryFraction,
        visibleDevices, on);
  }

  /** The GPU index asked for (0 for plain {@code gpu}), or -1 for cpu and auto. */
  public int gpuIndex() {
    if (device.startsWith("gpu:")) {
      return Integer.parseInt(device.substring(4));
    }
    return device.equals("gpu") ? 0 : -1;
  }
}
