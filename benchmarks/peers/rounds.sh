#!/usr/bin/env bash
# mmfuse, ONNX Runtime and TorchScript taking turns in one process (PeersRounds): a few seconds each, one after the
# other, round after round, so that a machine whose speed drifts moves all three alike. Needs the peers written by
# run.sh first. Writes each engine's p50 and mean per round to OUT.json.
#   benchmarks/peers/rounds.sh OUT.json [rounds] [seconds per turn]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$root/benchmarks/target/peers"
[[ $# -ge 1 ]] || { echo "usage: benchmarks/peers/rounds.sh OUT.json [rounds] [seconds per turn]" >&2; exit 2; }
[[ -f "$out/encoder-b1.onnx" ]] || { echo "benchmarks/peers/rounds.sh: run benchmarks/peers/run.sh first (it writes the peers)" >&2; exit 3; }
grep -m1 'model name' /proc/cpuinfo
# MMFUSE_PEERS_NO_BUILD=1 (mmfuse bench --peers, whose launcher built it): the module is built already.
[[ "${MMFUSE_PEERS_NO_BUILD:-}" == 1 ]] || (cd "$root" && mvn -B -q -DskipTests -pl benchmarks -am package)
cd "$root"
# Per-session TensorFlow threads, as ./mmfuse runs them.
export TF_OVERRIDE_GLOBAL_THREADPOOL="${TF_OVERRIDE_GLOBAL_THREADPOOL:-1}"
exec java -Dmmfuse.peers="$out" -cp "$root/benchmarks/target/mmfuse-benchmarks-0.1.0-SNAPSHOT.jar:$(cat "$root/benchmarks/target/classpath.txt")" \
  io.mmfuse.benchmarks.PeersRounds "$@"
