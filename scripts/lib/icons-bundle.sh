# Sourced by the soak and serving scripts, with $root and $work set: builds the command line and the benchmarks,
# sets $cp to the benchmarks' class path, and makes (once per work directory) 1,000 generated icon rows (image +
# text + table) in $work/icons and a small bundle trained on them for one epoch in $work/model.
cd "$root"
mvn -B -q -DskipTests -pl examples,benchmarks -am package
cp="$root/benchmarks/target/mmfuse-benchmarks-0.1.0-SNAPSHOT.jar:$(cat "$root/benchmarks/target/classpath.txt")"
export TF_CPP_MIN_LOG_LEVEL=2
grep -m1 'model name' /proc/cpuinfo
[[ -f "$work/icons/data.csv" ]] || java -cp "$cp" io.mmfuse.benchmarks.StreamingData "$work/icons" 1000 icons
[[ -d "$work/model" ]] || java -jar examples/target/mmfuse.jar train --data "$work/icons/data.csv" --label label \
  --out "$work/model" --epochs 1 2>&1 | tail -1
