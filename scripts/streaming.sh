#!/usr/bin/env bash
# Measures the streaming input pipeline (docs/streaming.md): peak resident memory of `mmfuse train --epochs 1` and
# `mmfuse predict` at N and 10N rows under -Xmx1g; the input alone, the model step alone and training with and
# without input workers on JPEG photographs; the token cache's epoch times; length buckets.
#   scripts/streaming.sh [N] [WORK_DIR] [THREADS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-4000}"
work="${2:-/tmp/mmfuse-streaming}"
threads="${3:-$(nproc)}"
cd "$root"
mvn -B -q -DskipTests -pl examples,benchmarks -am package
cp="$root/benchmarks/target/mmfuse-benchmarks-0.1.0-SNAPSHOT.jar:$(cat "$root/benchmarks/target/classpath.txt")"
export TF_CPP_MIN_LOG_LEVEL=2 TF_OVERRIDE_GLOBAL_THREADPOOL=1
run() { java --add-modules jdk.incubator.vector "$@" 2>&1 | { grep -v 'WARNING: Using incubator' || true; }; }
mkdir -p "$work"
grep -m1 'model name' /proc/cpuinfo
echo "cores: $(nproc); input threads: $threads"

for rows in "$n" "$((10 * n))"; do
  [[ -f "$work/icons-$rows/data.csv" ]] || run -cp "$cp" io.mmfuse.benchmarks.StreamingData "$work/icons-$rows" "$rows" icons
done
spec="$work/spec.textproto"
cat > "$spec" <<'SPEC'
inputs { name: "image" modality: "image" settings { [mmfuse/mmfuse.image.ImageSettings] { resize_height: 64 resize_width: 64 patch_size: 16 } } }
inputs { name: "title" modality: "text" settings { [mmfuse/mmfuse.text.TextSettings] { max_length: 64 } } }
inputs { name: "table" modality: "table" }
backbone { width: 32 layers: 1 heads: 2 ffn_width: 64 fusion: "late" }
SPEC

echo "== peak resident memory, -Xmx1g (three runs each; the heap's size is the collector's choice, so runs vary)"
for rep in 1 2 3; do
  for rows in "$n" "$((10 * n))"; do
    d="$work/icons-$rows"
    rm -rf "$d/model"
    /usr/bin/time -f "train   $rows rows: peak RSS %M KB, %e s" java -Xmx1g --add-modules jdk.incubator.vector \
      -jar examples/target/mmfuse.jar train --data "$d/data.csv" --label label --spec "$spec" --out "$d/model" \
      --epochs 1 --input-threads "$threads" 2>&1 | grep -E 'peak RSS|^epoch|rows,' || true
    /usr/bin/time -f "predict $rows rows: peak RSS %M KB, %e s" java -Xmx1g --add-modules jdk.incubator.vector \
      -jar examples/target/mmfuse.jar predict --model "$d/model" --input "$d/data.csv" \
      --output "$d/predictions.jsonl" --input-threads "$threads" 2>&1 | grep -E 'peak RSS' || true
  done
done

echo "== length buckets ($n icon rows, titles of 2 to 60 words)"
run -cp "$cp" io.mmfuse.benchmarks.StreamingBenchmark buckets "$work/icons-$n/data.csv" "$work/bench" "$threads"

[[ -f "$work/photos/data.csv" ]] || run -cp "$cp" io.mmfuse.benchmarks.StreamingData "$work/photos" "$n" photos
echo "== input against model ($n JPEG photographs, 320x240, decoded and resized to 64x64)"
run -cp "$cp" io.mmfuse.benchmarks.StreamingBenchmark throughput "$work/photos/data.csv" "$work/bench" "$threads"
if [[ "$threads" -ge 2 ]]; then
  echo "== the same with the cores split: one input thread, TensorFlow on the other cores"
  run -cp "$cp" io.mmfuse.benchmarks.StreamingBenchmark throughput "$work/photos/data.csv" "$work/bench" 1 \
    "$((threads - 1))"
fi
echo "== token cache"
rm -rf "$work/bench/token-cache"
run -cp "$cp" io.mmfuse.benchmarks.StreamingBenchmark cache "$work/photos/data.csv" "$work/bench" "$threads"
