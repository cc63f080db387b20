#!/usr/bin/env bash
# Load figures for the model server (docs/serving.md): trains a small image + text + table bundle on generated rows,
# then measures requests/s and p50/p99 at 1, 8 and 64 clients, requests of 1 and 8 examples, in process, over gRPC
# and over HTTP/JSON on 127.0.0.1.
#   scripts/serve-load.sh [SECONDS_PER_POINT] [WORK_DIR] [OUT.json]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-8}"
work="${2:-/tmp/mmfuse-serve}"
out="${3:-$work/serve-load.json}"
source "$root/scripts/lib/icons-bundle.sh"
java -cp "$cp" io.mmfuse.benchmarks.ServingLoad bench "$work/model" "$work/icons/data.csv" "$seconds" "$out"
