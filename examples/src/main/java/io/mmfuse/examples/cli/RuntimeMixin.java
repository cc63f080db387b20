package io.mmfuse.examples.cli;

import io.mmfuse.api.proto.RuntimeSpec;
import io.mmfuse.runtime.RuntimeOptions;
import picocli.CommandLine.Option;

/**
 * The runtime options every command that runs a model takes. Each one given overrides the same setting of the
 * model spec's {@code runtime}; the others keep the spec's value.
 */
final class RuntimeMixin {
  @Option(names = "--device", paramLabel = "cpu|gpu|gpu:N|auto",
      description = "Where TensorFlow runs (default: the spec's, else cpu). gpu never falls back silently.")
  String device;

  @Option(names = "--threads", paramLabel = "N",
      description = "TensorFlow intra-op threads (default: one per core; predicting on the CPU, cores / 2, each half"
          + " of the tokens on a core of its own). Process-wide.")
  Integer threads;

  @Option(names = "--inter-op-threads", paramLabel = "N",
      description = "Ops run at once (default: TensorFlow's, at least 2 when predicting on the CPU).")
  Integer interOpThreads;

  @Option(names = "--xla", negatable = true, description = "XLA just-in-time compilation (default: the spec's, else off).")
  Boolean xla;

  /** Shows why {@code --device auto} chose the CPU, if it did: one line on the command's error stream. */
  static void warn(picocli.CommandLine.Model.CommandSpec spec, java.util.Optional<String> warning) {
    warning.ifPresent(w -> {
      spec.commandLine().getErr().println(w);
      spec.commandLine().getErr().flush();
    });
  }

  /** A bundle's runtime with the options given here laid over it (checksums are checked when it loads). */
  RuntimeOptions forBundle(java.nio.file.Path bundle) {
    return over(io.mmfuse.fusion.bundle.BundleReader.peekSpec(bundle).map(s -> s.getRuntime())
        .orElse(RuntimeSpec.getDefaultInstance()));
  }

  /** The spec's runtime with the options given here laid over it. */
  RuntimeOptions over(RuntimeSpec fromSpec) {
    RuntimeOptions o = RuntimeOptions.fromSpec(fromSpec);
    if (device != null) {
      o = o.withDevice(device);
    }
    if (threads != null || interOpThreads != null) {
      o = o.withThreads(threads != null ? threads : o.intraOpThreads(),
          interOpThreads != null ? interOpThreads : o.interOpThreads());
    }
    if (xla != null) {
      o = o.withXla(xla);
    }
    return o;
  }
}
