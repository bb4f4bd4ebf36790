"""The time/size curve of `check` (+ lower) and `fmt`, up to the largest allowed spec.

Two spec shapes, each at sizes growing 10x up to Limits' ceiling (4 MiB, 100,000 agents):
    chain     agents declared in reverse order, each after the previous one (the deepest
              graph: it once hit Python's recursion limit and grew 0.42 s -> 13.1 s per 10x)
    comments  a small team under many comment lines (fmt was quadratic in comments)
Prints the size, the CPU seconds of each phase (best of `--repeats`, sizes interleaved per
repeat so machine load hits them alike) and the ratio to the previous size: ~10x per 10x
is linear, ~100x quadratic.

Run: python perf/compiler_scaling.py [--repeats 3] [--smallest 4000]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))  # for tests.compiler.large_specs

from lemonspec.compiler import Limits, check_text, format_text
from lemonspec.compiler.driver import lower
from tests.compiler.large_specs import chain, comments

LARGEST = Limits.largest()


def check_and_lower(text: str):
    result = check_text(text, limits=LARGEST)
    assert result.ok, result.errors[:3]
    lower(result)


def fmt(text: str):
    format_text(text, limits=LARGEST)


def timed(fn, text: str) -> float:
    """CPU seconds of the process: the work is single-threaded, and on a shared machine
    wall time mostly measures the other processes."""
    gc.collect()
    start = time.process_time()
    fn(text)
    return time.process_time() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--smallest", type=int, default=4000, help="bytes of the smallest spec")
    args = parser.parse_args()
    sizes = []
    size = args.smallest
    while size * 10 <= LARGEST.max_file_bytes:
        sizes.append(size)
        size *= 10
    sizes.append(LARGEST.max_file_bytes)  # the largest allowed spec
    shapes = {"chain": chain, "comments": comments}
    phases = {"check+lower": check_and_lower, "fmt": fmt}
    specs = {(shape, n): make(n) for shape, make in shapes.items() for n in sizes}
    best: dict[tuple, float] = {}
    for _ in range(args.repeats):
        for (shape, n), text in specs.items():
            for phase, fn in phases.items():
                seconds = timed(fn, text)
                key = (shape, n, phase)
                best[key] = min(best.get(key, seconds), seconds)
    print(f"{'shape':<9} {'phase':<12} {'bytes':>9} {'agents':>7} {'seconds':>9} "
          f"{'x prev':>7} {'size x':>7}")
    for shape in shapes:
        for phase in phases:
            previous = None
            for n in sizes:
                text = specs[(shape, n)]
                seconds = best[(shape, n, phase)]
                agents = text.count("agent ")
                ratio = f"{seconds / previous[1]:7.1f}" if previous else "      -"
                growth = f"{len(text) / previous[0]:7.1f}" if previous else "      -"
                print(f"{shape:<9} {phase:<12} {len(text):>9} {agents:>7} {seconds:>9.3f} "
                      f"{ratio} {growth}")
                previous = (len(text), seconds)


if __name__ == "__main__":
    main()
