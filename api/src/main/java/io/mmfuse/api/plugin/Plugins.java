package io.mmfuse.api.plugin;

import com.google.inject.CreationException;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Module;
import com.google.inject.ProvisionException;
import com.google.inject.Stage;
import com.google.inject.spi.Message;
import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.api.MmfuseException;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.stream.Stream;

/** Finds modality plugins with {@link ServiceLoader} and wires them with Guice. */
public final class Plugins {
  private Plugins() {}

  /** Returns the plugins visible to a class loader, in the order the loader lists them. */
  public static List<ModalityPlugin> discover(ClassLoader loader) {
    List<ModalityPlugin> plugins = new ArrayList<>();
    try {
      for (ModalityPlugin p : ServiceLoader.load(ModalityPlugin.class, loader)) {
        plugins.add(p);
      }
    } catch (ServiceConfigurationError e) {
      throw new InvalidConfigurationException("a modality plugin could not be loaded: " + e.getMessage(), e);
    }
    return plugins;
  }

  /**
   * Creates an injector with every plugin visible to the loader and the given extra modules, failing with the
   * registry's own error when two plugins claim one modality.
   */
  public static Injector createInjector(ClassLoader loader, Module... extra) {
    List<Module> modules = new ArrayList<>();
    for (ModalityPlugin p : discover(loader)) {
      modules.add(p.module());
      io.mmfuse.api.Specs.register(p.messageTypes());
    }
    modules.addAll(List.of(extra));
    modules.add(binder -> {
      // Declared here too, so that a class path with no modality plugin gives an empty registry, not a Guice error.
      ModalityPlugin.tokenizerFactories(binder);
      binder.bind(ModalityRegistry.class).asEagerSingleton();
    });
    try {
      return Guice.createInjector(Stage.PRODUCTION, modules);
    } catch (CreationException e) {
      throw unwrap(e.getErrorMessages(), e);
    } catch (ProvisionException e) {
      throw unwrap(e.getErrorMessages(), e);
    }
  }

  /** Returns the registry of every plugin visible to the loader. */
  public static ModalityRegistry load(ClassLoader loader) {
    return createInjector(loader).getInstance(ModalityRegistry.class);
  }

  /** Returns the registry of the plugins on this class's class path. */
  public static ModalityRegistry load() {
    return load(Plugins.class.getClassLoader());
  }

  /**
   * Opens a class loader over every {@code .jar} in a directory, delegating to {@code parent} first. Close it when
   * the plugins are no longer used.
   */
  public static URLClassLoader openPluginDirectory(Path dir, ClassLoader parent) {
    if (!Files.isDirectory(dir)) {
      throw new InvalidConfigurationException(
          "plugin directory " + dir + ": expected a directory of plugin jars, found "
              + (Files.exists(dir) ? "a file" : "nothing"));
    }
    List<URL> jars = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files.sorted()::iterator) {
        if (p.getFileName().toString().endsWith(".jar") && Files.isRegularFile(p)) {
          jars.add(p.toUri().toURL());
        }
      }
    } catch (MalformedURLException e) {
      throw new InvalidConfigurationException("plugin directory " + dir + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new InvalidConfigurationException("plugin directory " + dir + ": cannot be listed: " + e, e);
    }
    return new URLClassLoader("mmfuse-plugins", jars.toArray(new URL[0]), parent);
  }

  private static RuntimeException unwrap(Iterable<Message> messages, RuntimeException guiceError) {
    for (Message m : messages) {
      if (m.getCause() instanceof MmfuseException mm) {
        return mm;
      }
    }
    return new InvalidConfigurationException("modality plugins could not be wired: " + guiceError.getMessage(),
        guiceError);
  }
}
