#!/usr/bin/env bash
# A soak run (docs/reliability.md): trains a small image + text + table bundle on generated rows, then makes N
# predictions from 8 threads sharing one Predictor, one in ten with a bad input, under -Xmx512m; prints resident
# memory every tenth of the run and every error class counted.
#   scripts/soak.sh [N] [WORK_DIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-100000}"
work="${2:-/tmp/mmfuse-soak}"
cd "$root"
mvn -B -q -DskipTests -pl examples,benchmarks -am package
cp="$root/benchmarks/target/mmfuse-benchmarks-0.1.0-SNAPSHOT.jar:$(cat "$root/benchmarks/target/classpath.txt")"
export TF_CPP_MIN_LOG_LEVEL=2
grep -m1 'model name' /proc/cpuinfo
[[ -f "$work/icons/data.csv" ]] || java -cp "$cp" io.mmfuse.benchmarks.StreamingData "$work/icons" 1000 icons
[[ -d "$work/model" ]] || java -jar examples/target/mmfuse.jar train --data "$work/icons/data.csv" --label label \
  --out "$work/model" --epochs 1 2>&1 | tail -1
java -Xmx512m -cp "$cp" io.mmfuse.benchmarks.Soak "$work/model" "$work/icons/data.csv" "$n" 8
