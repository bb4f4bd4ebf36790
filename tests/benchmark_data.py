"""Which benchmark data the tests see.

A full local copy (LEMONSPEC_DATA, or a `shared/datasets` folder above the clone; see
`lemonspec/benchmarks/datasets.py`) is used when there is one. Otherwise tests/conftest.py
points LEMONSPEC_DATA at the samples in tests/fixtures/datasets, so tests that need a few
items run anywhere, and tests that need whole splits skip with `needs_full_data`.
"""

from pathlib import Path

import pytest

from lemonspec.benchmarks.datasets import data_roots

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "datasets"


def _full_copy() -> Path | None:
    for root in data_roots():
        if root.resolve() != FIXTURES and (root / "gsm8k" / "train.jsonl").is_file():
            full = (root / "gsm8k" / "test.jsonl").stat().st_size > 100_000
            if full:  # not another sample
                return root
    return None


FULL = _full_copy()
needs_full_data = pytest.mark.skipif(
    FULL is None,
    reason="needs the full benchmark copy (set LEMONSPEC_DATA); tests/fixtures has samples only",
)
