# Sourced by the mmfuse launcher: which TensorFlow CPU kernels mmfuse asks for, before the JVM starts.
#
# TensorFlow (Linux) runs oneDNN's kernels by default only on CPUs with AVX512_VNNI, AVX512_BF16, AVX_VNNI or AMX;
# elsewhere it runs its own Eigen kernels. On an AVX2-only x86 CPU (an AMD EPYC Zen 3 measured) oneDNN's were about a
# tenth faster, forward and in training (docs/performance.md). TensorFlow reads TF_ENABLE_ONEDNN_OPTS once, at its
# first use, so it has to be set before the JVM starts.

# Prints 1 (TF_ENABLE_ONEDNN_OPTS's value) when the CPU described by the cpuinfo file $1 is x86 with AVX2 and FMA
# but none of the features for which TensorFlow turns oneDNN on itself; nothing otherwise (those CPUs, older x86
# ones and ARM keep TensorFlow's default).
mmfuse_onednn_setting() {
  local flags f
  flags="$(grep -m1 '^flags[[:space:]]*:' "$1" 2>/dev/null || true)"
  flags=" ${flags#*:} "
  flags="${flags//$'\t'/ }"
  [[ "$flags" == *" avx2 "* && "$flags" == *" fma "* ]] || return 0
  for f in avx512_vnni avx512_bf16 avx_vnni amx_tile amx_int8 amx_bf16; do
    [[ "$flags" == *" $f "* ]] && return 0
  done
  echo 1
}

# Exports TF_ENABLE_ONEDNN_OPTS=1 on such a CPU unless the variable is already set (to anything: the user's choice).
mmfuse_choose_kernels() {
  local v
  [[ -n "${TF_ENABLE_ONEDNN_OPTS+x}" ]] && return 0
  v="$(mmfuse_onednn_setting "${1:-/proc/cpuinfo}")"
  [[ -n "$v" ]] && export TF_ENABLE_ONEDNN_OPTS="$v"
  return 0
}
