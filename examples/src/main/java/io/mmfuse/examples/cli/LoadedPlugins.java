package io.mmfuse.examples.cli;

import io.mmfuse.api.plugin.ModalityRegistry;
import io.mmfuse.api.plugin.Plugins;
import java.io.IOException;
import java.net.URLClassLoader;
import java.nio.file.Path;

/** The modality registry of the built-in plugins plus those in a {@code --plugins} directory, open while in use. */
final class LoadedPlugins implements AutoCloseable {
  private final URLClassLoader loader;
  private final ModalityRegistry registry;

  LoadedPlugins(Path dir) {
    ClassLoader base = Main.class.getClassLoader();
    this.loader = dir == null ? null : Plugins.openPluginDirectory(dir, base);
    this.registry = Plugins.load(loader == null ? base : loader);
  }

  ModalityRegistry registry() {
    return registry;
  }

  @Override
  public void close() throws IOException {
    if (loader != null) {
      loader.close();
    }
  }
}
