#!/bin/sh
# The closed loop on the simulator (issue 9): the tiny orchestrator untrained, after the
# rejection-sampling warm start, after warm start + GRPO, and after warm start + GRPO + the
# counterfactual, each benchmarked with `lemonc bench --orchestrator ... --dataset simulator`
# on the simulator's 48 held-out test items (the items, seed and workers of
# experiments/designers/run.sh), beside the fixed baselines, in one report.
#
#   nice sh experiments/loop/run.sh        (from the repository root; about 25 minutes on 2 cores)
#
# LEMONC overrides the command (e.g. LEMONC="python -m lemonspec.cli"); BENCH_ONLY=1 skips
# the training and benches what runs/loop holds; RESUME=1 resumes the benches of a killed run. Training writes into
# runs/loop/ (the configs say so); the results, the table, the chart and the training records
# go to experiments/results/loop/. Both GRPO arms use the same seeds, tasks and steps.
set -e
LEMONC=${LEMONC:-lemonc}
PYTHON=${PYTHON:-python}
OUT=experiments/results/loop
RUNS=runs/loop
TMP=${TMPDIR:-/tmp}/lemon-loop
mkdir -p "$OUT/training" "$TMP"

. experiments/loop/stage.sh

if [ "${BENCH_ONLY:-0}" != 1 ]; then  # BENCH_ONLY=1: bench the runs/loop already trained
    rm -rf "$RUNS"
    : > "$OUT/timings.txt"
    stage untrained $PYTHON experiments/loop/untrained.py experiments/loop/sft.toml "$RUNS/untrained"
    stage warm_start $LEMONC train sft --config experiments/loop/sft.toml
    # The two GRPO arms side by side (one torch thread each: one core each on 2 cores).
    stage grpo $LEMONC train --config experiments/loop/grpo.toml > "$TMP/grpo.log" 2>&1 &
    first=$!
    stage grpo_cf $LEMONC train --config experiments/loop/grpo_cf.toml > "$TMP/grpo_cf.log" 2>&1 &
    second=$!
    failed=0
    wait $first || failed=1
    wait $second || failed=1
    if [ $failed = 1 ]; then tail -n 20 "$TMP/grpo.log" "$TMP/grpo_cf.log"; exit 1; fi
    tail -n 3 "$TMP/grpo.log" "$TMP/grpo_cf.log"
fi

# The committed results are what this script regenerates: a results file holds one run, and
# bench refuses to mix runs, so they go first (RESUME=1 keeps them to resume a killed run).
if [ "${RESUME:-0}" != 1 ]; then rm -f "$OUT"/*.jsonl; fi

# One greedy team per held-out item. GRPO arms: the last policy, and the best one by the
# [eval] accuracy on tasks 40-47 (best/).
for orchestrator in untrained sft grpo/checkpoint-40 grpo/best grpo_cf/checkpoint-40 grpo_cf/best; do
    name=$(echo "$orchestrator" | tr / -)
    stage "bench-$name" $LEMONC bench --orchestrator "$RUNS/$orchestrator" --dataset simulator \
        --out "$OUT/$name.jsonl" --trace "$TMP/$name.trace.jsonl"
done
for baseline in cot chain tree complete random; do
    stage "bench-$baseline" $LEMONC bench "examples/baselines/gsm8k/$baseline.lemon" \
        --dataset simulator --out "$OUT/$baseline.jsonl" --trace "$TMP/$baseline.trace.jsonl"
done

cp "$RUNS/sft/warm_start.json" "$OUT/training/warm_start.json"
for arm in grpo grpo_cf; do
    for file in metrics.jsonl best_eval.json training_curves.png; do
        cp "$RUNS/$arm/$file" "$OUT/training/$arm-$file"
    done
done
$LEMONC report --markdown --png "$OUT/table.png" "$OUT"/*.jsonl > "$OUT/table.md"
cat "$OUT/table.md" "$OUT/timings.txt"
