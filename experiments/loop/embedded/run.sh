#!/bin/sh
# The loop on the embedded model (issue 9): the embedded SmolLM2-135M untrained, after a
# rejection-sampling warm start, and after two GRPO steps with the counterfactual, each
# benchmarked with `lemonc bench --orchestrator` on 3 GSM8K test items with the embedded
# workers, beside the CoT baseline on the same items, in one report. Needs GSM8K
# (LEMONSPEC_DATA or a shared/datasets folder above the working directory).
#
#   nice sh experiments/loop/embedded/run.sh     (from the repository root; ~15 min on 2 cores)
set -e
LEMONC=${LEMONC:-lemonc}
OUT=experiments/results/loop-embedded
RUNS=runs/loop-embedded
TMP=${TMPDIR:-/tmp}/lemon-loop-embedded
ITEMS="--dataset gsm8k --limit 3 --seed 0"
mkdir -p "$OUT/training" "$TMP"
rm -rf "$RUNS"
: > "$OUT/timings.txt"
rm -f "$OUT"/*.jsonl  # a results file holds one run: these are regenerated

. experiments/loop/stage.sh

stage bench-untrained $LEMONC bench --orchestrator local $ITEMS --out "$OUT/untrained.jsonl" \
    --trace "$TMP/untrained.trace.jsonl"
stage warm_start $LEMONC train sft --config experiments/loop/embedded/sft.toml --skip-eval
stage bench-sft $LEMONC bench --orchestrator "$RUNS/sft" $ITEMS --out "$OUT/sft.jsonl" \
    --trace "$TMP/sft.trace.jsonl"
stage grpo_cf $LEMONC train --config experiments/loop/embedded/grpo.toml
stage bench-grpo_cf $LEMONC bench --orchestrator "$RUNS/grpo_cf/checkpoint-2" $ITEMS \
    --out "$OUT/grpo_cf.jsonl" --trace "$TMP/grpo_cf.trace.jsonl"
stage bench-cot $LEMONC bench examples/baselines/gsm8k/cot.lemon $ITEMS --out "$OUT/cot.jsonl" \
    --trace "$TMP/cot.trace.jsonl"

cp "$RUNS/sft/warm_start.json" "$OUT/training/warm_start.json"
cp "$RUNS/grpo_cf/metrics.jsonl" "$OUT/training/grpo_cf-metrics.jsonl"
$LEMONC report --markdown --png "$OUT/table.png" "$OUT"/*.jsonl > "$OUT/table.md"
cat "$OUT/table.md" "$OUT/timings.txt"
