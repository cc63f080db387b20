#!/usr/bin/env bash
# Where one forward pass of the peers' encoder spends its time in ONNX Runtime (its own profiler) and in mmfuse
# (TensorFlow's trace), op type by op type (PeersProfile). Needs the peers written by run.sh first.
#   benchmarks/peers/profile.sh [batch] [runs]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$root/benchmarks/target/peers"
[[ -f "$out/encoder-b1.onnx" ]] || { echo "benchmarks/peers/profile.sh: run benchmarks/peers/run.sh first (it writes the peers)" >&2; exit 3; }
grep -m1 'model name' /proc/cpuinfo
# MMFUSE_PEERS_NO_BUILD=1 (mmfuse bench --peers, whose launcher built it): the module is built already.
[[ "${MMFUSE_PEERS_NO_BUILD:-}" == 1 ]] || (cd "$root" && mvn -B -q -DskipTests -pl benchmarks -am package)
cd "$root"
exec java -Dmmfuse.peers="$out" -cp "$root/benchmarks/target/mmfuse-benchmarks-0.1.0-SNAPSHOT.jar:$(cat "$root/benchmarks/target/classpath.txt")" \
  io.mmfuse.benchmarks.PeersProfile "$@"
