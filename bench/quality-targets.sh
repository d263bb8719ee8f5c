#!/usr/bin/env bash
# Quality targets on the shipped sample model (docs/benchmarks.md, "Quality targets"): for each accuracy-drop target,
# `dop search` on the QuickStart spec with `budget: max_accuracy_drop: T`, then `dop eval` of the chosen policy on the
# 1000-question test set. Prints one Markdown row per target; the policies, search logs and eval JSON go to $OUT.
# Usage: bash bench/quality-targets.sh [targets...]   (default 0.01 0.02 0.05; DOP=path/to/dop.dll, OUT=folder)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dop=${DOP:-$root/src/DopCompiler.Cli/bin/Release/net10.0/dop.dll}
out=${OUT:-$(mktemp -d)}
price=${PRICE:-flops}
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(0.01 0.02 0.05)
mkdir -p "$out"
echo "| target | price | policy chosen | validation drop (N = 64) | test drop (N = 1000) | test accuracy | FLOPs fraction | measured time fraction | candidates measured / frontier |"
echo "|---|---|---|---|---|---|---|---|---|"
for t in "${targets[@]}"; do
  spec="$out/dop-$t.yaml"
  # The QuickStart's spec with its budget (or budgets: list) replaced by the quality target.
  python3 - "$root" "$t" "$price" > "$spec" <<'PY'
import re, sys
root, target, price = sys.argv[1:]
text = open(f"{root}/samples/QuickStart/dop.yaml").read().replace("../ShapesVlm", f"{root}/samples/ShapesVlm")
text = re.sub(r"^budgets?:\n(?:  .*\n)+", f"budget:\n  max_accuracy_drop: {target}\n  price: {price}\n", text, flags=re.M)
print(text, end="")
PY
  nice dotnet "$dop" search "$spec" --out "$out/policy-$t.json" > "$out/search-$t.log" 2>&1
  nice dotnet "$dop" eval --model "$root/samples/ShapesVlm/model" --data "$root/samples/ShapesVlm/data/test.jsonl" \
    --policy "$out/policy-$t.json" --json > "$out/eval-$t.json" 2> "$out/eval-$t.log"
  python3 - "$out/policy-$t.json" "$out/eval-$t.json" "$t" "$price" <<'PY'
import json, sys
policy, ev, target, price = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), float(sys.argv[3]), sys.argv[4]
q = policy["quality"]
depths = " ".join(f"{d['module']}/{d['group']}={d['depth']}" for d in policy["depths"] if d["depth"] > 0) or "(nothing pruned)"
chosen = next((c["policy"] for c in q["candidates"] if c["position"] == q["frontier_position"]), depths)
drop = ev["unpruned_accuracy"] - ev["accuracy"]
print(f"| {target*100:g} points | {price} | `{chosen}` | {q['measured']*100:.1f} points | {drop*100:.1f} points "
      f"({ev['unpruned_accuracy']*100:.1f}% → {ev['accuracy']*100:.1f}%) | {ev['accuracy']*100:.1f}% | {ev['flops_fraction']:.3f} "
      f"| {ev['prefill_ms']/ev['unpruned_prefill_ms']:.3f} | {q['candidates_measured']} / {q['frontier_size']} |")
PY
done
echo "(files in $out)" >&2
