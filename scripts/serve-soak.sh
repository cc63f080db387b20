#!/usr/bin/env bash
# A soak run of the model server (docs/serving.md): `mmfuse serve` in its own JVM (-Xmx512m) with a small image +
# text + table bundle, a steady gRPC load of CLIENTS closed-loop clients for SECONDS, the server's resident memory
# every 10 s; ends with the answers and errors counted. SERVE_ARGS adds options to `mmfuse serve` (an overload run:
# SERVE_ARGS="--queue 8 --max-batch 4" scripts/serve-soak.sh 120 64).
#   scripts/serve-soak.sh [SECONDS] [CLIENTS] [WORK_DIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-600}"
clients="${2:-8}"
work="${3:-/tmp/mmfuse-serve}"
source "$root/scripts/lib/icons-bundle.sh"
rm -f "$work/ports.json"
java -Xmx512m -jar examples/target/mmfuse.jar serve --model "m=$work/model" --port 0 --http-port -1 \
  --port-file "$work/ports.json" ${SERVE_ARGS:-} 2>"$work/serve.err" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 600); do [[ -f "$work/ports.json" ]] && break; sleep 0.1; done
port="$(sed 's/.*"grpc": \([0-9]*\).*/\1/' "$work/ports.json")"
java -Dmmfuse.soak.bundle="$work/model" -cp "$cp" io.mmfuse.benchmarks.ServingLoad soak "$port" "$server" \
  "$work/icons/data.csv" "$seconds" "$clients" "$work/serve-soak.csv"
kill -TERM $server
wait $server || true
tail -3 "$work/serve.err"
