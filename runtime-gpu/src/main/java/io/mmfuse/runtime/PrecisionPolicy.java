package io.mmfuse.runtime;

import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.api.proto.Precision;
import java.util.Optional;

/**
 * Which arithmetic a model trains in on this machine, from what the spec asks for and what the CPU can do
 * (docs/performance.md has the measurements behind it):
 *
 * <ul>
 *   <li>{@code FLOAT32}: float32.
 *   <li>{@code AUTO} (and unset): float32, on every CPU and GPU. Where the CPU has bfloat16 in hardware (AMX or
 *       AVX512_BF16), mixed bfloat16 trained mm-small 1.0x to 1.45x faster, but it cost accuracy: the demo's fused
 *       model reached 0.911 and 0.752 held-out (seeds 7 and 8) against 1.000 and 1.000 in float32. A speed-up of a
 *       few tens of percent is not worth a model that is wrong a quarter of the time, so bfloat16 is asked for, never
 *       chosen. With AVX2 only, bfloat16 also ran 5x slower.
 *   <li>{@code MIXED_BFLOAT16}: as asked on an x86 CPU with AMX or AVX512_BF16, and on a GPU; elsewhere float32 with
 *       one warning that says why, unless {@code force_precision} is set, when it runs as asked, with the warning.
 * </ul>
 *
 * oneDNN held below what the CPU has ({@code ONEDNN_MAX_CPU_ISA}) counts as that CPU: AMX and AVX512_BF16 above the
 * cap are not there. Held below AVX-512 on an AVX-512 CPU, bfloat16 cannot run at all (TensorFlow aborts, see {@link
 * CpuFeatures#bfloat16Runs()}): float32 then, and {@code force_precision} is refused.
 *
 * The choice depends on the machine, so it is recorded with the run (the bundle's manifest), never in the model: a
 * bundle's serving graph is float32 whatever it trained in.
 */
public final class PrecisionPolicy {
  private PrecisionPolicy() {}

  /**
   * What was chosen.
   *
   * @param asked the spec's precision ({@code AUTO} for unset)
   * @param used the precision the graph is built with
   * @param reason why, in a few words
   * @param warning a line to show the user when the choice differs from what was asked for, or is slow
   */
  public record Choice(Precision asked, Precision used, String reason, Optional<String> warning) {}

  /**
   * Whether mixed bfloat16 was measured faster than float32 on CPUs like {@code cpu}: x86 with AMX or AVX512_BF16.
   * There {@code MIXED_BFLOAT16} runs as asked; AUTO still trains in float32 (see the class comment).
   */
  public static boolean fastBfloat16(CpuFeatures cpu) {
    return cpu.amx() || cpu.avx512Bf16();
  }

  /**
   * The choice for a model placed on {@code gpu} or on this machine's CPU. {@code -Dmmfuse.autoPrecision=FLOAT32}
   * (or {@code MIXED_BFLOAT16}) makes AUTO that on this machine, whatever its CPU: to train every model of a run
   * that leaves its precision unset in bfloat16 (as the demo's measurement did) without editing the specs.
   */
  public static Choice choose(Precision asked, boolean force, boolean gpu) {
    String fixed = System.getProperty("mmfuse.autoPrecision", "").strip();
    boolean auto = asked == null || asked == Precision.PRECISION_UNSPECIFIED || asked == Precision.AUTO;
    if (auto && !fixed.isEmpty()) {
      if (!fixed.equals("FLOAT32") && !fixed.equals("MIXED_BFLOAT16")) {
        throw new InvalidConfigurationException("-Dmmfuse.autoPrecision=" + fixed + ": expected FLOAT32 or"
            + " MIXED_BFLOAT16");
      }
      if (fixed.equals("MIXED_BFLOAT16") && !gpu && !CpuFeatures.detect().bfloat16Runs()) {
        throw new InvalidConfigurationException("-Dmmfuse.autoPrecision=MIXED_BFLOAT16: oneDNN is held to "
            + CpuFeatures.detect().isaCap() + " (ONEDNN_MAX_CPU_ISA) on a CPU with AVX-512, where bfloat16 kernels"
            + " cannot be built and TensorFlow would abort the process");
      }
      return new Choice(Precision.AUTO, Precision.valueOf(fixed), "-Dmmfuse.autoPrecision=" + fixed,
          Optional.empty());
    }
    return choose(asked, force, gpu, CpuFeatures.detect());
  }

  /** The choice for a model placed on {@code gpu} or on the CPU {@code cpu}. */
  public static Choice choose(Precision asked, boolean force, boolean gpu, CpuFeatures cpu) {
    Precision a = asked == null || asked == Precision.PRECISION_UNSPECIFIED ? Precision.AUTO : asked;
    if (a == Precision.UNRECOGNIZED) {
      throw new InvalidConfigurationException("backbone precision: not one this version knows; expected AUTO,"
          + " FLOAT32 or MIXED_BFLOAT16");
    }
    if (a == Precision.FLOAT32) {
      return new Choice(a, Precision.FLOAT32, "asked for", Optional.empty());
    }
    if (gpu) {
      return a == Precision.AUTO
          ? new Choice(a, Precision.FLOAT32, "GPU: float32 (bfloat16 is not measured on GPUs)", Optional.empty())
          : new Choice(a, Precision.MIXED_BFLOAT16, "asked for, on a GPU", Optional.empty());
    }
    if (!cpu.bfloat16Runs()) {
      String held = "oneDNN is held to " + cpu.isaCap() + " (ONEDNN_MAX_CPU_ISA) on a CPU with AVX-512, so"
          + " TensorFlow would pick bfloat16 kernels that oneDNN cannot build, and abort the process";
      if (a == Precision.AUTO) {
        return new Choice(a, Precision.FLOAT32, "oneDNN held to " + cpu.isaCap() + ": no bfloat16 kernels",
            Optional.empty());
      }
      if (force) {
        throw new InvalidConfigurationException("backbone precision MIXED_BFLOAT16 with force_precision: " + held
            + "; unset ONEDNN_MAX_CPU_ISA (or set it to AVX512_CORE or above), or train in FLOAT32");
      }
      return new Choice(a, Precision.FLOAT32, "oneDNN held to " + cpu.isaCap() + ": MIXED_BFLOAT16 asked for,"
          + " float32 used", Optional.of("warning: precision MIXED_BFLOAT16 asked for, training in float32 instead: "
          + held));
    }
    if (fastBfloat16(cpu)) {
      String has = "the CPU has " + (cpu.amx() ? "AMX" : "AVX512_BF16");
      return a == Precision.AUTO
          ? new Choice(a, Precision.FLOAT32, has + ", but bfloat16 training lost accuracy; MIXED_BFLOAT16 asks for it",
              Optional.empty())
          : new Choice(a, Precision.MIXED_BFLOAT16, has + " (bfloat16 matrix products in hardware)", Optional.empty());
    }
    String why = (cpu.isaCap().isEmpty() ? "this CPU has neither AMX nor AVX512_BF16 ("
        : "oneDNN may use neither AMX nor AVX512_BF16 (") + cpu.describe() + "); without them mixed precision"
        + " trained 5x slower than float32 on an AVX2-only CPU";
    if (a == Precision.AUTO) {
      return new Choice(a, Precision.FLOAT32, "no AMX or AVX512_BF16", Optional.empty());
    }
    if (force) {
      return new Choice(a, Precision.MIXED_BFLOAT16, "forced (force_precision)", Optional.of("warning: precision"
          + " MIXED_BFLOAT16 is forced, but " + why + "; expect training to be slower than in float32"));
    }
    return new Choice(a, Precision.FLOAT32, "no AMX or AVX512_BF16: MIXED_BFLOAT16 asked for, float32 used",
        Optional.of(
        "warning: precision MIXED_BFLOAT16 asked for, training in float32 instead: " + why + ". Set"
            + " backbone.force_precision: true to train in bfloat16 anyway"));
  }
}
