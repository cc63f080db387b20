#!/usr/bin/env bash
# Fusion against single modalities on real data: the shared emoji set (docs/fusion.md has the results).
# Holds out 20% of the emoji (both drawings: every row of a held-out `unified` value), trains each model on the rest
# with validation by group (--group unified), and evaluates the bundle on the held-out emoji.
#   scripts/emoji-fusion.sh [EMOJI_DIR] [WORK_DIR] [SEEDS] [MODELS]
# MODELS (default all): fused fused-dropout late late-dropout fused-augment late-augment late-dropout-augment name
# picture (and picture-augment)
# Prints one TSV line per model and seed: model, seed, held-out accuracy, macro F1, epochs run, best epoch, seconds.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The command line to run (default: the launcher, which builds first when sources changed).
mmfuse="${MMFUSE:-$root/mmfuse}"
emoji="$(cd "${1:-$root/../shared/fixtures/emoji}" && pwd)"
work="${2:-/tmp/mmfuse-emoji}"
seeds="${3:-1 2 3}"
models="${4:-fused fused-dropout late late-dropout fused-augment late-augment late-dropout-augment name picture}"
mkdir -p "$work"
python3 - "$emoji" "$work" <<'PY'
import csv, random, sys
emoji, work = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(f"{emoji}/emoji.csv", newline="", encoding="utf-8")))
ids = sorted({r["unified"] for r in rows})
random.Random(7).shuffle(ids)
held = set(ids[: round(len(ids) * 0.2)])
for name, keep in (("train", lambda r: r["unified"] not in held), ("test", lambda r: r["unified"] in held)):
    with open(f"{work}/{name}.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        for r in rows:
            if keep(r):
                w.writerow(dict(r, image=f"{emoji}/{r['image']}"))
PY
leaks="short_name,subcategory,sort_order"
for seed in $seeds; do
  for m in $models; do
    case "$m" in
      fused) args=(--ignore "$leaks") ;;
      fused-dropout) args=(--ignore "$leaks" --modality-dropout 0.3) ;;
      fused-augment) args=(--ignore "$leaks" --augment) ;;
      late) args=(--ignore "$leaks" --fusion late) ;;
      late-dropout) args=(--ignore "$leaks" --fusion late --modality-dropout 0.3) ;;
      late-augment) args=(--ignore "$leaks" --fusion late --augment) ;;
      late-dropout-augment) args=(--ignore "$leaks" --fusion late --modality-dropout 0.3 --augment) ;;
      name) args=(--ignore "$leaks,image,vendor,added_in") ;;
      picture) args=(--ignore "$leaks,name,vendor,added_in") ;;
      picture-augment) args=(--ignore "$leaks,name,vendor,added_in" --augment) ;;
      *) echo "unknown model $m" >&2; exit 2 ;;
    esac
    out="$work/$m-$seed"
    rm -rf "$out"
    start=$(date +%s.%N)
    "$mmfuse" train --data "$work/train.csv" --label category --group unified --seed "$seed" \
      --out "$out" "${args[@]}" >"$out.train.json" 2>"$out.log"
    end=$(date +%s.%N)
    "$mmfuse" eval --model "$out" --data "$work/test.csv" --label category >"$out.eval.json" 2>>"$out.log"
    python3 - "$m" "$seed" "$out" "$start" "$end" <<'PY'
import json, re, sys
m, seed, out, start, end = sys.argv[1:]
e = json.load(open(out + ".eval.json"))
log = open(out + ".log").read()
t = re.search(r"best epoch (\d+) of (\d+)", log)
print(f"{m}\t{seed}\t{e['accuracy']:.4f}\t{e['macro_f1']:.4f}\t{t.group(2)}\t{t.group(1)}\t{float(end) - float(start):.0f}",
      flush=True)
PY
  done
done
