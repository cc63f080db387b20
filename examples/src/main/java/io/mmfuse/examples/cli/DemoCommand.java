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

  enum DemoTask {
    fusion,
    retrieval
  }

  @Option(names = "--task", paramLabel = "TASK", description = "fusion (the default: the generated task only the"
      + " fused model can solve) or retrieval (pictures and names of real emoji aligned: recall on unseen emoji,"
      + " zero-shot categories, retrieval.png).")
  DemoTask task = DemoTask.fusion;

  @Option(names = "--data", paramLabel = "DIR", description = "With --task retrieval: the emoji set (default"
      + " data/emoji).")
  Path data = Path.of("data/emoji");

  @Option(names = "--emoji", paramLabel = "N", description = "With --task retrieval: at most N emoji (default: all"
      + " 1,906).")
  int emoji;

  @Option(names = "--out", paramLabel = "DIR", description = "Where results go (default demo-output, or"
      + " demo-output/retrieval).")
  Path out;

  @Option(names = "--examples", paramLabel = "N", description = "Examples to generate (default 8000).")
  int examples = 8000;

  @Option(names = "--seed", paramLabel = "N", description = "Seed of the data and of training (default 7).")
  long seed = 7;

  @Option(names = "--epochs", paramLabel = "N", description = "Epochs at most (default 80; retrieval: 30).")
  Integer epochs;

  @Override
  public Integer call() throws Exception {
    PrintWriter w = spec.commandLine().getOut();
    ModalityRegistry registry = Plugins.load(Main.class.getClassLoader());
    if (task == DemoTask.retrieval) {
      Path dir = out != null ? out : Path.of("demo-output", "retrieval");
      if (!java.nio.file.Files.isRegularFile(data.resolve("emoji.csv"))) {
        throw new io.mmfuse.api.InvalidInputException("the retrieval demo reads the emoji set: " + data
            + "/emoji.csv is not there (run from the repository, or give --data DIR)");
      }
      io.mmfuse.examples.demo.RetrievalDemo.Summary r = new io.mmfuse.examples.demo.RetrievalDemo(data, dir, emoji,
          seed, epochs != null ? epochs : 30, registry, w).run();
      w.printf(java.util.Locale.ROOT, "results in %s (summary.json, model/, retrieval.png); %.0f s%n", dir, r.seconds());
      w.flush();
      return 0;
    }
    Path dir = out != null ? out : Path.of("demo-output");
    DemoRun.Summary s = new DemoRun(dir, examples, seed, epochs != null ? epochs : 80, registry, w).run();
    w.println();
    w.println(s.table());
    w.printf(java.util.Locale.ROOT, "results in %s (summary.json, model/, training-curves.png, attention.png); %.0f s%n", dir, s.seconds());
    w.flush();
    return 0;
  }
}
