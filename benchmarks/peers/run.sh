#!/usr/bin/env bash
# mmfuse against ONNX Runtime and TorchScript on the same encoder (PeersBenchmark): writes both peers from one PyTorch
# module (needs Debian's python3-torch), then runs the JMH benchmark. Arguments go to JMH (e.g. -p batch=1).
#   benchmarks/peers/run.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$root/benchmarks/target/peers"
mkdir -p "$out"
grep -m1 'model name' /proc/cpuinfo
if [[ ! -f "$out/encoder-b1.onnx" ]] && ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "benchmarks/peers/run.sh: exporting the peers needs PyTorch for /usr/bin/python3 (Debian: apt-get install python3-torch)" >&2
  exit 3
fi
[[ -f "$out/encoder-b1.onnx" ]] || /usr/bin/python3 "$root/benchmarks/peers/export_peers.py" "$out"
# MMFUSE_PEERS_NO_BUILD=1 (mmfuse bench --peers, whose launcher built it): the module is built already.
[[ "${MMFUSE_PEERS_NO_BUILD:-}" == 1 ]] || (cd "$root" && mvn -B -q -DskipTests -pl benchmarks -am package)
exec "$root/benchmarks/run" PeersBenchmark -jvmArgsAppend "-Dmmfuse.peers=$out" "$@"
