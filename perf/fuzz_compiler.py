"""Fuzz the compiler for as long as you like: the inputs and the contract of
tests/compiler/fuzzing.py (CI runs 200 seeded inputs of it in tests/compiler/test_fuzz.py),
here unseeded, batch after batch, until the time is up.

Prints the number of inputs fuzzed and every crash (the shrunk input and its traceback);
exits 1 if there was one.

Run: python perf/fuzz_compiler.py --minutes 10 [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))  # for tests.compiler.fuzzing

from hypothesis import HealthCheck, Phase, given, seed, settings

from tests.compiler.fuzzing import assert_well_behaved, inputs

BATCH = 500


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=None, help="repeat a run (default: random)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    deadline = time.monotonic() + 60 * args.minutes
    fuzzed, crashes, batches = 0, [], 0

    def one(data):
        nonlocal fuzzed
        if time.monotonic() < deadline:
            fuzzed += 1
            assert_well_behaved(data)

    while time.monotonic() < deadline:
        batches += 1
        batch_seed = rng.getrandbits(64)
        run = seed(batch_seed)(settings(
            max_examples=BATCH, deadline=None, database=None, derandomize=False,
            phases=[Phase.generate, Phase.shrink], print_blob=True,
            suppress_health_check=list(HealthCheck))(given(inputs())(one)))
        try:
            run()
        except Exception as exc:  # noqa: BLE001  any crash is the finding; hypothesis shrank it
            crashes.append((batch_seed, exc))
            print(f"CRASH in batch {batches} (seed {batch_seed}):", file=sys.stderr)
            traceback.print_exception(exc, file=sys.stderr)
        print(f"{fuzzed} inputs fuzzed, {len(crashes)} crashes, "
              f"{max(0.0, deadline - time.monotonic()) / 60:.1f} min left", flush=True)
    print(f"done: {fuzzed} inputs fuzzed in {batches} batches, {len(crashes)} crashes")
    sys.exit(1 if crashes else 0)


if __name__ == "__main__":
    main()
