package io.mmfuse.api;

import com.google.protobuf.TextFormat;
import io.mmfuse.api.internal.AtomicFiles;
import io.mmfuse.api.proto.BackboneSpec;
import io.mmfuse.api.proto.InputSpec;
import io.mmfuse.api.proto.ModelSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads, writes and checks model specs in protobuf text format. The modalities' settings messages are spelled out
 * in the text by their full names; the types known are those of the plugins on this class's class path and of every
 * plugin wired since ({@link io.mmfuse.api.plugin.Plugins}).
 */
public final class Specs {
  private Specs() {}

  private static final java.util.Map<String, com.google.protobuf.Descriptors.Descriptor> TYPES =
      new java.util.concurrent.ConcurrentHashMap<>();
  private static volatile boolean classPathScanned;

  /** Makes these settings types readable and printable in specs. */
  public static void register(java.util.Collection<com.google.protobuf.Descriptors.Descriptor> types) {
    types.forEach(d -> TYPES.put(d.getFullName(), d));
  }

  private static com.google.protobuf.TypeRegistry types() {
    if (!classPathScanned) {
      classPathScanned = true;
      try {
        for (io.mmfuse.api.plugin.ModalityPlugin p : io.mmfuse.api.plugin.Plugins.discover(Specs.class
            .getClassLoader())) {
          register(p.messageTypes());
        }
      } catch (InvalidConfigurationException e) {
        // A broken plugin is reported when the plugins are wired; the spec may not need it.
      }
    }
    return com.google.protobuf.TypeRegistry.newBuilder().add(TYPES.values()).build();
  }

  /** Parses a spec from text format; {@code source} names it in errors. */
  public static ModelSpec parse(String text, String source) {
    ModelSpec.Builder b = ModelSpec.newBuilder();
    try {
      TextFormat.Parser.newBuilder().setTypeRegistry(types()).build().merge(text, b);
    } catch (TextFormat.ParseException e) {
      throw new InvalidConfigurationException(
          "spec " + source + ": line " + e.getLine() + ", column " + e.getColumn() + ": " + e.getMessage(), e);
    }
    return b.build();
  }

  /** Reads a spec file in text format. */
  public static ModelSpec read(Path file) {
    String text;
    try {
      text = Limits.readText(file, m -> new InvalidConfigurationException("spec " + file + " " + m));
    } catch (IOException e) {
      throw new InvalidConfigurationException("spec " + file + ": cannot be read: " + e, e);
    }
    return parse(text, file.toString());
  }

  /** Returns a spec in text format. */
  public static String toText(ModelSpec spec) {
    return TextFormat.printer().usingTypeRegistry(types()).printToString(spec);
  }

  /** Writes a spec in text format, replacing the file only once the whole text is written. */
  public static void write(ModelSpec spec, Path file) {
    AtomicFiles.write(file, toText(spec).getBytes(StandardCharsets.UTF_8));
  }

  /** Returns every problem of a spec that can be seen without its plugins; empty when there is none. */
  public static List<String> problems(ModelSpec spec) {
    List<String> problems = new ArrayList<>();
    if (spec.getInputsCount() == 0) {
      problems.add("the spec has no inputs; expected at least one");
    }
    Set<String> names = new HashSet<>();
    for (int i = 0; i < spec.getInputsCount(); i++) {
      InputSpec in = spec.getInputs(i);
      if (in.getName().isEmpty()) {
        problems.add("inputs[" + i + "]: name is empty");
      } else if (!names.add(in.getName())) {
        problems.add("inputs[" + i + "]: name '" + in.getName() + "' is used twice");
      }
      if (in.getModality().isEmpty()) {
        problems.add("inputs[" + i + "] '" + in.getName() + "': modality is empty");
      }
    }
    if (spec.hasBackbone()) {
      BackboneSpec b = spec.getBackbone();
      if (b.getWidth() <= 0 || b.getLayers() < 0 || b.getHeads() <= 0 || b.getFfnWidth() <= 0) {
        problems.add(
            "backbone: width, heads and ffn_width must be > 0 and layers >= 0; found width " + b.getWidth()
                + ", layers " + b.getLayers() + ", heads " + b.getHeads() + ", ffn_width " + b.getFfnWidth());
      } else if (b.getWidth() % b.getHeads() != 0) {
        problems.add("backbone: width " + b.getWidth() + " is not divisible by heads " + b.getHeads());
      }
      if (b.getDropout() < 0 || b.getDropout() >= 1 || b.getAttentionDropout() < 0 || b.getAttentionDropout() >= 1) {
        problems.add("backbone: dropout rates must be in [0, 1)");
      }
    }
    if (spec.hasRuntime()) {
      io.mmfuse.api.proto.RuntimeSpec r = spec.getRuntime();
      if (!r.getDevice().isEmpty() && !r.getDevice().matches("cpu|gpu|gpu:\\d+|auto")) {
        problems.add("runtime: device '" + r.getDevice() + "': expected cpu, gpu, gpu:N or auto");
      }
      if (r.getIntraOpThreads() < 0 || r.getInterOpThreads() < 0) {
        problems.add("runtime: thread counts must be >= 0");
      }
      if (r.getGpuMemoryFraction() < 0 || r.getGpuMemoryFraction() > 1) {
        problems.add("runtime: gpu_memory_fraction must be in [0, 1]; found " + r.getGpuMemoryFraction());
      }
    }
    return problems;
  }

  /** Validates a spec that may leave out its inputs (data sets infer them) and its backbone (defaults apply). */
  public static ModelSpec validateLenient(ModelSpec spec) {
    List<String> problems = problems(spec);
    if (spec.getInputsCount() == 0) {
      problems.removeIf(p -> p.startsWith("the spec has no inputs"));
    }
    if (!problems.isEmpty()) {
      throw new InvalidConfigurationException(
          "spec has " + problems.size() + " problem(s):\n  " + String.join("\n  ", problems));
    }
    return spec;
  }

  /** Fails with every problem of the spec at once, or returns it unchanged. */
  public static ModelSpec validate(ModelSpec spec, String source) {
    List<String> problems = problems(spec);
    if (!problems.isEmpty()) {
      throw new InvalidConfigurationException(
          "spec " + source + " has " + problems.size() + " problem(s):\n  " + String.join("\n  ", problems));
    }
    return spec;
  }
}
