package io.mmfuse.api.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.inject.Guice;
import com.google.inject.Injector;
import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.api.ModalityTokenizer;
import io.mmfuse.api.TokenizerContext;
import io.mmfuse.api.TokenizerFactory;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ModalityRegistryTest {
  abstract static class NamedFactory implements TokenizerFactory {
    @Override
    public Class<?> tokenizerType() {
      return ModalityTokenizer.class;
    }

    @Override
    public ModalityTokenizer<?> create(TokenizerContext context) {
      throw new UnsupportedOperationException();
    }
  }

  static final class AudioFactory extends NamedFactory {
    @Override
    public String modality() {
      return "audio";
    }
  }

  static final class OtherAudioFactory extends NamedFactory {
    @Override
    public String modality() {
      return "audio";
    }
  }

  static final class VideoFactory extends NamedFactory {
    @Override
    public String modality() {
      return "video";
    }
  }

  @Test
  void factoriesFromSeveralModulesMeetInOneRegistry() {
    Injector injector =
        Guice.createInjector(
            b -> ModalityPlugin.tokenizerFactories(b).addBinding().to(VideoFactory.class),
            b -> ModalityPlugin.tokenizerFactories(b).addBinding().to(AudioFactory.class));
    ModalityRegistry registry = injector.getInstance(ModalityRegistry.class);
    assertEquals(List.of("audio", "video"), List.copyOf(registry.names()));
    assertTrue(registry.factory("video") instanceof VideoFactory);
  }

  @Test
  void twoFactoriesForOneModalityFailNamingBothClassesAndOrigins() {
    PluginConflictException e =
        assertThrows(
            PluginConflictException.class,
            () -> new ModalityRegistry(Set.of(new AudioFactory(), new OtherAudioFactory())));
    String m = e.getMessage();
    assertTrue(m.contains("modality 'audio' is claimed by two plugins"), m);
    assertTrue(m.contains(AudioFactory.class.getName()), m);
    assertTrue(m.contains(OtherAudioFactory.class.getName()), m);
    assertTrue(m.contains(ModalityRegistry.origin(AudioFactory.class)), m);
    assertEquals("MMF-PLUGIN-CONFLICT", e.errorId());
  }

  @Test
  void unknownModalityNamesTheKnownOnes() {
    ModalityRegistry registry = new ModalityRegistry(Set.of(new AudioFactory(), new VideoFactory()));
    InvalidConfigurationException e =
        assertThrows(InvalidConfigurationException.class, () -> registry.factory("smell"));
    assertTrue(e.getMessage().contains("unknown modality 'smell' (registered modalities: audio, video)"),
        e.getMessage());
  }

  @Test
  void aServiceThatForgotTheModalityModulesIsToldInOneLineWhichArtifactToAdd() {
    // A class loader that sees no plugin at all: an empty registry, not a Guice error.
    ModalityRegistry empty = Plugins.load(new ClassLoader(null) {});
    assertTrue(empty.names().isEmpty());
    UnknownModalityException e = assertThrows(UnknownModalityException.class, () -> empty.factory("image"));
    assertEquals("MMF-MODALITY-MISSING", e.errorId());
    assertEquals("[MMF-MODALITY-MISSING] unknown modality 'image' (registered modalities: none); add the dependency"
        + " io.mmfuse:mmfuse-modality-image to the class path", e.getMessage());
  }

  @Test
  void refusesAModalityNameThatIsNotLowerCase() {
    NamedFactory bad =
        new NamedFactory() {
          @Override
          public String modality() {
            return "Bad Name";
          }
        };
    assertThrows(InvalidConfigurationException.class, () -> new ModalityRegistry(Set.of(bad)));
  }
}
