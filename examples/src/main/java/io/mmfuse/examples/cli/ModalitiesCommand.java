package io.mmfuse.examples.cli;

import io.mmfuse.api.TokenizerFactory;
import io.mmfuse.api.plugin.ModalityRegistry;
import io.mmfuse.api.plugin.Plugins;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mmfuse modalities}: one line per registered modality, its name and its tokenizer class. */
@Command(name = "modalities", description = "List the registered modalities: NAME<TAB>tokenizer class.")
final class ModalitiesCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--plugins", paramLabel = "DIR", description = "Also load the plugin jars in DIR.")
  Path pluginDir;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    ClassLoader base = Main.class.getClassLoader();
    if (pluginDir == null) {
      print(Plugins.load(base), out);
      return 0;
    }
    try (URLClassLoader loader = Plugins.openPluginDirectory(pluginDir, base)) {
      print(Plugins.load(loader), out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return 0;
  }

  private static void print(ModalityRegistry registry, PrintWriter out) {
    for (Map.Entry<String, TokenizerFactory> e : registry.factories().entrySet()) {
      out.println(e.getKey() + "\t" + e.getValue().tokenizerType().getName());
    }
    out.flush();
  }
}
