package io.mmfuse.examples.cli;

import io.mmfuse.runtime.CApiDeviceLister;
import io.mmfuse.runtime.DeviceInfo;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code mmfuse devices}: every device TensorFlow sees, one per line: name, type, memory. */
@Command(name = "devices", description = "List the devices TensorFlow sees: NAME<TAB>TYPE<TAB>MEMORY_BYTES.")
final class DevicesCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    for (DeviceInfo d : new CApiDeviceLister(null).devices()) {
      out.println(d.name() + "\t" + d.type() + "\t" + d.memoryBytes());
    }
    io.mmfuse.runtime.CpuFeatures cpu = io.mmfuse.runtime.CpuFeatures.detect();
    io.mmfuse.runtime.PrecisionPolicy.Choice auto = io.mmfuse.runtime.PrecisionPolicy.choose(
        io.mmfuse.api.proto.Precision.AUTO, false, false);
    out.println("cpu\t" + cpu.describe());
    out.println("kernels\tTensorFlow's " + cpu.kernels() + kernelsNote(cpu, System.getenv("TF_ENABLE_ONEDNN_OPTS")));
    out.println("precision AUTO\t" + auto.used() + " (" + auto.reason() + ")");
    out.flush();
    return 0;
  }

  /**
   * What the kernels line adds to the kernels' name, with {@code TF_ENABLE_ONEDNN_OPTS} set to {@code setting}
   * (null: unset): how to turn oneDNN on where it is off, or that the variable overrode TensorFlow's default.
   */
  static String kernelsNote(io.mmfuse.runtime.CpuFeatures cpu, String setting) {
    boolean byDefault = cpu.oneDnnKernels(null);
    if (cpu.oneDnnKernels(setting) == byDefault) {
      return byDefault ? "" : " (oneDNN is off by default without AVX512_VNNI, AVX512_BF16, AVX_VNNI or AMX;"
          + " TF_ENABLE_ONEDNN_OPTS=1 turns it on, as ./mmfuse does on AVX2 CPUs)";
    }
    return " (TF_ENABLE_ONEDNN_OPTS=" + setting + "; TensorFlow's default here is "
        + (byDefault ? "oneDNN" : "Eigen") + ")";
  }
}
