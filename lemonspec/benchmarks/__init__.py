"""Benchmark data: loaders for the six benchmarks, answer scorers, the HumanEval sandbox.

    items = load("gsm8k", "test", limit=100, seed=0)
    correct = sum(score(item, output_of(item)) for item in items)

`load` reads native files (see datasets.py for where it looks; `load_file` reads the user's
own JSONL or CSV), `score` judges a model's free-text output with the one judge
(runtime/answers.py), and code items run in the sandbox (sandbox.py). bench.py runs a fixed
team over items into a resumable results file; orchestrated.py lets an orchestrator write a
team per item (`evaluate`); report.py compares results files.
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
