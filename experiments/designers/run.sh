#!/bin/sh
# The designers' simulator table: train each designer on the simulator's train split, then
# bench it and the fixed baselines on its held-out test split, and write the table.
#   sh experiments/designers/run.sh            (from the repository root; about 20 minutes on two busy cores)
set -e
OUT=experiments/results/designers
TMP=${TMPDIR:-/tmp}/lemon-designers
mkdir -p "$OUT" "$TMP"
for method in agentprune agentdropout gdesigner aflow argdesigner ofamas; do
    lemonc design "$method" --dataset simulator --out "$OUT/$method" --seed 0
    lemonc bench --designer "$OUT/$method" --dataset simulator --out "$OUT/$method.jsonl" \
        --trace "$TMP/$method.trace.jsonl"
done
for baseline in cot chain tree complete random; do
    lemonc bench "examples/baselines/gsm8k/$baseline.lemon" --dataset simulator \
        --out "$OUT/$baseline.jsonl" --trace "$TMP/$baseline.trace.jsonl"
done
lemonc report --markdown "$OUT"/*.jsonl > "$OUT/table.md"
cat "$OUT/table.md"
