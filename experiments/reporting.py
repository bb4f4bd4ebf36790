"""What the experiments' reports share: reading a run's per-step log, the moving average and
the first step that reaches a target, bootstrap CIs over seeds, and the reward curves (by
optimizer step and by cumulative worker calls). One owner for both
experiments/counterfactual_vs_grpo.py and experiments/credit_testbed.py, so the same
number is computed the same way in both reports."""

from __future__ import annotations

import json
import random
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path

WINDOW = 10  # steps in the moving average of the training reward
COLORS = {"grpo": "tab:blue", "grpo+cf": "tab:red", "grpo+cf25": "tab:orange"}


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def training_rows(folder: Path) -> list[dict]:
    """A run's metrics.jsonl rows that are training steps (they have a reward)."""
    return [r for r in read_jsonl(folder / "metrics.jsonl") if "reward" in r]


def moving_average(values: Sequence[float], window: int = WINDOW) -> list[float]:
    out = []
    for i in range(len(values)):
        chunk = values[max(0, i - window + 1):i + 1]
        out.append(sum(chunk) / len(chunk))
    return out


def first_reaching(values: Sequence[float], target: float) -> int | None:
    return next((i for i, v in enumerate(values) if v >= target), None)


def bootstrap_ratio(a: Sequence[float], b: Sequence[float], draws: int = 10_000,
                    seed: int = 0) -> tuple[float, float, float]:
    """mean(a) / mean(b) and its percentile bootstrap 95% CI (seeds resampled per arm)."""
    rng = random.Random(seed)
    point = (sum(a) / len(a)) / (sum(b) / len(b))
    ratios = []
    for _ in range(draws):
        ma = sum(rng.choice(a) for _ in a) / len(a)
        mb = sum(rng.choice(b) for _ in b) / len(b)
        if mb:
            ratios.append(ma / mb)
    ratios.sort()
    return point, ratios[int(0.025 * len(ratios))], ratios[int(0.975 * len(ratios)) - 1]


def bootstrap_mean(values: Sequence[float], draws: int = 10_000,
                   seed: int = 0) -> tuple[float, float, float]:
    """The mean and its percentile bootstrap 95% CI."""
    rng = random.Random(seed)
    means = sorted(sum(rng.choice(values) for _ in values) / len(values) for _ in range(draws))
    return sum(values) / len(values), means[int(0.025 * draws)], means[int(0.975 * draws) - 1]


def band(curves: Sequence[Sequence[float]]) -> tuple[list[float], list[float], list[float]]:
    """Mean and a 95% normal band (1.96 standard errors) across seeds, per point, over the
    length of the shortest curve."""
    n = min(len(c) for c in curves)
    mean, lo, hi = [], [], []
    for i in range(n):
        values = [c[i] for c in curves]
        m = statistics.fmean(values)
        se = statistics.stdev(values) / len(values) ** 0.5 if len(values) > 1 else 0.0
        mean.append(m)
        lo.append(m - 1.96 * se)
        hi.append(m + 1.96 * se)
    return mean, lo, hi


def draw_reward_curves(path: Path, runs: Mapping[tuple[str, int], list[dict]],
                       arms: Sequence[str], target: float, *, title: str,
                       bands: bool = True, dpi: int = 110) -> None:
    """The training reward's moving average by optimizer step (left) and by cumulative
    worker calls (right). bands: per arm, the mean over seeds with a 95% band (on a grid of
    calls up to the smallest run's total); else one line per seed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    figure, (by_step, by_calls) = plt.subplots(1, 2, figsize=(12, 4.5))
    for arm in arms:
        series = [rows for (a, _), rows in sorted(runs.items()) if a == arm and rows]
        if not series:
            continue
        color = COLORS.get(arm)
        smooth = [moving_average([r["reward"] for r in rows]) for rows in series]
        if not bands:
            for i, (rows, s) in enumerate(zip(series, smooth)):
                label = arm if i == 0 else None
                by_step.plot([r["step"] for r in rows], s, color=color, alpha=0.8, label=label)
                by_calls.plot([r["workers/total_calls"] for r in rows], s, color=color,
                              alpha=0.8, label=label)
            continue
        label = f"{arm} (n={len(series)})"
        mean, lo, hi = band(smooth)
        xs = range(1, len(mean) + 1)
        by_step.plot(xs, mean, color=color, label=label)
        by_step.fill_between(xs, lo, hi, color=color, alpha=0.2)
        budget = min(rows[-1]["workers/total_calls"] for rows in series)
        grid = np.linspace(0, budget, 50)
        on_grid = [list(np.interp(grid, [r["workers/total_calls"] for r in rows], s))
                   for rows, s in zip(series, smooth)]
        mean, lo, hi = band(on_grid)
        by_calls.plot(grid, mean, color=color, label=label)
        by_calls.fill_between(grid, lo, hi, color=color, alpha=0.2)
    for axis, xlabel in ((by_step, "optimizer step"), (by_calls, "cumulative worker calls")):
        axis.axhline(target, color="gray", linestyle="--", linewidth=1)
        axis.set_xlabel(xlabel)
        axis.set_ylabel(f"training reward ({WINDOW}-step moving average)")
        axis.legend()
        axis.grid(alpha=0.3)
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=dpi)
    plt.close(figure)
