package io.mmfuse.examples.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import io.mmfuse.api.Specs;
import io.mmfuse.api.plugin.ModalityRegistry;
import io.mmfuse.api.plugin.Plugins;
import io.mmfuse.api.proto.ModelSpec;
import io.mmfuse.examples.demo.DemoRun;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mmfuse demo}: the cross-modal task where only the fused model can beat chance. */
@Command(name = "demo", description = "Generate a task that needs image, question and table together; train the"
    + " fused model and one model per modality; compare them.")
final class DemoCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--out", paramLabel = "DIR", description = "Where results go (default demo-output).")
  Path out = Path.of("demo-output");

  @Option(names = "--examples", paramLabel = "N", description = "Examples to generate (default 8000).")
  int examples = 8000;

  @Option(names = "--seed", paramLabel = "N", description = "Seed of the data and of training (default 7).")
  long seed = 7;

  @Option(names = "--epochs", paramLabel = "N", description = "Epochs at most for the fused model (default 80).")
  int epochs = 80;

  @Override
  public Integer call() throws Exception {
    PrintWriter w = spec.commandLine().getOut();
    ModalityRegistry registry = Plugins.load(Main.class.getClassLoader());
    DemoRun.Summary s = new DemoRun(out, examples, seed, epochs, registry, w).run();
    w.println();
    w.println(s.table());
    w.printf("results in %s (summary.json, model/, training-curves.png, attention.png); %.0f s%n", out, s.seconds());
    w.flush();
    return 0;
  }
}
