package io.mmfuse.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.ModalityTokenizer;
import io.mmfuse.api.TokenSequence;
import io.mmfuse.api.plugin.ModalityRegistry;
import io.mmfuse.api.plugin.Plugins;
import io.mmfuse.modality.image.ImageTokenizerFactory;
import io.mmfuse.modality.table.TableTokenizerFactory;
import io.mmfuse.modality.text.TextTokenizerFactory;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModalitiesCommandTest {

  @Test
  void theThreeBuiltInPluginsAreWiredThroughGuice() {
    ModalityRegistry registry = Plugins.load(getClass().getClassLoader());
    assertEquals(List.of("image", "table", "text"), List.copyOf(registry.names()));
    assertTrue(registry.factory("text") instanceof TextTokenizerFactory);
    assertTrue(registry.factory("image") instanceof ImageTokenizerFactory);
    assertTrue(registry.factory("table") instanceof TableTokenizerFactory);
  }

  @Test
  void listsTheBuiltInModalitiesWithTheirTokenizerClasses() {
    List<String> err = new ArrayList<>();
    String out = PluginJars.run(err, "modalities");
    assertEquals("0", err.get(1), err.get(0));
    List<String> lines = out.lines().toList();
    assertEquals(3, lines.size(), out);
    assertEquals("image\t" + new ImageTokenizerFactory().tokenizerType().getName(), lines.get(0));
    assertEquals("table\t" + new TableTokenizerFactory().tokenizerType().getName(), lines.get(1));
    assertEquals("text\t" + new TextTokenizerFactory().tokenizerType().getName(), lines.get(2));
  }

  @Test
  void discoversAPluginJarBuiltByAThirdParty(@TempDir Path dir) throws Exception {
    Path plugins = dir.resolve("plugins");
    PluginJars.build(
        dir, plugins.resolve("codepoints.jar"), "com.acme.cp.CodePointPlugin",
        PluginJars.codePointPlugin("com.acme.cp", "codepoints"));

    List<String> err = new ArrayList<>();
    String out = PluginJars.run(err, "modalities", "--plugins", plugins.toString());
    assertEquals("0", err.get(1), err.get(0));
    assertTrue(out.lines().toList().contains("codepoints\tcom.acme.cp.CodePointTokenizer"), out);
    assertEquals(4, out.lines().count(), out);

    // The plugin's tokenizer is usable through the registry, like a built-in one.
    try (URLClassLoader loader = Plugins.openPluginDirectory(plugins, getClass().getClassLoader())) {
      ModalityTokenizer<?> t =
          Plugins.load(loader)
              .tokenizer(
                  new io.mmfuse.api.TokenizerContext(
                      io.mmfuse.api.proto.InputSpec.newBuilder().setName("x").setModality("codepoints").build(),
                      dir));
      TokenSequence s = t.tokenizeObject("a\uD83D\uDE00");
      assertEquals(2, s.length());
      assertEquals(0x1F600, s.ids()[1]);
    }
  }

  @Test
  void aPluginClaimingABuiltInModalityFailsNamingBothClassesAndJars(@TempDir Path dir) throws Exception {
    Path plugins = dir.resolve("plugins");
    Path jar =
        PluginJars.build(
            dir, plugins.resolve("other-text.jar"), "com.acme.text.CodePointPlugin",
            PluginJars.codePointPlugin("com.acme.text", "text"));

    List<String> err = new ArrayList<>();
    String out = PluginJars.run(err, "modalities", "--plugins", plugins.toString());
    assertEquals("2", err.get(1));
    assertEquals("", out);
    String message = err.get(0);
    assertTrue(message.contains("modality 'text' is claimed by two plugins"), message);
    assertTrue(message.contains(TextTokenizerFactory.class.getName()), message);
    assertTrue(message.contains("com.acme.text.CodePointFactory"), message);
    assertTrue(message.contains(jar.toString()), message);
    assertTrue(message.contains(ModalityRegistry.origin(TextTokenizerFactory.class)), message);
    assertEquals(1, message.lines().count(), message);
  }

  @Test
  void aMissingPluginDirectoryIsAClearError(@TempDir Path dir) {
    List<String> err = new ArrayList<>();
    PluginJars.run(err, "modalities", "--plugins", dir.resolve("absent").toString());
    assertEquals("2", err.get(1));
    assertTrue(err.get(0).contains("expected a directory of plugin jars, found nothing"), err.get(0));
  }
}
