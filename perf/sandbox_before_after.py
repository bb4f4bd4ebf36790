"""The HumanEval sandbox of this tree against an earlier revision, side by side in one run.

1. Forgeries: every hostile completion of tests/benchmarks/hostile/ through both; prints
   which ones each scores "passed" (the target for this tree: none).
2. Cost: both score the canonical solutions of the committed fixture problems
   (tests/fixtures/humaneval/), interleaved sample by sample so that the machine's load
   falls on both alike; prints the median and mean seconds per sample and their ratio.

The earlier sandbox is taken from git (`--before`, default: the revision before the harness
got a process of its own) into a temporary folder and imported from there.

Run: python perf/sandbox_before_after.py [--before REV] [--rounds N]
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lemonspec.benchmarks import as_completion, extract_code, load
from lemonspec.benchmarks import sandbox as after

ROOT = Path(__file__).resolve().parents[1]


def earlier_sandbox(revision: str, folder: Path):
    for name in ("sandbox.py", "_jail.py"):
        text = subprocess.run(["git", "-C", str(ROOT), "show", f"{revision}:lemonspec/benchmarks/{name}"],
                              check=True, capture_output=True, text=True).stdout
        (folder / name).write_text(text)
    spec = importlib.util.spec_from_file_location("sandbox_before", folder / "sandbox.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def forgeries(items, before) -> None:
    by_number = {item.id.rsplit("/", 1)[-1]: item for item in items}
    corpus = sorted((ROOT / "tests" / "benchmarks" / "hostile").glob("*.py"))
    passed = {"before": [], "after": []}
    for path in corpus:
        text = path.read_text()
        item = by_number[re.search(r"^# problem: HumanEval/(\d+)$", text, re.MULTILINE)[1]]
        entry = item.answer.entry_point
        completion = as_completion(item.prompt, extract_code(text, entry), entry)
        for name, module in (("before", before), ("after", after)):
            if module.run_humaneval(item.prompt, completion, item.answer.test, entry,
                                    timeout=5.0).passed:
                passed[name].append(path.stem)
    for name, stems in passed.items():
        print(f"{name}: {len(stems)} of {len(corpus)} hostile completions passed: {stems}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="585fb92")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    items = load("humaneval", path=ROOT / "tests" / "fixtures")
    with tempfile.TemporaryDirectory() as folder:
        before = earlier_sandbox(args.before, Path(folder))
        print("before:", before.isolation().describe())
        print("after: ", after.isolation().describe())
        forgeries(items, before)
        times = {"before": [], "after": []}
        for _ in range(args.rounds):
            for item in items:
                for name, module in (("before", before), ("after", after)):
                    started = time.perf_counter()
                    result = module.run_humaneval(item.prompt, item.meta["canonical_solution"],
                                                  item.answer.test, item.answer.entry_point)
                    times[name].append(time.perf_counter() - started)
                    if not result.passed:
                        sys.exit(f"{name} failed {item.id}: {result.detail}")
    for name, seconds in times.items():
        print(f"{name}: {len(seconds)} samples, median {statistics.median(seconds):.4f} s, "
              f"mean {statistics.mean(seconds):.4f} s")
    median = statistics.median(times["after"]) / statistics.median(times["before"])
    mean = statistics.mean(times["after"]) / statistics.mean(times["before"])
    print(f"after / before: median {median:.2f}x, mean {mean:.2f}x")


if __name__ == "__main__":
    main()
