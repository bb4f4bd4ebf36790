#!/bin/sh
# The designers' simulator table: train each designer on the simulator's train split, then
# bench it and the fixed baselines on its held-out test split, and write the table.
#   sh experiments/designers/run.sh            (from the repository root; about 20 minutes on two busy cores)
set -e
OUT=experiments/results/designers
TMP=${TMPDIR:-/tmp}/lemon-designers
# This script regenerates the committed results: a results file holds one run and bench
# refuses to mix runs, so the old ones go first (RESUME=1 keeps them to resume a killed run).
if [ "${RESUME:-0}" != 1 ]; then
    for name in agentprune agentdropout gdesigner aflow argdesigner ofamas; do rm -rf "${OUT:?}/$name"; done
    rm -f "$OUT"/*.jsonl
fi
mkdir -p "$OUT" "$TMP"
for method in agentprune agentdropout gdesigner aflow argdesigner ofamas; do
    test -d "$OUT/$method" || lemonc design "$method" --dataset simulator --out "$OUT/$method" --seed 0
    lemonc bench --designer "$OUT/$method" --dataset simulator --out "$OUT/$method.jsonl" \
        --trace "$TMP/$method.trace.jsonl"
done
for baseline in cot chain tree complete random; do
    lemonc bench "examples/baselines/gsm8k/$baseline.lemon" --dataset simulator \
        --out "$OUT/$baseline.jsonl" --trace "$TMP/$baseline.trace.jsonl"
done
lemonc report --markdown "$OUT"/*.jsonl > "$OUT/table.md"
python experiments/designers/expected.py "$OUT" > "$OUT/expected.md"
cat "$OUT/table.md"
