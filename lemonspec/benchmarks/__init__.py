"""Benchmark data: loaders for the six benchmarks, answer scorers, the HumanEval sandbox.

    items = load("gsm8k", "test", limit=100, seed=0)
    correct = sum(score(item, output_of(item)) for item in items)

`load` reads native files (see datasets.py for where it looks), `score` judges a model's
free-text output, and code items run in the sandbox (sandbox.py).
"""

from lemonspec.benchmarks.datasets import (
    LETTERS,
    NAMES,
    SPLITS,
    CodeTest,
    Item,
    Kind,
    data_roots,
    format_number,
    load,
)
from lemonspec.benchmarks.errors import Error
from lemonspec.benchmarks.sandbox import (
    Isolation,
    Limits,
    Result,
    canonical,
    isolation,
    run_humaneval,
    run_humaneval_async,
    run_program,
)
from lemonspec.benchmarks.scoring import (
    as_completion,
    extract_choice,
    extract_code,
    extract_number,
    numbers_match,
    run_code,
    score,
)

__all__ = [
    "LETTERS",
    "NAMES",
    "SPLITS",
    "CodeTest",
    "Error",
    "Isolation",
    "Item",
    "Kind",
    "Limits",
    "Result",
    "as_completion",
    "canonical",
    "data_roots",
    "extract_choice",
    "extract_code",
    "extract_number",
    "format_number",
    "isolation",
    "load",
    "numbers_match",
    "run_code",
    "run_humaneval",
    "run_humaneval_async",
    "run_program",
    "score",
]
