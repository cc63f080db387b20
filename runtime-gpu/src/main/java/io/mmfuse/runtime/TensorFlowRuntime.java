package io.mmfuse.runtime;

import io.mmfuse.api.InvalidConfigurationException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.tensorflow.DeviceSpec;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.GPUOptions;
import org.tensorflow.proto.GraphOptions;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.OptimizerOptions;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TFloat32;

/**
 * The one place that decides how TensorFlow executes: the session configuration (threads, soft placement off, GPU
 * memory, visible devices, XLA) and the device the model is placed on. {@code gpu} never falls back to the CPU
 * silently: without a GPU it fails saying why and how to fix it, and before anything runs a probe op must have run on
 * the GPU; {@code auto} takes a GPU when that probe passes, and otherwise the CPU with one warning.
 *
 * <p>Placement is made by what the session sees, not only by pinning ops: on {@code cpu} the session sees no GPU,
 * on {@code gpu:N} it sees GPU N alone (as its GPU 0). So a graph built without device pins (a training graph, a
 * loaded SavedModel) runs where the options say, and a bundle trained on one device loads on another.
 *
 * <p>TensorFlow makes two of these settings process-wide: the intra-op thread count of the first session holds for
 * every later session (unless the environment has {@code TF_OVERRIDE_GLOBAL_THREADPOOL=1}, as {@code ./mmfuse} sets),
 * and XLA on the CPU needs a flag set before the first session runs ({@link #enableXla}); sessions whose options
 * leave XLA off still do not compile with it.
 */
public final class TensorFlowRuntime {
  static {
    // Before TensorFlow's native code loads: its INFO lines stay off standard error unless asked for.
    NativeLogging.quietByDefault();
  }

  private TensorFlowRuntime() {}

  /**
   * Fails, saying why and what to set, where TensorFlow Java could not name this JVM's graph nodes. It numbers them
   * ({@code Const_1}) with {@code String.format} in the default format locale, and in a locale whose digits are not
   * ASCII (Persian writes {@code Const_۱}) TensorFlow refuses every such name when a session first runs. Called
   * before mmfuse builds a graph; a library leaves the JVM's locale to the application, so it only says what to set.
   */
  public static void requireAsciiNodeNumbers() {
    java.util.Locale format = java.util.Locale.getDefault(java.util.Locale.Category.FORMAT);
    String ten = String.format("%d", 10);
    if (!ten.equals("10")) {
      throw new InvalidConfigurationException("this JVM's format locale (" + format.toLanguageTag() + ") writes 10"
          + " as " + ten + ", and TensorFlow Java numbers graph nodes in it, which TensorFlow then refuses (\"Node"
          + " name contains invalid characters\"). Run the JVM with -Duser.language.format=en, or call"
          + " Locale.setDefault(Locale.Category.FORMAT, Locale.ROOT) before building a model");
    }
  }

  /**
   * Where the model runs, with the session configuration to use.
   *
   * @param deviceType {@code CPU} or {@code GPU}
   * @param deviceIndex the device's index as the session sees it (to pin ops to)
   * @param config the session configuration
   * @param warning a line to show the user, if any (auto fell back to the CPU)
   */
  public record Placement(String deviceType, int deviceIndex, ConfigProto config, Optional<String> warning) {
    public boolean gpu() {
      return deviceType.equals("GPU");
    }

    /** The device to pin ops to. */
    public DeviceSpec deviceSpec() {
      return DeviceSpec.newBuilder().deviceType(gpu() ? DeviceSpec.DeviceType.GPU : DeviceSpec.DeviceType.CPU)
          .deviceIndex(deviceIndex).build();
    }
  }

  /** The session configuration the options ask for, before any placement restriction. */
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
      enableXla();
      b.setGraphOptions(GraphOptions.newBuilder().setOptimizerOptions(
          OptimizerOptions.newBuilder().setGlobalJitLevel(OptimizerOptions.GlobalJitLevel.ON_1)));
    }
    return b.build();
  }

  /**
   * The placement for a graph whose encoder runs each example's tokens in {@code parts} chains of ops side by side
   * (a graph built only to predict, on the CPU): where the options left both thread counts to TensorFlow, one chain
   * per inter-op thread ({@code max(parts, cores)} of them) and {@code max(1, cores / parts)} threads inside each op,
   * so that on a 2-core CPU each chain runs on a core of its own without splitting every small op across both. On a
   * 2-core EPYC one example's encoder ran 1.2x to 1.7x faster so than the whole sequence with TensorFlow's defaults,
   * and 1.05x to 1.3x faster than the same parts with TensorFlow's defaults (docs/performance.md). Thread
   * counts the user set stay; a GPU placement, or one part, is returned as it is.
   */
  public static Placement forSequenceParts(Placement placement, int parts) {
    if (placement.gpu()) {
      return placement;
    }
    return new Placement(placement.deviceType(), placement.deviceIndex(),
        forSequenceParts(placement.config(), parts), placement.warning());
  }

  /** As {@link #forSequenceParts(Placement, int)}, for a CPU session's configuration (null: TensorFlow's defaults). */
  public static ConfigProto forSequenceParts(ConfigProto config, int parts) {
    if (parts <= 1) {
      return config;
    }
    ConfigProto c = config == null ? ConfigProto.getDefaultInstance() : config;
    if (c.getIntraOpParallelismThreads() != 0 || c.getInterOpParallelismThreads() != 0) {
      return c;
    }
    int cores = Runtime.getRuntime().availableProcessors();
    return c.toBuilder().setIntraOpParallelismThreads(Math.max(1, cores / parts))
        .setInterOpParallelismThreads(Math.max(parts, cores)).build();
  }

  /**
   * Lets sessions of this process compile with XLA on the CPU: outside Python TensorFlow does so only with a
   * process-wide flag (TF_XLA_FLAGS's {@code --tf_xla_cpu_global_jit}), and it takes effect only when set before the
   * process's first session ran. {@link #sessionConfig} sets it when the options ask for XLA; a process that runs
   * sessions without XLA first and with XLA later (a benchmark) calls this at its start. Sessions whose options leave
   * XLA off still run uncompiled.
   */
  public static void enableXla() {
    org.tensorflow.internal.c_api.global.tensorflow.TF_SetTfXlaCpuGlobalJit((byte) 1);
  }

  /** Decides the placement with the devices TensorFlow itself lists (through the C API). */
  public static Placement place(RuntimeOptions o) {
    return place(o, new CApiDeviceLister(sessionConfig(o)));
  }

  /** Decides the placement, checking with {@code lister} that a requested GPU exists and with a probe that it runs. */
  public static Placement place(RuntimeOptions o, DeviceLister lister) {
    ConfigProto config = sessionConfig(o);
    ConfigProto cpuOnly = config.toBuilder().putDeviceCount("GPU", 0).build();
    if (o.device().equals("cpu")) {
      return new Placement("CPU", 0, cpuOnly, Optional.empty());
    }
    List<DeviceInfo> gpus = lister.devices().stream().filter(d -> d.type().equals("GPU")).toList();
    boolean auto = o.device().equals("auto");
    if (gpus.isEmpty()) {
      if (auto) {
        return new Placement("CPU", 0, cpuOnly, Optional.of(
            "mmfuse: warning: --device auto found no GPU (" + whyNoGpu() + "); running on the CPU"));
      }
      throw new InvalidConfigurationException("--device " + o.device() + ": TensorFlow sees no GPU: " + whyNoGpu()
          + ". " + HOW_TO_GPU);
    }
    int index = auto ? 0 : o.gpuIndex();
    if (index >= gpus.size()) {
      throw new InvalidConfigurationException("--device " + o.device() + ": TensorFlow sees " + gpus.size()
          + " GPU(s): " + gpus.stream().map(DeviceInfo::name).toList());
    }
    List<String> visible = new ArrayList<>();
    if (o.visibleDevices().isEmpty()) {
      for (int i = 0; i < gpus.size(); i++) {
        visible.add(Integer.toString(i));
      }
    } else {
      visible.addAll(List.of(o.visibleDevices().split(",")));
    }
    ConfigProto gpuConfig = config.toBuilder().setGpuOptions(config.getGpuOptions().toBuilder()
        .setVisibleDeviceList(visible.get(index))).build();
    Placement placement = new Placement("GPU", 0, gpuConfig, Optional.empty());
    try {
      probe(placement);
      return placement;
    } catch (InvalidConfigurationException e) {
      if (auto) {
        return new Placement("CPU", 0, cpuOnly, Optional.of("mmfuse: warning: --device auto: " + e.getMessage()
            + "; running on the CPU"));
      }
      throw e;
    }
  }

  /**
   * Runs a small matrix product pinned to the placement's device, with soft placement off and a full trace, and
   * returns the name of the device that ran it. Fails when it cannot be placed there or ran elsewhere.
   */
  public static String probe(Placement p) {
    requireAsciiNodeNumbers();
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g).withDevice(p.deviceSpec());
      // Fed, not constant: Grappler would fold a product of constants away before it ran anywhere.
      Operand<TFloat32> x = tf.withName("mmfuse_probe_input").placeholder(TFloat32.class);
      tf.withName("mmfuse_probe").linalg.matMul(x, x);
      try (Session s = new Session(g, p.config());
          TFloat32 in = TFloat32.tensorOf(org.tensorflow.ndarray.StdArrays.ndCopyOf(new float[][] {{1, 2}, {3, 4}}));
          Result r = s.runner().feed("mmfuse_probe_input", in).fetch("mmfuse_probe").setOptions(fullTrace())
              .runAndFetchMetadata()) {
        float v = ((TFloat32) r.get(0)).getFloat(0, 0);
        if (v != 7f) {
          throw new InvalidConfigurationException("the device probe on " + p.deviceType() + ":" + p.deviceIndex()
              + " computed " + v + " where 7 was expected");
        }
        String ran = devicesThatRan(r.getMetadata().orElseThrow(), "mmfuse_probe").stream().findFirst()
            .orElseThrow(() -> new InvalidConfigurationException("the device probe left no trace"));
        if (!ran.toUpperCase(java.util.Locale.ROOT).contains(p.deviceType() + ":" + p.deviceIndex())) {
          throw new InvalidConfigurationException("the device probe was to run on " + p.deviceType() + ":"
              + p.deviceIndex() + " but ran on " + ran);
        }
        return ran;
      }
    } catch (InvalidConfigurationException e) {
      throw e;
    } catch (RuntimeException e) {
      // TensorFlow's own exceptions (TFInvalidArgumentException: "Cannot assign a device ...").
      throw new InvalidConfigurationException("the device probe could not run on " + p.deviceType() + ":"
          + p.deviceIndex() + " (" + firstLine(e.getMessage()) + ")" + (p.gpu() ? ": " + whyNoGpu() + ". "
          + HOW_TO_GPU : ""), e);
    }
  }

  /** Run options that record where every op ran. */
  public static RunOptions fullTrace() {
    return RunOptions.newBuilder().setTraceLevel(RunOptions.TraceLevel.FULL_TRACE).build();
  }

  /** The devices on which the op named {@code node} ran in a traced step (empty if it did not run). */
  public static List<String> devicesThatRan(RunMetadata metadata, String node) {
    List<String> out = new ArrayList<>();
    for (DeviceStepStats d : metadata.getStepStats().getDevStatsList()) {
      for (NodeExecStats n : d.getNodeStatsList()) {
        if (n.getNodeName().equals(node)) {
          out.add(d.getDevice());
        }
      }
    }
    return out;
  }

  private static final String HOW_TO_GPU = "To run on a GPU: build with `mvn -Pgpu` (tensorflow-core-native"
      + " classifier linux-x86_64-gpu), on a machine with an NVIDIA GPU, CUDA 12.x and cuDNN 9 (TensorFlow 2.18 was"
      + " built for CUDA 12.5 and cuDNN 9.3); or use --device cpu or auto";

  private static String firstLine(String s) {
    if (s == null) {
      return "no message";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
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
