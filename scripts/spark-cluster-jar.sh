#!/usr/bin/env bash
# Builds spark/target/mmfuse-spark-cluster.jar (the cluster-jar profile: protobuf, Guava and Gson relocated) and
# checks what it is for (docs/spark.md): with a Spark distribution's older protobuf-java and Guava first on the class
# path, spark-predict fails with the plain jars and works with the cluster jar.
#   scripts/spark-cluster-jar.sh BUNDLE DATA.csv ID_COLUMN
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bundle="$1" data="$2" id="$3"
cd "$root"
mvn -B -q -Pcluster-jar -DskipTests -pl spark -am package
mvn -B -q dependency:get -Dartifact=com.google.protobuf:protobuf-java:3.23.4
mvn -B -q dependency:get -Dartifact=com.google.guava:guava:14.0.1
repo="${MAVEN_REPO:-$HOME/.m2/repository}"
old="$repo/com/google/protobuf/protobuf-java/3.23.4/protobuf-java-3.23.4.jar:$repo/com/google/guava/guava/14.0.1/guava-14.0.1.jar"
for j in ${old//:/ }; do [[ -f "$j" ]] || { echo "missing $j (set MAVEN_REPO to the local repository)" >&2; exit 1; }; done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd spark && mvn -B -q dependency:list -DoutputFile="$work/deps.txt" -DoutputAbsoluteArtifactFilename=true)
spark="$(grep ':provided' "$work/deps.txt" | grep -o '/[^ ]*\.jar' | tr '\n' ':')"
(cd spark && mvn -B -q dependency:build-classpath -Dmdep.includeScope=runtime -Dmdep.outputFile="$work/cp.txt")
read -r -a opts <spark/target/classes/io/mmfuse/spark/jvm-options.txt
export TF_CPP_MIN_LOG_LEVEL=2
try() { # label, jars
  if java "${opts[@]}" -cp "$old:$spark$2" io.mmfuse.spark.SparkPredict --master 'local[2]' --model "$bundle" \
      --data "$data" --id "$id" --output "$work/out-$1" >"$work/$1.log" 2>&1; then
    echo "$1: scored ($(tail -1 "$work/$1.log"))"
  else
    echo "$1: failed: $(grep -m1 -E 'Error|Exception' "$work/$1.log")"
  fi
}
try plain-jars "spark/target/mmfuse-spark.jar:$(cat "$work/cp.txt")"
try cluster-jar spark/target/mmfuse-spark-cluster.jar
