"""Plain GRPO vs GRPO + the localized counterfactual, on the SIMULATED worker environment.

Both arms train the same orchestrator (examples/training/simulator.toml: a tiny randomly
initialised Llama with the SmolLM2 tokenizer, full fine-tuning, constrained sampling in a
narrowed decision space) with the same seeds and the same budget of worker calls: each run
stops once its workers were called `--budget` times, counterfactual re-executions included.
So the plain arm gets the calls the counterfactual arm spends on edits as extra GRPO steps.
A third arm, grpo+cf25 (--arms), edits a random quarter of the valid samples only.

    python experiments/counterfactual_vs_grpo.py run --seeds 0 1 2 --budget 4000
    python experiments/counterfactual_vs_grpo.py report

`run` trains each (arm, seed) in its own process, two at a time, each resumable (a killed
run continues from its last checkpoint; a finished one is skipped). `report` reads every
run's metrics.jsonl and writes, under --out: curves.csv (per step), summary.csv (per run),
summary.md (per arm) and curves.png.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from reporting import WINDOW, draw_reward_curves, first_reaching, moving_average, training_rows

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "examples" / "training" / "simulator.toml"
OUT = ROOT / "runs" / "experiments" / "counterfactual_vs_grpo"
ARMS = {"grpo": {"enabled": False}, "grpo+cf": {"enabled": True},
        "grpo+cf25": {"enabled": True, "edit_fraction": 0.25}}
DONE = "done.json"


def run_one(arm: str, seed: int, budget: int, out: Path, config: Path) -> str:
    folder = out / f"{arm}-seed{seed}"
    if (folder / DONE).exists():
        return f"{folder.name}: done already"
    command = [sys.executable, __file__, "train-one", "--arm", arm, "--seed", str(seed),
               "--budget", str(budget), "--folder", str(folder), "--config", str(config)]
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "train.log", "a") as log:
        code = subprocess.call(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    return f"{folder.name}: exit {code}"


def train_one(arm: str, seed: int, budget: int, folder: Path, config_path: Path) -> None:
    from lemonspec.training.config import load_config
    from lemonspec.training.session import latest_checkpoint, train

    config = load_config(config_path).evolve(
        counterfactual=ARMS[arm], model={"seed": seed},
        train={"seed": seed, "output_dir": str(folder), "max_worker_calls": budget})
    resume = latest_checkpoint(str(folder)) is not None
    session = train(config, resume=resume)
    stats = session.rollout.stats.state_dict()
    (folder / DONE).write_text(json.dumps({"steps": session.trainer.state.global_step,
                                           **stats}, indent=1))


# ---- the report ---------------------------------------------------------------------------

def run_summary(rows: list[dict], target: float) -> dict:
    rewards = moving_average([r["reward"] for r in rows])
    calls = [r["workers/total_calls"] for r in rows]
    hit = first_reaching(rewards, target)
    last = rows[-max(1, len(rows) // 10):]
    original_calls = sum(r["workers/calls"] for r in rows)
    extra_calls = sum(r.get("workers/counterfactual_calls", 0) for r in rows)
    uncached = sum(r.get("workers/counterfactual_calls_uncached", 0) for r in rows)
    original_tokens = sum(r["workers/tokens"] for r in rows)
    extra_tokens = sum(r.get("workers/counterfactual_tokens", 0) for r in rows)
    return {
        "steps": rows[-1]["step"],
        "steps_to_target": rows[hit]["step"] if hit is not None else None,
        "calls_to_target": calls[hit] if hit is not None else None,
        "final_reward": sum(r["reward"] for r in last) / len(last),
        "final_accuracy": sum(r.get("rewards/success/mean", 0) for r in last) / len(last),
        "worker_calls": original_calls + extra_calls,
        "worker_tokens": original_tokens + extra_tokens,
        "extra_call_share": extra_calls / original_calls if original_calls else 0.0,
        "extra_token_share": extra_tokens / original_tokens if original_tokens else 0.0,
        "extra_call_share_without_cache": uncached / original_calls if original_calls else 0.0,
        **family_stats(rows),
    }


FAMILIES = ("drop_dependency", "remove_duty", "lower_capacity")
EARLY = 20  # steps that count as "early" for the contrast sizes


def family_stats(rows: list[dict]) -> dict:
    """Per family: edits made, and the mean |Delta| of the per-step means, early and overall."""
    stats = {}
    for family in FAMILIES:
        key = f"counterfactual/delta/{family}"
        sizes = [abs(r[key]) for r in rows if r.get(key) is not None]
        early = [abs(r[key]) for r in rows[:EARLY] if r.get(key) is not None]
        stats[f"{family}_edits"] = rows[-1].get(f"counterfactual/count/{family}", 0)
        stats[f"{family}_abs_delta"] = sum(sizes) / len(sizes) if sizes else None
        stats[f"{family}_abs_delta_early"] = sum(early) / len(early) if early else None
    return stats


def report(out: Path, target: float) -> None:
    runs = {}
    for folder in sorted(p for p in out.iterdir() if (p / "metrics.jsonl").exists()):
        arm, seed = folder.name.rsplit("-seed", 1)
        rows = training_rows(folder)
        if rows:  # a run that has not logged a step yet is left out
            runs[(arm, int(seed))] = rows
    write_curves(out / "curves.csv", runs)
    summaries = {key: run_summary(rows, target) for key, rows in runs.items()}
    write_summary(out / "summary.csv", summaries)
    (out / "summary.md").write_text(summary_table(summaries, target))
    plot(out / "curves.png", runs, target)
    print((out / "summary.md").read_text())


def write_curves(path: Path, runs: dict) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["arm", "seed", "step", "reward", "reward_ma", "accuracy", "agents",
                         "worker_calls_total", "worker_tokens_total"])
        for (arm, seed), rows in sorted(runs.items()):
            smooth = moving_average([r["reward"] for r in rows])
            for r, ma in zip(rows, smooth):
                writer.writerow([arm, seed, r["step"], r["reward"], ma,
                                 r.get("rewards/success/mean"), r.get("lemon/agents"),
                                 r["workers/total_calls"], r["workers/total_tokens"]])


def write_summary(path: Path, summaries: dict) -> None:
    fields = list(next(iter(summaries.values())))
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["arm", "seed", *fields])
        for (arm, seed), s in sorted(summaries.items()):
            writer.writerow([arm, seed, *(s[f] for f in fields)])


def _mean(values):
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def _fmt(value, spec=".3f"):
    return "—" if value is None else format(value, spec)


def summary_table(summaries: dict, target: float) -> str:
    lines = [f"Reward target (moving average over {WINDOW} steps): {target}", "",
             ("| arm | runs | reached | steps to target | calls to target | final reward | "
             "final accuracy | worker tokens/run | extra calls (cache) | extra calls (no cache)"
             " | extra tokens |"), "|" + "---|" * 11]
    for arm in ARMS:
        rows = [s for (a, _), s in summaries.items() if a == arm]
        if not rows:
            continue
        reached = [s for s in rows if s["steps_to_target"] is not None]
        lines.append(
            f"| {arm} | {len(rows)} | {len(reached)}/{len(rows)} | "
            f"{_fmt(_mean(s['steps_to_target'] for s in rows), '.1f')} | "
            f"{_fmt(_mean(s['calls_to_target'] for s in rows), '.0f')} | "
            f"{_fmt(_mean(s['final_reward'] for s in rows))} | "
            f"{_fmt(_mean(s['final_accuracy'] for s in rows))} | "
            f"{_fmt(_mean(s['worker_tokens'] for s in rows), '.0f')} | "
            f"{_fmt(_mean(s['extra_call_share'] for s in rows), '.1%')} | "
            f"{_fmt(_mean(s['extra_call_share_without_cache'] for s in rows), '.1%')} | "
            f"{_fmt(_mean(s['extra_token_share'] for s in rows), '.1%')} |")
    lines += family_table(summaries)
    lines += ["", "Per run:", "", "| arm | seed | steps | steps to target | final reward |",
              "|---|---|---|---|---|"]
    for (arm, seed), s in sorted(summaries.items()):
        lines.append(f"| {arm} | {seed} | {s['steps']} | {s['steps_to_target'] or '—'} | "
                     f"{s['final_reward']:.3f} |")
    return "\n".join(lines) + "\n"


def family_table(summaries: dict) -> list[str]:
    lines = ["", "Counterfactual edits (mean over seeds):", "",
             (f"| arm | family | edits/run | mean abs Delta (first {EARLY} steps) | "
             "mean abs Delta |"), "|---|---|---|---|---|"]
    for arm, settings in ARMS.items():
        rows = [s for (a, _), s in summaries.items() if a == arm]
        if not rows or not settings["enabled"]:
            continue
        for family in FAMILIES:
            lines.append(
                f"| {arm} | {family} | {_fmt(_mean(s[f'{family}_edits'] for s in rows), '.0f')}"
                f" | {_fmt(_mean(s[f'{family}_abs_delta_early'] for s in rows))} | "
                f"{_fmt(_mean(s[f'{family}_abs_delta'] for s in rows))} |")
    return lines


def plot(path: Path, runs: dict, target: float) -> None:
    draw_reward_curves(path, runs, list(ARMS), target, bands=False, dpi=120,
                       title="Simulated workers: plain GRPO vs GRPO + counterfactual "
                             "(one line per seed)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run")
    run.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    run.add_argument("--budget", type=int, default=4000, help="worker calls per run")
    run.add_argument("--parallel", type=int, default=2)
    run.add_argument("--arms", nargs="+", choices=list(ARMS), default=["grpo", "grpo+cf"])
    one = commands.add_parser("train-one")
    one.add_argument("--arm", choices=list(ARMS), required=True)
    one.add_argument("--seed", type=int, required=True)
    one.add_argument("--budget", type=int, required=True)
    one.add_argument("--folder", type=Path, required=True)
    rep = commands.add_parser("report")
    rep.add_argument("--target", type=float, default=0.9)
    for sub in (run, one, rep):
        sub.add_argument("--out", type=Path, default=OUT)
        sub.add_argument("--config", type=Path, default=CONFIG)
    args = parser.parse_args()
    if args.command == "train-one":
        train_one(args.arm, args.seed, args.budget, args.folder, args.config)
    elif args.command == "run":
        args.out.mkdir(parents=True, exist_ok=True)
        jobs = [(arm, seed) for seed in args.seeds for arm in args.arms]
        with ThreadPoolExecutor(args.parallel) as pool:
            for line in pool.map(lambda j: run_one(*j, args.budget, args.out, args.config), jobs):
                print(line, flush=True)
    else:
        report(args.out, args.target)


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
