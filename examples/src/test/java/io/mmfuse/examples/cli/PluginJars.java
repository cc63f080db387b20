package io.mmfuse.examples.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mmfuse.api.plugin.ModalityPlugin;
import io.mmfuse.api.plugin.ModalityRegistry;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/** Builds a plugin jar in a test, the way a third party would: sources compiled against the api jar only. */
final class PluginJars {
  private PluginJars() {}

  /** Compiles the sources (class name to source) and jars them with a service file listing {@code pluginClass}. */
  static Path build(Path workDir, Path jar, String pluginClass, Map<String, String> sources) throws IOException {
    return build(workDir, jar, pluginClass, sources, apiClassPath());
  }

  /**
   * As {@link #build}, compiled against fusion-core and TensorFlow Java as well: a plugin that adds a fusion
   * strategy.
   */
  static Path buildAgainstFusionCore(Path workDir, Path jar, String pluginClass, Map<String, String> sources)
      throws IOException {
    return build(workDir, jar, pluginClass, sources, String.join(File.pathSeparator, apiClassPath(),
        ModalityRegistry.origin(io.mmfuse.fusion.graph.FusionStrategy.class),
        ModalityRegistry.origin(org.tensorflow.op.Ops.class),
        ModalityRegistry.origin(org.tensorflow.ndarray.Shape.class),
        ModalityRegistry.origin(org.tensorflow.proto.DataType.class)));
  }

  private static Path build(Path workDir, Path jar, String pluginClass, Map<String, String> sources,
      String classPath) throws IOException {
    Path src = Files.createTempDirectory(workDir, "src");
    Path classes = Files.createTempDirectory(workDir, "classes");
    List<String> args = new ArrayList<>();
    args.addAll(List.of("-d", classes.toString(), "-classpath", classPath, "--release", "17"));
    for (Map.Entry<String, String> e : sources.entrySet()) {
      Path file = src.resolve(e.getKey().replace('.', '/') + ".java");
      Files.createDirectories(file.getParent());
      Files.writeString(file, e.getValue());
      args.add(file.toString());
    }
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    int rc = javac.run(null, null, null, args.toArray(new String[0]));
    assertTrue(rc == 0, "plugin sources did not compile");
    Path services = classes.resolve("META-INF/services/" + ModalityPlugin.class.getName());
    Files.createDirectories(services.getParent());
    Files.writeString(services, pluginClass + "\n");
    Files.createDirectories(jar.getParent());
    try (OutputStream fos = Files.newOutputStream(jar);
        JarOutputStream out = new JarOutputStream(fos);
        Stream<Path> files = Files.walk(classes)) {
      for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
        out.putNextEntry(new JarEntry(classes.relativize(p).toString().replace(File.separatorChar, '/')));
        out.write(Files.readAllBytes(p));
        out.closeEntry();
      }
    }
    return jar;
  }

  /** The api module and what its SPI exposes (Guice, jakarta.inject, protobuf): all a plugin compiles against. */
  private static String apiClassPath() {
    return String.join(
        File.pathSeparator,
        ModalityRegistry.origin(ModalityPlugin.class),
        ModalityRegistry.origin(com.google.inject.Module.class),
        ModalityRegistry.origin(jakarta.inject.Inject.class),
        ModalityRegistry.origin(com.google.protobuf.Message.class));
  }

  /** Source of a plugin whose tokenizer maps each code point of a string to one id. */
  static Map<String, String> codePointPlugin(String pkg, String modality) {
    String plugin =
        "package " + pkg + ";\n"
            + "public final class CodePointPlugin implements io.mmfuse.api.plugin.ModalityPlugin {\n"
            + "  public com.google.inject.Module module() {\n"
            + "    return b -> io.mmfuse.api.plugin.ModalityPlugin.tokenizerFactories(b).addBinding()\n"
            + "        .to(CodePointFactory.class);\n"
            + "  }\n"
            + "}\n";
    String factory =
        "package " + pkg + ";\n"
            + "import io.mmfuse.api.*;\n"
            + "public final class CodePointFactory implements TokenizerFactory {\n"
            + "  public String modality() { return \"" + modality + "\"; }\n"
            + "  public Class<?> tokenizerType() { return CodePointTokenizer.class; }\n"
            + "  public ModalityTokenizer<?> create(TokenizerContext c) { return new CodePointTokenizer(); }\n"
            + "}\n";
    String tokenizer =
        "package " + pkg + ";\n"
            + "import io.mmfuse.api.*;\n"
            + "public final class CodePointTokenizer implements ModalityTokenizer<String> {\n"
            + "  public String modality() { return \"" + modality + "\"; }\n"
            + "  public Class<String> inputType() { return String.class; }\n"
            + "  public TokenSpace tokenSpace() { return TokenSpace.discrete(modality(), 0x110000, 512, 0); }\n"
            + "  public TokenSequence tokenize(String s) {\n"
            + "    return TokenSequence.ofIds(modality(), s.codePoints().toArray());\n"
            + "  }\n"
            + "}\n";
    return Map.of(
        pkg + ".CodePointPlugin", plugin,
        pkg + ".CodePointFactory", factory,
        pkg + ".CodePointTokenizer", tokenizer);
  }

  static String run(List<String> errOut, String... args) {
    var out = new java.io.StringWriter();
    var err = new java.io.StringWriter();
    int code =
        Main.run(new java.io.PrintWriter(out), new java.io.PrintWriter(err), args);
    errOut.add(err.toString());
    errOut.add(Integer.toString(code));
    return out.toString();
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
