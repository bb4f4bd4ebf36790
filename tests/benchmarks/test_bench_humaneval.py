"""HumanEval in the sandbox: every canonical solution passes, empty and wrong bodies fail, and
model outputs in the usual shapes (fenced whole function, bare body) are scored.

The tests on the whole dataset need its local copy and skip without it; the same checks run
on the committed fixture of eight problems (tests/fixtures/humaneval/) on any clone."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lemonspec.benchmarks import load, run_code, run_humaneval, score
from tests.benchmark_data import needs_full_data

# The sandbox's own fixture (chosen problems; see its README), not the first-items sample
# in tests/fixtures/datasets that stands in for the benchmark data.
FIXTURE = load("humaneval", path=Path(__file__).parents[1] / "fixtures")


def run_all(items, completion_of):
    def run(item):
        return run_humaneval(item.prompt, completion_of(item), item.answer.test,
                             item.answer.entry_point)

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(run, items))


def test_fixture_canonical_solutions_pass_and_empty_or_wrong_bodies_fail():
    assert [r.status for r in run_all(FIXTURE, lambda item: item.meta["canonical_solution"])] \
        == ["passed"] * len(FIXTURE)
    assert [r.status for r in run_all(FIXTURE, lambda item: "    pass\n")] \
        == ["failed"] * len(FIXTURE)


def test_fixture_model_outputs_in_the_usual_shapes_are_scored():
    item = next(item for item in FIXTURE if item.answer.entry_point == "truncate_number")
    whole = f"Sure!\n```python\n{item.prompt}    return number % 1.0\n```\nThis works."
    assert score(item, whole)
    assert score(item, "return number % 1.0")
    assert not score(item, "```python\ndef truncate_number(number):\n    return number\n```")
    result = run_code(item, "return number // 1")
    assert result.status == "failed" and "AssertionError" in result.detail


def test_a_completion_that_redefines_the_prompts_helper_is_judged_with_the_original():
    item = next(item for item in FIXTURE if item.answer.entry_point == "decode_cyclic")
    identity = "def encode_cyclic(s):\n    return s\n\ndef decode_cyclic(s):\n    return s\n"
    assert not score(item, f"```python\n{identity}```")  # HumanEval's own harness passes it


@needs_full_data
def test_every_canonical_solution_passes():
    items = load("humaneval")
    results = run_all(items, lambda item: item.meta["canonical_solution"])
    failures = [(item.id, r.status, r.detail[-300:]) for item, r in zip(items, results)
                if not r.passed]
    assert len(items) == 164 and failures == []


@needs_full_data
def test_an_empty_body_fails():
    items = load("humaneval", limit=20, seed=0)
    results = run_all(items, lambda item: "    pass\n")
    assert [r.status for r in results] == ["failed"] * 20


@needs_full_data
def test_a_wrong_body_fails():
    items = load("humaneval", limit=20, seed=1)
    results = run_all(items, lambda item: "    return None\n")
    assert [r.status for r in results] == ["failed"] * 20


@needs_full_data
def test_model_outputs_in_the_usual_shapes_are_scored():
    item = load("humaneval")[2]  # truncate_number: return number % 1.0
    whole = f"Sure!\n```python\n{item.prompt}    return number % 1.0\n```\nThis works."
    assert score(item, whole)
    assert score(item, "return number % 1.0")  # a bare body, its indentation lost
    assert not score(item, "```python\ndef truncate_number(number):\n    return number\n```")
    result = run_code(item, "return number // 1")
    assert result.status == "failed" and "AssertionError" in result.detail
