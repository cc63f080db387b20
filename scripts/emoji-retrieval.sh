#!/usr/bin/env bash
# Contrastive alignment of emoji pictures and names on the shared emoji set (docs/retrieval.md has the results):
#   across vendors: train on the Twitter drawings of every emoji, retrieve among the Google drawings;
#   unseen emoji: hold out 20% of the emoji (both drawings), retrieve among them, zero-shot their 9 categories;
#   against a classifier: the same backbone trained to classify the category, its embeddings retrieving.
#   scripts/emoji-retrieval.sh [EMOJI_DIR] [WORK_DIR] [EPOCHS]
# Recall is computed here from `mmfuse embed`'s output with numpy (a name shared by several rows counts as one).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mmfuse="${MMFUSE:-$root/mmfuse}"
emoji="$(cd "${1:-$root/../shared/fixtures/emoji}" && pwd)"
work="${2:-/tmp/mmfuse-retrieval}"
epochs="${3:-40}"
mkdir -p "$work"
grep -m1 'model name' /proc/cpuinfo || true
python3 - "$emoji" "$work" <<'PY'
import csv, random, sys
emoji, work = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(f"{emoji}/emoji.csv", newline="", encoding="utf-8")))
ids = sorted({r["unified"] for r in rows})
random.Random(7).shuffle(ids)
held = set(ids[: round(len(ids) * 0.2)])
splits = {
    "twitter": lambda r: r["vendor"] == "twitter",
    "google": lambda r: r["vendor"] == "google",
    "seen": lambda r: r["unified"] not in held,
    "unseen": lambda r: r["unified"] in held,
}
for name, keep in splits.items():
    with open(f"{work}/{name}.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        for r in rows:
            if keep(r):
                w.writerow(dict(r, image=f"{emoji}/{r['image']}"))
cats = sorted({r["category"] for r in rows})
open(f"{work}/categories.txt", "w").write("\n".join(cats) + "\n")
PY

recall() {  # recall MODEL DATA: image->name and name->image recall@1/5/10 among the rows of DATA
  "$mmfuse" embed --model "$1" --data "$2" --input image --output "$work/e-image.jsonl" 2>/dev/null
  "$mmfuse" embed --model "$1" --data "$2" --input name --output "$work/e-name.jsonl" 2>/dev/null
  python3 - "$2" "$work" <<'PY'
import csv, json, sys
import numpy as np
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
img = np.array([json.loads(l)["embedding"] for l in open(f"{sys.argv[2]}/e-image.jsonl")])
txt = np.array([json.loads(l)["embedding"] for l in open(f"{sys.argv[2]}/e-name.jsonl")])
names = [r["name"] for r in rows]
key = {n: i for i, n in enumerate(dict.fromkeys(names))}
k = np.array([key[n] for n in names])
s = img @ txt.T
out = []
for label, m in (("image->name", s), ("name->image", s.T)):
    target = np.where(k[None, :] == k[:, None], m, -np.inf).max(1)
    rank = ((m > target[:, None]) & (k[None, :] != k[:, None])).sum(1)
    out.append(label + " " + " ".join(f"R@{r} {np.mean(rank < r):.3f}" for r in (1, 5, 10)))
print(f"  {len(rows)} rows, {len(key)} names: " + "; ".join(out))
PY
}

common=(--task contrastive --pair image,name --epochs "$epochs" --patience 6)
echo "== across vendors: train on twitter, retrieve among google"
rm -rf "$work/vendors"
/usr/bin/time -f "  trained in %e s" "$mmfuse" train --data "$work/twitter.csv" "${common[@]}" --out "$work/vendors" \
  2>&1 | grep -E 'early stopping|trained in|best epoch' || true
recall "$work/vendors" "$work/google.csv"
rm -rf "$work/vendors-augment"
/usr/bin/time -f "  trained in %e s" "$mmfuse" train --data "$work/twitter.csv" "${common[@]}" --augment \
  --out "$work/vendors-augment" 2>&1 | grep -E 'trained in|best epoch' || true
echo "  with --augment:"
recall "$work/vendors-augment" "$work/google.csv"

echo "== unseen emoji: train on 80% of the emoji, retrieve among the other 20% (both drawings)"
rm -rf "$work/unseen-model"
/usr/bin/time -f "  trained in %e s" "$mmfuse" train --data "$work/seen.csv" "${common[@]}" --group unified \
  --out "$work/unseen-model" 2>&1 | grep -E 'trained in|best epoch' || true
recall "$work/unseen-model" "$work/unseen.csv"
rm -rf "$work/towers2"
/usr/bin/time -f "  trained in %e s" "$mmfuse" train --data "$work/seen.csv" "${common[@]}" --group unified \
  --towers 2 --out "$work/towers2" 2>&1 | grep -E 'trained in|best epoch|^model:' || true
echo "  two towers:"
recall "$work/towers2" "$work/unseen.csv"
echo "  zero-shot category from the 9 category names alone:"
"$mmfuse" zero-shot --model "$work/unseen-model" --data "$work/unseen.csv" --input image \
  --labels "$work/categories.txt" --label category --output "$work/zero-shot.jsonl" 2>/dev/null | tail -1
"$mmfuse" zero-shot --model "$work/unseen-model" --data "$work/unseen.csv" --input image \
  --labels "$work/categories.txt" --template "an emoji of {}" --label category \
  --output "$work/zero-shot-template.jsonl" 2>/dev/null | tail -1

echo "== against a classifier: the same backbone trained on the category (picture + name), its embeddings"
rm -rf "$work/classifier"
/usr/bin/time -f "  trained in %e s" "$mmfuse" train --data "$work/seen.csv" --label category \
  --ignore short_name,subcategory,sort_order,vendor,added_in --group unified --epochs "$epochs" \
  --out "$work/classifier" 2>&1 | grep -E 'trained in|best epoch' || true
recall "$work/classifier" "$work/unseen.csv"
