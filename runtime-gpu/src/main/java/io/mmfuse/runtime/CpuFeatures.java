package io.mmfuse.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What this machine's CPU can do that decides how fast TensorFlow's kernels run: on x86, AVX2, AVX-512, AVX512_BF16
 * and AMX; on ARM, BF16. Read from {@code /proc/cpuinfo} on Linux (the kernel's flags, which also say what the
 * kernel has enabled); elsewhere nothing is known and every feature reads absent, so the choices that depend on them
 * fall back to float32.
 *
 * @param arch the JVM's {@code os.arch}
 * @param vendor e.g. {@code GenuineIntel}, {@code AuthenticAMD} (empty when unknown)
 * @param model the CPU's model name (empty when unknown)
 * @param cores processors available to the JVM
 * @param flags the kernel's feature flags, lower case
 * @param isaCap the instruction set oneDNN is held to ({@code ONEDNN_MAX_CPU_ISA}, or its older name {@code
 *     DNNL_MAX_CPU_ISA}), upper case; empty when oneDNN may use all the CPU has. TensorFlow's oneDNN kernels then
 *     do without what is above it: {@link #avx2()}, {@link #avx512()}, {@link #avx512Bf16()} and {@link #amx()}
 *     answer for those kernels, {@link #has} and {@link #summary()} for the CPU.
 */
public record CpuFeatures(String arch, String vendor, String model, int cores, Set<String> flags, String isaCap) {
  /** oneDNN's x86 instruction sets, lowest first, with the newer names beside the older ones they equal. */
  private static final List<List<String>> ISAS = List.of(List.of("SSE41"), List.of("AVX"), List.of("AVX2"),
      List.of("AVX2_VNNI"), List.of("AVX2_VNNI_2"), List.of("AVX512_CORE"), List.of("AVX512_CORE_VNNI"),
      List.of("AVX512_CORE_BF16"), List.of("AVX512_CORE_FP16", "AVX10_1_512"),
      List.of("AVX512_CORE_AMX", "AVX10_1_512_AMX"), List.of("AVX512_CORE_AMX_FP16", "AVX10_1_512_AMX_FP16"));

  /** Read once; declared after the tables the constructor reads. */
  private static final CpuFeatures DETECTED = read(Path.of("/proc/cpuinfo")).withIsaCap(isaCapFromEnvironment());

  /** The features that bear on speed, in the order {@link #summary()} lists them. */
  private static final List<String> RELEVANT = List.of("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16",
      "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8", "bf16", "sve", "asimd");

  /**
   * The x86 features for which TensorFlow turns its oneDNN kernels on by default on Linux (its {@code IsMklEnabled}:
   * AVX512_VNNI, AVX512_BF16, AVX_VNNI or AMX). Without any of them it runs its own Eigen kernels, unless
   * {@code TF_ENABLE_ONEDNN_OPTS} says otherwise.
   */
  private static final List<String> ONEDNN_BY_DEFAULT = List.of("avx512_vnni", "avx512_bf16", "avx_vnni",
      "amx_tile", "amx_int8", "amx_bf16");

  public CpuFeatures {
    flags = Collections.unmodifiableSet(new LinkedHashSet<>(flags));
    isaCap = isaCap == null ? "" : isaCap.strip().toUpperCase(Locale.ROOT);
    if (isaCap.equals("ALL") || isaCap.equals("DEFAULT") || (!isaCap.isEmpty() && rank(isaCap) < 0)) {
      // oneDNN's own words for no cap; a name it does not know, it ignores.
      isaCap = "";
    }
  }

  /** These features with oneDNN held to {@code cap} (empty or null: not held). */
  public CpuFeatures withIsaCap(String cap) {
    return new CpuFeatures(arch, vendor, model, cores, flags, cap);
  }

  /** What this process's environment holds oneDNN to, as oneDNN reads it: ONEDNN_MAX_CPU_ISA, else DNNL_. */
  static String isaCapFromEnvironment() {
    String cap = System.getenv("ONEDNN_MAX_CPU_ISA");
    return cap != null && !cap.isBlank() ? cap : System.getenv("DNNL_MAX_CPU_ISA");
  }

  private static int rank(String isa) {
    for (int i = 0; i < ISAS.size(); i++) {
      if (ISAS.get(i).contains(isa)) {
        return i;
      }
    }
    return -1;
  }

  /** Whether oneDNN may use {@code isa} (one of its names) under the cap. */
  private boolean allows(String isa) {
    return isaCap.isEmpty() || rank(isaCap) >= rank(isa);
  }

  /** This machine's CPU (read once). */
  public static CpuFeatures detect() {
    return DETECTED;
  }

  static CpuFeatures read(Path cpuinfo) {
    String arch = System.getProperty("os.arch", "");
    int cores = Runtime.getRuntime().availableProcessors();
    try {
      return parse(Files.readString(cpuinfo, StandardCharsets.UTF_8), arch, cores);
    } catch (IOException | RuntimeException e) {
      return new CpuFeatures(arch, "", "", cores, Set.of(), "");
    }
  }

  /** Reads the first processor's block of a {@code /proc/cpuinfo} text. */
  public static CpuFeatures parse(String cpuinfo, String arch, int cores) {
    String vendor = "";
    String model = "";
    Set<String> flags = new LinkedHashSet<>();
    for (String line : cpuinfo.split("\n")) {
      if (line.isBlank() && !flags.isEmpty()) {
        break;
      }
      int colon = line.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String key = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
      String value = line.substring(colon + 1).strip();
      switch (key) {
        case "vendor_id", "cpu implementer" -> vendor = vendor.isEmpty() ? value : vendor;
        case "model name" -> model = model.isEmpty() ? value : model;
        // x86 says "flags", ARM "features".
        case "flags", "features" -> {
          if (flags.isEmpty()) {
            flags.addAll(Arrays.asList(value.toLowerCase(Locale.ROOT).split("\\s+")));
          }
        }
        default -> { }
      }
    }
    return new CpuFeatures(arch, vendor, model, cores, flags, "");
  }

  public boolean has(String flag) {
    return flags.contains(flag);
  }

  /** AMX tiles with bfloat16 (Intel Sapphire Rapids and later), oneDNN allowed to use them. */
  public boolean amx() {
    return has("amx_tile") && has("amx_bf16") && allows("AVX512_CORE_AMX");
  }

  /** AVX-512 (its core subset, as oneDNN counts it), oneDNN allowed to use it. */
  public boolean avx512() {
    return has("avx512f") && allows("AVX512_CORE");
  }

  /**
   * AVX-512 bfloat16 dot products (Cooper Lake, AMD Zen 4 and later), oneDNN allowed to use them; slower than AMX,
   * faster than emulation.
   */
  public boolean avx512Bf16() {
    return has("avx512_bf16") && allows("AVX512_CORE_BF16");
  }

  public boolean avx2() {
    return has("avx2") && allows("AVX2");
  }

  /**
   * Whether bfloat16 matrix products can run at all. TensorFlow picks oneDNN's bfloat16 kernels from the CPU's own
   * AVX-512 flag; with oneDNN held below AVX-512 on such a CPU, oneDNN cannot build them and the process aborts
   * ("could not create a primitive descriptor for a matmul primitive", measured on AMD Zen 4 with
   * ONEDNN_MAX_CPU_ISA=AVX2). Without AVX-512, TensorFlow takes its own (slow) kernels instead.
   */
  public boolean bfloat16Runs() {
    return !has("avx512f") || allows("AVX512_CORE");
  }

  /** Any bfloat16 arithmetic in hardware: AMX, AVX512_BF16 or ARM's BF16. */
  public boolean nativeBfloat16() {
    return amx() || avx512Bf16() || has("bf16");
  }

  /**
   * Whether TensorFlow runs its oneDNN kernels ({@code _MklNativeFusedMatMul}, ...) in this process rather than its
   * own Eigen ones: {@code TF_ENABLE_ONEDNN_OPTS} when it is set, else TensorFlow's default for this CPU. On ARM,
   * TensorFlow also turns oneDNN on for Neoverse V1, which the kernel's feature flags do not tell apart (the CPU part
   * number would), so there this answers false unless the variable is set.
   */
  public boolean oneDnnKernels() {
    return oneDnnKernels(System.getenv("TF_ENABLE_ONEDNN_OPTS"));
  }

  /**
   * {@link #oneDnnKernels()} with {@code TF_ENABLE_ONEDNN_OPTS} set to {@code setting} (null: not set). TensorFlow
   * reads {@code 0}, {@code 1}, {@code false} and {@code true} (any case, nothing around them) and keeps its
   * default for anything else.
   */
  public boolean oneDnnKernels(String setting) {
    String v = setting == null ? "" : setting.toLowerCase(Locale.ROOT);
    if (v.equals("1") || v.equals("true")) {
      return true;
    }
    if (v.equals("0") || v.equals("false")) {
      return false;
    }
    return ONEDNN_BY_DEFAULT.stream().anyMatch(this::has);
  }

  /** {@code oneDNN} or {@code Eigen}: whose kernels TensorFlow runs here ({@link #oneDnnKernels()}). */
  public String kernels() {
    return oneDnnKernels() ? "oneDNN" : "Eigen";
  }

  /** The features present that bear on speed, e.g. {@code [avx2, fma, avx512f, avx512_bf16]}. */
  public List<String> summary() {
    List<String> out = new ArrayList<>();
    for (String f : RELEVANT) {
      if (has(f)) {
        out.add(f);
      }
    }
    return out;
  }

  /** One line: "AMD EPYC (AuthenticAMD, amd64, 2 cores): avx2 fma avx512f avx512_bf16; no AMX". */
  public String describe() {
    String name = model.isEmpty() ? "unknown CPU" : model;
    String features = flags.isEmpty() ? "features unknown" : summary().isEmpty() ? "none of AVX2, AVX-512, AMX"
        : String.join(" ", summary());
    String amx = flags.isEmpty() || has("amx_tile") && has("amx_bf16") ? "" : "; no AMX";
    String cap = isaCap.isEmpty() ? "" : "; oneDNN held to " + isaCap + " (ONEDNN_MAX_CPU_ISA)";
    return name + " (" + (vendor.isEmpty() ? "" : vendor + ", ") + arch + ", " + cores + " cores): " + features + amx
        + cap;
  }
}
