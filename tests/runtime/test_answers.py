"""Answer extractors (the one judge, runtime/answers.py) and the `vote(...)` output rule.
The benchmark-specific formats are tested in tests/benchmarks/test_bench_scoring.py."""

import pytest

from lemonspec.runtime import Fault, get_extractor, majority, run_team_sync
from lemonspec.runtime.answers import (
    extract_choice,
    extract_code,
    extract_exact,
    extract_text,
    is_correct,
    judge_text,
    number_answer,
)

from .conftest import fake, profile_for, team


@pytest.mark.parametrize("text, expected", [
    ("3 apples and 4 pears. Answer: 1,000.50", "1000.5"),
    ("We get 12, then 7.", "7"),
    ("Answer: 42 (since 6*7)", "42"),
    ("Answer: -3.0", "-3"),
    ("no digits here", None),
    ("Answer: 3/4", "0.75"),  # a fraction is its value, as the benchmarks score it
    ("Answer: 3 * 4 = 12. Next we", "12"),
])
def test_number(text, expected):
    assert number_answer(text) == expected
    assert get_extractor("number")(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("A is wrong, C is too. Answer: (B)", "B"),
    ("The answer is D", "D"),
    ("I pick C", "C"),
    ("A good choice: **(D)**", "D"),
    ("none of these", None),
])
def test_choice(text, expected):
    assert extract_choice(text) == expected


def test_code_takes_the_last_fenced_block_else_the_text():
    text = "First:\n```python\nx = 1\n```\nFixed:\n```python\ndef f():\n    return 2\n```\n"
    assert get_extractor("code")(text) == "def f():\n    return 2"
    assert extract_code("def g(): pass") == "def g(): pass"


def test_text_is_the_stripped_output():
    assert extract_text("  a\n b \n") == "a\n b"
    assert get_extractor("text") is extract_text
    with pytest.raises(ValueError, match="unknown answer extractor 'nope'"):
        get_extractor("nope")


@pytest.mark.parametrize("text, expected", [
    ("Let me think. The capital is Paris.\nAnswer: Paris.", "Paris"),
    ("the answer is **\"blue whale\"**", "blue whale"),
    ("Answer:\nParis", "Paris"),  # a marker with nothing after it on its line: last line
    ("just this line", "just this line"),
    ("", None),
])
def test_exact_takes_the_marked_line_else_the_last_line(text, expected):
    assert extract_exact(text) == expected


def test_the_judge_compares_like_with_like():
    assert is_correct("number", "5.0", "5")
    assert judge_text("number", "so Answer: 3/4", "0.75")  # one judge: 3/4 is 0.75
    assert judge_text("number", "Answer: $1,000.00", "1000")
    assert not judge_text("number", "Answer: 1001", "1000")
    assert judge_text("choice", "The answer is (b)", "B")
    assert judge_text("exact", "Answer: paris", "Paris")
    assert not judge_text("exact", "Answer: Paris, France", "Paris")
    assert not is_correct("number", None, "1")
    with pytest.raises(ValueError, match="not judged by comparison"):
        is_correct("code", "x = 1", "tests")


def test_majority_breaks_ties_by_the_earliest_listed():
    assert majority(["7", "8", "8"]) == "8"
    assert majority(["8", "7", "7", "8"]) == "8"
    assert majority([None, "7", "8"]) == "7"
    assert majority([None, None]) is None


VOTE = """
team t {
    agent a: MathSolver {}
    agent b: MathSolver {}
    agent c: MathSolver {}
    output: vote(c, a, b)
}
"""


def _vote(replies, **options):
    model = fake(lambda call: replies[call.agent], **options)
    return run_team_sync(team(VOTE), "Q", profile=profile_for(model, retries=0),
                         extractor="number")


def test_vote_takes_the_majority_of_extracted_answers():
    result = _vote({"a": "so Answer: 5", "b": "I think 5.", "c": "Answer: 6"})
    assert result.answer == "5"


def test_vote_tie_goes_to_the_earliest_listed_agent():
    # all differ: the tie is broken by the order in vote(c, a, b), not by declaration order
    result = _vote({"a": "Answer: 1", "b": "Answer: 2", "c": "Answer: 3"})
    assert result.answer == "3"


def test_vote_counts_only_the_agents_that_finished():
    result = _vote({"a": "Answer: 1", "b": "Answer: 1", "c": "Answer: 3"},
                   faults=[Fault("bad_request", calls={1, 2})])
    assert not result.ok and len(result.failures) == 2
    survivor = next(a for a in result.agents if a.ok)
    assert result.answer == number_answer(survivor.output)
