#!/usr/bin/env bash
# Measures mmfuse on Spark (docs/spark.md): rows per second of `mmfuse spark-predict --master local[2]` against
# `mmfuse predict` on the same N rows and bundle, then 1 against 2 executors of one core on a standalone cluster
# started here on 127.0.0.1. Each figure is the best of two runs, whole commands timed (JVM and Spark start included).
#   scripts/spark.sh [N] [WORK_DIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-20000}"
work="${2:-/tmp/mmfuse-spark-bench}"
cd "$root"
mvn -B -q -DskipTests -pl examples,benchmarks,spark -am package
cp="$root/benchmarks/target/mmfuse-benchmarks-0.1.0-SNAPSHOT.jar:$(cat "$root/benchmarks/target/classpath.txt")"
spark_cp="$root/spark/target/mmfuse-spark.jar:$root/spark/target/lib/*"
read -r -a spark_opts <"$root/spark/target/classes/io/mmfuse/spark/jvm-options.txt"
export TF_CPP_MIN_LOG_LEVEL=2 TF_OVERRIDE_GLOBAL_THREADPOOL=1
mkdir -p "$work"
grep -m1 'model name' /proc/cpuinfo
echo "cores: $(nproc); rows: $n"

d="$work/icons-$n"
if [[ ! -f "$d/data.csv" ]]; then
  java -cp "$cp" io.mmfuse.benchmarks.StreamingData "$d" "$n" icons
  # An id column in front (no record of this data set spans lines).
  awk 'NR == 1 { print "id," $0; next } { print "r" (NR - 1) "," $0 }' "$d/data.csv" >"$d/with-id.csv"
  mv "$d/with-id.csv" "$d/data.csv"
  head -2001 "$d/data.csv" >"$d/train.csv"
fi
cat >"$work/spec.textproto" <<'SPEC'
inputs { name: "image" modality: "image" settings { [mmfuse/mmfuse.image.ImageSettings] { resize_height: 64 resize_width: 64 patch_size: 16 } } }
inputs { name: "title" modality: "text" settings { [mmfuse/mmfuse.text.TextSettings] { max_length: 64 } } }
inputs { name: "table" modality: "table" }
backbone { width: 64 layers: 2 heads: 4 ffn_width: 128 fusion: "concat" }
SPEC
if [[ ! -d "$work/model" ]]; then
  java -jar examples/target/mmfuse.jar train --data "$d/train.csv" --label label --ignore id \
    --spec "$work/spec.textproto" --out "$work/model" --epochs 1 2>&1 | tail -1
fi

best() { # best of two wall times of a command, in seconds
  local b=""
  for _ in 1 2; do
    rm -rf "$work/out" "$work/out.jsonl"
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>"$work/last.err" || { cat "$work/last.err" >&2; exit 1; }
    t1=$(date +%s.%N)
    b=$(echo "$t0 $t1 $b" | awk '{ t = $2 - $1; if ($3 == "" || t < $3) print t; else print $3 }')
  done
  echo "$b"
}

# Whole commands at N rows, and the rows per second beyond the fixed start (JVM, Spark, the model's load): the
# difference between N rows and N/10 rows.
small="$d/small.csv"
head -$((n / 10 + 1)) "$d/data.csv" >"$small"
rate() { echo "$1 $2 $3" | awk '{ printf "%.0f", ($1 - $1 / 10) / ($3 - $2) }'; }
spark_predict() { # data, extra options...
  local f="$1"
  shift
  best java "${spark_opts[@]}" --add-modules jdk.incubator.vector -cp "$spark_cp" io.mmfuse.spark.SparkPredict \
    --model "$work/model" --data "$f" --id id --output "$work/out" --format jsonl "$@"
}
mmfuse_predict() {
  best java --add-modules jdk.incubator.vector -jar examples/target/mmfuse.jar predict --model "$work/model" \
    --input "$1" --output "$work/out.jsonl"
}
p_small=$(mmfuse_predict "$small")
p_all=$(mmfuse_predict "$d/data.csv")
s_small=$(spark_predict "$small" --master 'local[2]')
s_all=$(spark_predict "$d/data.csv" --master 'local[2]')
echo "mmfuse predict:                $p_all s for $n rows ($(echo "$n $p_all" | awk '{ printf "%.0f", $1 / $2 }') rows/s);" \
  "$p_small s for $((n / 10)); beyond the start: $(rate "$n" "$p_small" "$p_all") rows/s"
echo "mmfuse spark-predict local[2]: $s_all s for $n rows ($(echo "$n $s_all" | awk '{ printf "%.0f", $1 / $2 }') rows/s);" \
  "$s_small s for $((n / 10)); beyond the start: $(rate "$n" "$s_small" "$s_all") rows/s"
echo "spark-predict / predict, rows/s of whole commands: $(echo "$p_all $s_all" | awk '{ printf "%.2f", $1 / $2 }');" \
  "beyond the start: $(echo "$p_small $p_all $s_small $s_all" | awk '{ printf "%.2f", ($2 - $1) / ($4 - $3) }')"

echo "== standalone cluster on 127.0.0.1: workers of one core, executors of one core"
home="$work/spark-home"
mkdir -p "$home/jars"
pids=()
cleanup() { for p in "${pids[@]}"; do pkill -P "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
daemon() {
  SPARK_HOME="$home" SPARK_SCALA_VERSION=2.13 SPARK_LOCAL_IP=127.0.0.1 \
    java -Xmx512m "${spark_opts[@]}" -cp "$spark_cp" "$@" >>"$work/cluster.log" 2>&1 &
  pids+=($!)
}
port=17077
daemon org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$port" --webui-port 18080
sleep 5
for w in 0 1; do
  daemon org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores 1 --memory 3g --webui-port $((18081 + w)) \
    --work-dir "$work/worker$w" "spark://127.0.0.1:$port"
done
sleep 5
cluster() { # data, executors
  spark_predict "$1" --master "spark://127.0.0.1:$port" --partitions 8 --conf spark.driver.host=127.0.0.1 \
    --conf spark.executor.cores=1 --conf spark.cores.max="$2" --conf spark.executor.memory=2g \
    --conf "spark.executor.extraClassPath=$spark_cp" \
    --conf "spark.executor.extraJavaOptions=--add-modules jdk.incubator.vector" \
    --conf spark.executorEnv.TF_CPP_MIN_LOG_LEVEL=2
}
for e in 1 2; do
  c_small=$(cluster "$small" "$e")
  c_all=$(cluster "$d/data.csv" "$e")
  echo "$e executor(s): $c_all s for $n rows, $c_small s for $((n / 10)); beyond the start: $(rate "$n" "$c_small" "$c_all") rows/s"
  eval "rate$e=$(rate "$n" "$c_small" "$c_all")"
done
echo "2 / 1 executors, rows/s beyond the start: $(echo "$rate1 $rate2" | awk '{ printf "%.2f", $2 / $1 }')"
