package io.mmfuse.api.plugin;

import com.google.inject.Inject;
import com.google.inject.Injector;
import com.google.inject.Singleton;
import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.api.ModalityTokenizer;
import io.mmfuse.api.TokenizerContext;
import io.mmfuse.api.TokenizerFactory;
import java.security.CodeSource;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The modalities known to this process: one tokenizer factory per modality name, gathered from every plugin's
 * Guice module. Two factories claiming one name are refused when the registry is built.
 */
@Singleton
public final class ModalityRegistry {
  private final Map<String, TokenizerFactory> factories;
  private final Injector injector;

  /** A registry of these factories, with no other extensions (a test's, or an embedder's that wires by hand). */
  public ModalityRegistry(Set<TokenizerFactory> factories) {
    this(factories, null);
  }

  /** The registry of an injector's plugins; the injector also provides other plugin extensions. */
  @Inject
  public ModalityRegistry(Set<TokenizerFactory> factories, Injector injector) {
    this.injector = injector;
    Map<String, TokenizerFactory> byName = new TreeMap<>();
    for (TokenizerFactory f : factories) {
      String name = f.modality();
      if (name == null || !name.matches("[a-z][a-z0-9_-]*")) {
        throw new InvalidConfigurationException(
            "tokenizer factory " + describe(f) + " claims modality name '" + name
                + "'; expected lower-case letters, digits, '_' or '-', starting with a letter");
      }
      TokenizerFactory earlier = byName.putIfAbsent(name, f);
      if (earlier != null) {
        throw new PluginConflictException(
            "modality '" + name + "' is claimed by two plugins: " + describe(earlier) + " and " + describe(f)
                + "; remove one of the jars from the class path or plugin directory");
      }
    }
    this.factories = Collections.unmodifiableMap(byName);
  }

  /**
   * An extension that the plugins' modules provide besides tokenizer factories (fusion-core's fusion strategies, for
   * one), or empty when this registry was not wired by Guice or nothing binds the type.
   */
  public <T> java.util.Optional<T> extension(Class<T> type) {
    if (injector == null) {
      return java.util.Optional.empty();
    }
    try {
      return java.util.Optional.of(injector.getInstance(type));
    } catch (com.google.inject.ConfigurationException e) {
      return java.util.Optional.empty();
    } catch (com.google.inject.ProvisionException e) {
      for (com.google.inject.spi.Message m : e.getErrorMessages()) {
        if (m.getCause() instanceof io.mmfuse.api.MmfuseException mm) {
          throw mm;
        }
      }
      throw new InvalidConfigurationException("plugin extension " + type.getName() + " could not be created: "
          + e.getMessage(), e);
    }
  }

  /** Names the factory's class and the jar or directory it was loaded from. */
  static String describe(TokenizerFactory f) {
    return f.getClass().getName() + " (from " + origin(f.getClass()) + ")";
  }

  /** Returns where a class was loaded from: a jar file, a class directory, or "unknown origin". */
  public static String origin(Class<?> type) {
    CodeSource source = type.getProtectionDomain().getCodeSource();
    if (source == null || source.getLocation() == null) {
      return "unknown origin";
    }
    try {
      return java.nio.file.Path.of(source.getLocation().toURI()).toString();
    } catch (Exception e) {
      return source.getLocation().toString();
    }
  }

  /** Returns the registered modality names, sorted. */
  public Set<String> names() {
    return factories.keySet();
  }

  /** Returns the factories by modality name, sorted by name. */
  public Map<String, TokenizerFactory> factories() {
    return factories;
  }

  /** The artifacts of the modalities mmfuse ships, by modality name. */
  private static final Map<String, String> BUILT_IN = Map.of(
      "text", "io.mmfuse:mmfuse-modality-text", "image", "io.mmfuse:mmfuse-modality-image",
      "table", "io.mmfuse:mmfuse-modality-table");

  /**
   * Returns the factory of a modality, or fails in one line naming the modalities that exist and, for a modality
   * mmfuse ships, the artifact to add.
   */
  public TokenizerFactory factory(String modality) {
    TokenizerFactory f = factories.get(modality);
    if (f == null) {
      String known = factories.isEmpty() ? "none" : String.join(", ", factories.keySet());
      String artifact = BUILT_IN.get(modality);
      throw new UnknownModalityException("unknown modality '" + modality + "' (registered modalities: " + known + ")"
          + (artifact != null ? "; add the dependency " + artifact + " to the class path"
              : "; add the jar of the plugin that provides it to the class path or plugin directory"));
    }
    return f;
  }

  /** Builds the tokenizer for one input of a spec. */
  public ModalityTokenizer<?> tokenizer(TokenizerContext context) {
    return factory(context.spec().getModality()).create(context);
  }
}
