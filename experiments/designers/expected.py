"""The exact expected accuracy of each saved designer's teams on the simulator's 48
held-out tasks: the teams `lemonc bench --designer DIR --dataset simulator` writes (the
item's prompt and per-item seed of run seed 0), scored by the simulator's own probability
model (designers.simulated.expected_success) instead of one 0/1 draw per item, so two
rows a few points apart can be told apart. Beside it, the committed Random baseline.

    python experiments/designers/expected.py experiments/results/designers > \
        experiments/results/designers/expected.md
"""

from __future__ import annotations

import sys
from pathlib import Path

from lemonspec.benchmarks.orchestrated import item_seed
from lemonspec.designers import simulated
from lemonspec.designers.store import load


def main(folder: str) -> None:
    items = simulated.items("test")
    rows = []
    for manifest in sorted(Path(folder).glob("*/manifest.json")):
        saved = load(manifest.parent)
        values = [simulated.expected_success(
            saved.method.design(saved.params, saved.space, item.prompt, item_seed(0, item.id)),
            simulated.task_index(item.id)) for item in items]
        rows.append((f"designer:{saved.method.name}", sum(values) / len(values),
                     saved.manifest["training"]["team_runs"]))
    baseline = simulated.random_baseline()
    rows.append(("random", sum(simulated.expected_success(baseline, simulated.task_index(i.id))
                               for i in items) / len(items), None))
    print("| team | exact expected accuracy % (48 held-out tasks) | training team runs |")
    print("|---|---|---|")
    for name, value, runs in sorted(rows, key=lambda r: -r[1]):
        print(f"| {name} | {100 * value:.1f} | {runs if runs is not None else '-'} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "experiments/results/designers")
