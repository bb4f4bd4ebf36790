"""Vanilla, CoT and Chain on all six benchmarks with the embedded model (docs/benchmarks.md).

    python examples/baselines/reproduce_embedded.py 10 20   # every cell at 10 items, then 20
    lemonc report runs/embedded/*.jsonl --png runs/embedded/report.png

Each cell is exactly the `lemonc bench` command it prints, run in this one process so the
model loads once instead of once per cell (about 25 s each on a CPU). Rerunning resumes
where it stopped; a larger item count extends the same files (the sample for N items holds
the sample for fewer), so passes at growing counts keep the table complete at every stage.
"""

import sys

from lemonspec.benchmarks.datasets import NAMES
from lemonspec.cli import main

PROFILE = "examples/baselines/embedded-short.toml"
BASELINES = ("vanilla", "cot", "chain")


def cell(dataset: str, baseline: str, limit: int) -> list[str]:
    return ["bench", f"examples/baselines/{dataset}/{baseline}.lemon", "--dataset", dataset,
            "--limit", str(limit), "--profile", PROFILE, "--concurrency", "8",
            "--out", f"runs/embedded/{dataset}-{baseline}.jsonl"]


if __name__ == "__main__":
    for limit in [int(arg) for arg in sys.argv[1:]] or [20]:
        for dataset in NAMES:
            for baseline in BASELINES:
                args = cell(dataset, baseline, limit)
                print("$ lemonc " + " ".join(args), flush=True)
                main(args, standalone_mode=False)
