package io.mmfuse.examples.cli;

import io.mmfuse.api.plugin.Plugins;
import io.mmfuse.examples.bench.Bench;
import io.mmfuse.fusion.internal.Checksums;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mmfuse bench}: throughput, FLOP utilization against the matmul peak, and prediction latency. */
@Command(name = "bench", description = "Measure matmul peak, encoder throughput and FLOP utilization, prediction"
    + " latency and preprocessing speed in one process; print a table and write JSON.")
final class BenchCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON.")
  Path json;

  @Option(names = "--quick", description = "mm-small only, shorter measurements (a few minutes).")
  boolean quick;

  @Option(names = "--profile", description = "Instead: where mm-small's forward pass and training step spend"
      + " their time, by op type, for each runtime variant, and where one prediction through a bundle does.")
  boolean profile;

  @Option(names = "--peers", description = "Also run the same encoder in ONNX Runtime and as TorchScript right"
      + " after (benchmarks/peers/run.sh, JMH, then rounds.sh, the three taking turns in one process; needs the"
      + " source tree, and PyTorch for /usr/bin/python3 the first time) and put them, with the ratios, in the JSON.")
  boolean peers;

  @Override
  public Integer call() throws Exception {
    io.mmfuse.examples.bench.Peers peerRun = null;
    if (peers && !profile) {
      peerRun = new io.mmfuse.examples.bench.Peers(Path.of(System.getProperty("mmfuse.home", ".")));
      peerRun.check();
    }
    Path work = Files.createTempDirectory("mmfuse-bench");
    try {
      if (profile) {
        Bench b = new Bench(true, Plugins.load(getClass().getClassLoader()), spec.commandLine().getOut(), work);
        for (int batch : new int[] {Bench.SMALL_BATCH, 1}) {
          Bench.VARIANTS.stream().filter(v -> Bench.bfloat16Runs()
              || v.precision() != io.mmfuse.api.proto.Precision.MIXED_BFLOAT16).forEach(v -> b.profile(v, batch));
        }
        b.profilePrediction();
        return 0;
      }
      var results = new Bench(quick, Plugins.load(getClass().getClassLoader()), spec.commandLine().getOut(), work)
          .run();
      if (peerRun != null) {
        results.add("peers", peerRun.run(quick, work, spec.commandLine().getOut()));
      }
      if (json != null) {
        io.mmfuse.api.internal.AtomicFiles.write(json,
            Bench.json(results).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
    } finally {
      Checksums.deleteTree(work);
    }
    return 0;
  }
}
