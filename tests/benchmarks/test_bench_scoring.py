"""Scorers: gold answers written the way models write them score 100% on the full local test
sets; wrong ones do not; and each tricky format has its own small test."""

import re
from decimal import Decimal

import pytest

from lemonspec.benchmarks import (
    LETTERS,
    Item,
    as_completion,
    extract_choice,
    extract_code,
    extract_number,
    load,
    score,
)
from tests.benchmark_data import needs_full_data

# ---- gold answers, as a model would write them ----


def with_commas(gold: str) -> str:
    return f"{Decimal(gold):,}"


NUMBER_FORMATS = [
    lambda g: f"First, 16 - 3 = 13 and 13 * 2 = 26. So the answer is ${with_commas(g)}.",
    lambda g: f"Step 1: 7 + 5 = 12.\n#### {g}",
    lambda g: f"Answer: {g}",
    lambda g: f"Adding 3 and 4 gives 7, hence \\boxed{{{g}}}.",
    lambda g: f"Altogether there are {g} apples left.",
    lambda g: f"The answer is {g}.0" if "." not in g else f"The answer is {g}0",
    lambda g: g,
    lambda g: f"Each box holds 12.\nThe final answer is {with_commas(g)} dollars. That took 3 steps.",
    lambda g: f"**Answer:** {g} km",
]

CHOICE_FORMATS = [
    lambda letter, text: f"Answer: ({letter})",
    lambda letter, text: f"The answer is {letter}) {text}",
    lambda letter, text: letter,
    lambda letter, text: f"A quick check of every option shows that the answer is {letter}.",
    lambda letter, text: text,  # the option's text alone, when that names exactly one option
    lambda letter, text: f"\\boxed{{{letter}}}",
    lambda letter, text: f"{letter}. {text}",
    lambda letter, text: f"A careful reading rules out the others.\n\n({letter}) {text}",
]


def gold_number_output(index: int, item: Item) -> str:
    return NUMBER_FORMATS[index % len(NUMBER_FORMATS)](item.answer)


def gold_choice_output(index: int, item: Item) -> str:
    text = item.options[LETTERS.index(item.answer)]
    write = CHOICE_FORMATS[index % len(CHOICE_FORMATS)]
    if write is CHOICE_FORMATS[4] and not names_one_option(text, item.options):
        write = CHOICE_FORMATS[1]
    return write(item.answer, text)


def names_one_option(text: str, options: tuple[str, ...]) -> bool:
    """Whether the text alone identifies its option: not shared, and not itself a letter."""
    def normal(option):
        return " ".join(option.lower().split()).rstrip(".")

    looks_like_a_letter = re.fullmatch(r"\W*[a-e]\W*", normal(text)) is not None
    return not looks_like_a_letter and [normal(o) for o in options].count(normal(text)) == 1


@needs_full_data
@pytest.mark.parametrize("name", ["gsm8k", "svamp", "multiarith"])
def test_gold_numbers_score_100_percent_on_the_full_test_set(name):
    items = load(name)
    misses = [(item.id, out) for i, item in enumerate(items)
              if not score(item, out := gold_number_output(i, item))]
    assert misses == []


@needs_full_data
@pytest.mark.parametrize("name", ["aqua", "mmlu"])
def test_gold_choices_score_100_percent_on_the_full_test_set(name):
    items = load(name)
    misses = [(item.id, out) for i, item in enumerate(items)
              if not score(item, out := gold_choice_output(i, item))]
    assert misses == []


@needs_full_data
@pytest.mark.parametrize("name", ["gsm8k", "svamp", "multiarith"])
def test_wrong_numbers_score_incorrect(name):
    for i, item in enumerate(load(name, limit=100, seed=3)):
        wrong = str(Decimal(item.answer) + 1)
        assert not score(item, NUMBER_FORMATS[i % len(NUMBER_FORMATS)](wrong)), item.id


@needs_full_data
@pytest.mark.parametrize("name", ["aqua", "mmlu"])
def test_wrong_choices_score_incorrect(name):
    for i, item in enumerate(load(name, limit=100, seed=3)):
        wrong = LETTERS[(LETTERS.index(item.answer) + 1) % len(item.options)]
        output = CHOICE_FORMATS[i % 4](wrong, item.options[LETTERS.index(wrong)])
        assert not score(item, output), item.id


def test_no_answer_at_all_scores_incorrect():
    number = Item("t", "t/0", "q", "5", "number")
    choice = Item("t", "t/1", "q", "B", "choice", ("x", "y", "z", "w"))
    assert not score(number, "I do not know.") and not score(choice, "I do not know.")


# ---- numbers: one tricky format each ----


def n(text):
    value = extract_number(text)
    return None if value is None else value.normalize()


def test_thousands_separators():
    assert n("She earns 1,234,567 a year") == 1234567


def test_currency_signs():
    assert n("It costs $5") == 5 and n("It costs €12.50") == Decimal("12.5")
    assert n("a loss of -$7") == -7


def test_units_after_the_number():
    assert n("He has 12 apples") == 12 and n("They walked 5 km.") == 5 and n("It took 5km") == 5


def test_trailing_period():
    assert n("The answer is 42.") == 42


def test_fractions():
    assert n("She ate 3/4 of the pie") == Decimal("0.75")
    assert n("\\boxed{\\frac{1}{2}}") == Decimal("0.5")


def test_decimals_against_integer_gold():
    item = Item("svamp", "svamp/test/x", "q", "5", "number")
    assert score(item, "The answer is 5.0") and score(item, "5.00 dollars")
    assert not score(item, "The answer is 5.5")


def test_negative_numbers():
    assert n("The temperature is -3 degrees") == -3 and n("x = \u22124") == -4
    assert n("ages 3-5") == 5  # a range, not a negative number


def test_percentages():
    assert n("The discount is 25%.") == 25


def test_answer_markers_beat_the_last_number():
    assert n("The answer is 18. (I used 3 steps.)") == 18
    assert n("Answer: 7 apples, from 3 boxes") == 7
    assert n("#### 42\nDouble-checked in 2 ways") == 42
    assert n("Answer: 3 * 4 = 12") == 12


def test_boxed():
    assert n("so we get \\boxed{1{,}234} in the end, after 5 tries") == 1234


def test_the_last_number_without_a_marker():
    assert n("16 - 3 - 4 = 9 eggs, sold at $2 each: 18") == 18
    assert n("no digits here") is None


# ---- choices: one tricky format each ----

OPTIONS = ("21", "24", "5", "15", "None of these")


def c(text, options=OPTIONS):
    return extract_choice(text, options)


def test_parenthesized_letter():
    assert c("I choose (B)") == "B" and c("(d)") == "D"


def test_letter_with_closing_paren():
    assert c("B)") == "B" and c("B) 24") == "B"


def test_letter_with_period():
    assert c("C.") == "C"


def test_the_answer_is_letter():
    assert c("Comparing them all, the answer is B") == "B"
    assert c("Answer: E") == "E" and c("The correct option is D.") == "D"


def test_bare_letter():
    assert c("B") == "B" and c("  A  ") == "A"


def test_option_text_only():
    assert c("24") == "B" and c("none of these.") == "E"
    assert c("15") == "D"  # "5" is inside "15" but is not what was quoted


def test_article_a_in_prose_is_not_a_choice():
    assert c("A train leaves at noon and travels 21 miles and then 5 more.") is None
    assert c("A simple check shows the answer is C.") == "C"
    assert c("A train leaves the station.") is None


def test_boxed_letter():
    assert c("so \\boxed{D}") == "D"


def test_letters_outside_the_options_are_ignored():
    assert c("The answer is E", ("a", "b", "c", "d")) is None


# ---- code ----

PROMPT = 'def add(a, b):\n    """Add two numbers."""\n'


def test_code_is_taken_from_the_fence_that_defines_the_entry_point():
    text = ("Here is a helper:\n```python\nimport math\n```\nand the solution:\n"
            "```python\ndef add(a, b):\n    return a + b\n```\nDone.")
    assert extract_code(text, "add") == "def add(a, b):\n    return a + b\n"
    # Without an entry point, the last block: a later block revises an earlier one.
    assert extract_code(text) == "def add(a, b):\n    return a + b\n"
    assert extract_code("```python\nx = 1\n```\nFixed:\n```python\nx = 2\n```") == "x = 2\n"
    assert extract_code("return a + b") == "return a + b"
    assert extract_code("```py\nreturn a + b") == "return a + b"  # cut off before the fence ends


def test_a_whole_function_follows_the_prompt():
    completion = as_completion(PROMPT, "def add(a, b):\n    return a + b\n", "add")
    namespace = {}
    exec(PROMPT + completion, namespace)  # noqa: S102 - our own code
    assert namespace["add"](2, 3) == 5


@pytest.mark.parametrize("body", [
    "    return a + b\n",  # as HumanEval completions come
    "return a + b",  # indentation lost
    "total = a + b\n    return total",  # the first line's indentation lost
    "if a:\n    return a + b\nreturn b",  # the whole body dedented
])
def test_a_body_is_indented_under_the_prompt(body):
    namespace = {}
    exec(PROMPT + as_completion(PROMPT, body, "add"), namespace)  # noqa: S102 - our own code
    assert namespace["add"](2, 3) == 5
