package io.mmfuse.api.plugin;

import com.google.inject.Inject;
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

  @Inject
  public ModalityRegistry(Set<TokenizerFactory> factories) {
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

  /** Returns the factory of a modality, or fails naming the modalities that exist. */
  public TokenizerFactory factory(String modality) {
    TokenizerFactory f = factories.get(modality);
    if (f == null) {
      throw new InvalidConfigurationException(
          "unknown modality '" + modality + "'; registered modalities: " + String.join(", ", factories.keySet()));
    }
    return f;
  }

  /** Builds the tokenizer for one input of a spec. */
  public ModalityTokenizer<?> tokenizer(TokenizerContext context) {
    return factory(context.spec().getModality()).create(context);
  }
}
