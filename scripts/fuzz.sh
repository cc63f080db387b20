#!/usr/bin/env bash
# Fuzzes every parser target for a while (docs/reliability.md): Jazzer's coverage-guided fuzzing, one target at a
# time, each for MINUTES. Findings (a crash, an exception other than mmfuse's refusal, a timeout) are written by
# Jazzer into the target's Inputs directory under src/test/resources, where the build then replays them as
# regression inputs: commit them with the fix.
#   scripts/fuzz.sh [MINUTES]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
minutes="${1:-5}"
cd "$root"
mvn -B -q -DskipTests install
grep -m1 'model name' /proc/cpuinfo
targets=(
  "modality-image io.mmfuse.modality.image.ImageDecoderFuzzTest#decodes"
  "api io.mmfuse.api.ParsersFuzzTest#safetensors"
  "api io.mmfuse.api.ParsersFuzzTest#specText"
  "api io.mmfuse.api.ParsersFuzzTest#records"
  "modality-text io.mmfuse.modality.text.TextParsersFuzzTest#tokenizerJson"
  "modality-text io.mmfuse.modality.text.TextParsersFuzzTest#vocabTxt"
  "examples io.mmfuse.examples.train.DataFilesFuzzTest#csvAndJsonl"
)
# Coverage of mmfuse's own classes wherever they come from (a module's target/classes, or another module's jar in the
# local repository), and of the parsers it builds on (Gson, Commons CSV, protobuf), whose branches guide the
# mutations into well-formed input.
export JAZZER_INSTRUMENT="io.mmfuse.**,com.google.gson.**,org.apache.commons.csv.**,com.google.protobuf.**"
for t in "${targets[@]}"; do
  read -r module test <<<"$t"
  echo "== $test, $minutes min"
  log="$(mktemp)"
  # The run is stopped after MINUTES (the tests' own maxDuration is longer); a finding ends it sooner, non-zero.
  code=0
  marker="$(mktemp)"
  JAZZER_FUZZ=1 timeout "$((minutes * 60))" mvn -B -o test -pl "$module" -Dtest="$test" \
    -Dsurefire.failIfNoSpecifiedTests=false >"$log" 2>&1 || code=$?
  if [[ "$code" == 124 ]]; then
    # Stopped by the clock: libFuzzer writes the input it was on when the signal came; that is no finding.
    find "$module/src/test/resources" -name 'crash-*' -newer "$marker" -delete
  elif [[ "$code" != 0 ]]; then
    echo "   FINDING (exit $code): see $log"
  fi
  rm -f "$marker"
  # libFuzzer's last status line: executions, coverage (cov: edges, ft: features), corpus.
  grep -E '^#[0-9]+.*(DONE|pulse|NEW)' "$log" | tail -1 || true
  grep -E 'Done [0-9]+ runs|stat::number_of_executed_units' "$log" | tail -1 || true
done
