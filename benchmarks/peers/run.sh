#!/usr/bin/env bash
# mmfuse against ONNX Runtime and TorchScript on the same encoder (PeersBenchmark): writes both peers from one PyTorch
# module (needs Debian's python3-torch), then runs the JMH benchmark. Arguments go to JMH (e.g. -p batch=1).
#   benchmarks/peers/run.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$root/benchmarks/target/peers"
mkdir -p "$out"
grep -m1 'model name' /proc/cpuinfo
[[ -f "$out/encoder-b1.onnx" ]] || /usr/bin/python3 "$root/benchmarks/peers/export_peers.py" "$out"
(cd "$root" && mvn -B -q -DskipTests -pl benchmarks -am package)
exec "$root/benchmarks/run" PeersBenchmark -jvmArgsAppend "-Dmmfuse.peers=$out" "$@"
