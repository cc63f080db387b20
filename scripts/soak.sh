#!/usr/bin/env bash
# A soak run (docs/reliability.md): trains a small image + text + table bundle on generated rows, then makes N
# predictions from 8 threads sharing one Predictor, one in ten with a bad input, under -Xmx512m; prints resident
# memory every tenth of the run and every error class counted.
#   scripts/soak.sh [N] [WORK_DIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-100000}"
work="${2:-/tmp/mmfuse-soak}"
source "$root/scripts/lib/icons-bundle.sh"
java -Xmx512m -cp "$cp" io.mmfuse.benchmarks.Soak "$work/model" "$work/icons/data.csv" "$n" 8
