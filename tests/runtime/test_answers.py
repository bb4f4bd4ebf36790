"""Answer extractors (the one judge, runtime/answers.py) and the `vote(...)` output rule.
The benchmark-specific formats are tested in tests/benchmarks/test_bench_scoring.py."""

import pytest

from lemonspec.compiler.ir import TEXT, AnswerType
from lemonspec.runtime import Fault, get_extractor, majority, run_team_sync
from lemonspec.runtime.answers import (
    AnswerTypeConflict,
    answer_format,
    answer_type_extractor,
    extract_choice,
    extract_code,
    extract_exact,
    extract_label,
    extract_text,
    is_correct,
    judge_text,
    number_answer,
    team_answer_type,
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


# ---- answer types: declared by a team (`answer: ...`), or given by its task ----

YES_NO = ("yes", "no", "not sure")


@pytest.mark.parametrize("text, expected", [
    ("Yes.", "yes"),
    ("I checked twice.\nAnswer: **NO**", "no"),
    ("The answer is no, because the sum is odd.", "no"),
    ("Hmm. Not sure", "not sure"),  # "not" is not "no"
    ("yes or no, hard to say", None),  # two labels in one place: no answer
    ("Answer: yes\nOn reflection. Answer: no", "no"),  # the last marker wins
    ("nothing here", None),
    ("  NOT   SURE  ", "not sure"),  # spelled as declared, whatever the case and spacing
])
def test_label_is_one_of_the_declared_labels(text, expected):
    assert extract_label(text, YES_NO) == expected
    assert answer_type_extractor(AnswerType("label", YES_NO))(text) == expected


@pytest.mark.parametrize("letters, text, expected", [
    (("A", "B", "C", "D", "E", "F", "G", "H"), "Answer: H", "H"),  # beyond A-E when declared
    (("A", "B", "C", "D"), "Answer: E", None),  # a letter outside the choice is no answer
    (("A", "B", "C", "D"), "Answer: E. On second thought (B)", "B"),
    (("A", "B"), "the answer is (b)", "B"),
    # An echo of the options is no choice (it would score as A, the first listed).
    (("A", "B", "C", "D"), "Answer: A, B, C or D", None),
    (("A", "B", "C", "D"), "the answer is A or B", None),
    (("A", "B", "C", "D"), "Answer: A/B/C/D", None),
    (("A", "B", "C", "D"), "(A) (B) (C) (D)", None),
    (("A", "B", "C", "D"), "The answer is (C) because A is wrong", "C"),
    (("A", "B", "C", "D"), "Answer: B. A fine choice.", "B"),
])
def test_choice_reads_only_the_declared_letters(letters, text, expected):
    assert answer_type_extractor(AnswerType("choice", letters))(text) == expected


@pytest.mark.parametrize("answer, extracts", [
    (AnswerType("number"), {"Answer: 3/4": "0.75", "none": None}),
    (AnswerType("code"), {"```python\nx = 1\n```": "x = 1"}),
    (TEXT, {"  whole text \n": "whole text"}),
])
def test_each_type_reads_with_its_extractor(answer, extracts):
    read = answer_type_extractor(answer)
    assert {text: read(text) for text in extracts} == extracts


def test_every_type_but_text_tells_the_agents_its_format():
    assert answer_format(AnswerType("number")) == (
        "When you give an answer, end with a line of the form 'Answer: <number>'.")
    assert "one of A, B, C" in answer_format(AnswerType("choice", ("A", "B", "C")))
    assert 'one of "yes", "no"' in answer_format(AnswerType("label", ("yes", "no")))
    assert "```python" in answer_format(AnswerType("code"))
    assert answer_format(TEXT) is None


def test_the_declared_type_wins_else_the_tasks_else_text():
    number = AnswerType("number")
    assert team_answer_type(None, None) == TEXT
    assert team_answer_type(None, "number") == number
    assert team_answer_type(None, "exact") == TEXT  # short free text from a data file
    assert team_answer_type(number, "number") == number
    labels = AnswerType("label", ("yes", "no"))
    assert team_answer_type(labels, "exact") == labels  # labels are judged as text
    with pytest.raises(AnswerTypeConflict, match=(
            r"team 't' declares `answer: text` but gsm8k's answers are number: declare "
            r"`answer: number` or remove the `answer` item")) as caught:
        team_answer_type(TEXT, number, team="team 't'", task_name="gsm8k")
    assert caught.value.exit_code == 2


LABEL_VOTE = VOTE.replace("team t {", 'team t {\n    answer: label("yes", "no")')


def test_a_label_vote_counts_labels_in_any_spelling_and_tells_every_agent():
    model = fake(lambda call: {"a": "Answer: YES", "b": "**yes**.", "c": "I say no"}[call.agent])
    result = run_team_sync(team(LABEL_VOTE), "Q", profile=profile_for(model))
    assert result.answer == "yes"  # two of three, although c is listed first
    told = "the label being one of \"yes\", \"no\"."
    assert len(model.calls) == 3 and all(call.system.endswith(told) for call in model.calls)


def test_a_run_takes_the_tasks_type_and_refuses_a_conflict():
    model = fake(lambda call: "so 3/4. Answer: 3/4")
    result = run_team_sync(team(VOTE), "Q", profile=profile_for(model), answer="number")
    assert result.answer == "0.75"
    assert all("'Answer: <number>'" in call.system for call in model.calls)
    with pytest.raises(AnswerTypeConflict):
        run_team_sync(team(LABEL_VOTE), "Q", profile=profile_for(model), answer="number")
    assert len(model.calls) == 3  # refused before any agent ran


def test_a_label_inside_another_is_not_a_second_answer():
    labels = ("no", "no change", "up")
    assert extract_label("Prices will see no change.", labels) == "no change"
    assert extract_label("no", labels) == "no"
    # Saying a label and a longer one that holds it is saying two: no answer.
    for hedge in ("Answer: no or no change", "Answer: no, up, no change",
                  "no change? no? up?"):
        assert extract_label(hedge, labels) is None, hedge


def test_an_option_text_past_the_fifth_is_read_as_its_letter():
    options = ["one", "two", "three", "four", "five", "six", "seven"]
    assert extract_choice("The answer is six", options, letters="ABCDEFG") == "F"
