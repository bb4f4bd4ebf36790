"""The one judge: how a model's free text becomes an answer, and whether an answer is right.

Every reader of answers imports this module: the runtime (a team's output rule and its vote
compare extracted answers; `lemonc run --extractor`), `lemonc bench` (benchmarks/bench.py and
scoring.py) and the trainer's reward (training/tasks.py). So the answer a team gives in a
run, in a benchmark and in training is the same answer, judged the same way.

    extract = extractor("number")             # text -> canonical answer text, or None
    answer = extract("so 3/4 of it. Answer: 3/4")   # "0.75"
    is_correct("number", answer, "0.75")      # True

A team's answer type (`answer: number | choice(A, ...) | label("...", ...) | code | text`,
compiler/ir.py's AnswerType; else its task's; else text: `team_answer_type`) picks the
extractor (`answer_type_extractor`) and what every agent is told about writing an answer
(`answer_format`, added by runtime/messages.py). docs/LANGUAGE.md lists what each reads.

Extraction prefers what the model marked as its answer ("Answer: 42", "#### 42",
"the answer is (B)", \\boxed{42}) over anything else it wrote, and only then falls back to
weaker evidence (the last number; a letter alone on a line; the text of one option).
Answers are canonical text ("5" for 5.0, "0.75" for 3/4, "B"), so a vote compares like with
like. Code is extracted here but judged by running it (benchmarks/scoring.py, in the
sandbox). The tricky formats each have a test in tests/benchmarks/test_bench_scoring.py and
tests/runtime/test_answers.py.
"""

from __future__ import annotations

import functools
import re
import string
from collections import Counter
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation

from lemonspec.compiler.ir import TEXT, AnswerType, label_key
from lemonspec.errors import LemonspecError

Extractor = Callable[[str], "str | None"]
LETTERS = "ABCDE"  # choice letters (MMLU uses A-D, AQuA A-E)
SCORERS = ("number", "choice", "exact")  # what a gold answer can be compared as

# ---- numbers (GSM8K, SVAMP, MultiArith) ----

_DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+"  # 1,234.5 / 1234 / .5
_NUMBER = re.compile(
    r"(?<![\w.])"  # not the tail of a word, a range ("3-5") or a decimal
    r"(?P<sign>[-\u2212]?)(?:[$€£¥₹]\s?)?(?P<sign2>[-\u2212]?)"  # -$5 and $-5
    rf"(?P<num>{_DIGITS})"
    rf"(?:\s*/\s*(?P<den>{_DIGITS}))?"  # 3/4
)
_ANSWER_MARKER = re.compile(
    r"\banswer\b\s*(?:is|was|would be|will be|should be|=|:)\s*:?", re.IGNORECASE
)
_BOXED = re.compile(r"\\boxed\s*\{((?:[^{}]|\{[^{}]*\})*)\}")
_HASHES = re.compile(r"####\s*([^\n]*)")
_SENTENCE_END = re.compile(r"\.(?:\s|$)|\n")
_TOLERANCE = Decimal("1e-6")


def extract_number(text: str) -> Decimal | None:
    """The number a model gave as its answer; None if it gave none.

    In order: the last \\boxed{}, the last "#### ", the last "answer is/Answer:", and
    otherwise the last number in the text. Commas, currency signs, units, percent signs
    and trailing periods are ignored; 3/4 becomes 0.75.
    """
    text = _plain(text)
    for segment in _marked_segments(text):
        number = _first_number(segment)
        if number is not None:
            return number
    numbers = [_to_decimal(m) for m in _NUMBER.finditer(text)]
    numbers = [n for n in numbers if n is not None]
    return numbers[-1] if numbers else None


def format_number(value: Decimal) -> str:
    """The canonical text of a number: "5" for 5.0, "0.25", "-3", never an exponent."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def number_answer(text: str) -> str | None:
    """The extracted number as canonical text, so that "5.0" and "5" vote alike."""
    value = extract_number(text)
    return None if value is None else format_number(value)


def numbers_match(value: Decimal, gold: str | Decimal) -> bool:
    """Equal up to a small tolerance, so that 5.0 matches "5" and 0.3333333 matches 1/3."""
    gold = Decimal(gold)
    return abs(value - gold) <= _TOLERANCE * max(Decimal(1), abs(gold))


def _plain(text: str) -> str:
    """Strip the LaTeX and Markdown that hide numbers: 1{,}234, \\frac{3}{4}, **42**."""
    text = re.sub(r"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}", r"\1/\2", text)
    text = re.sub(r"\\text\{([^{}]*)\}", r"\1", text)
    text = text.replace("{,}", ",").replace("\\,", "").replace("\\!", "")
    return text.replace("\\$", "$").replace("\\%", "%").replace("*", "")


def _marked_segments(text: str) -> list[str]:
    """What follows each explicit answer marker, strongest kind first, last one first."""
    boxed = [m.group(1) for m in _BOXED.finditer(text)]
    hashes = [m.group(1) for m in _HASHES.finditer(text)]
    phrases = [_answer_span(text[m.end():]) for m in _ANSWER_MARKER.finditer(text)]
    return [*reversed(boxed), *reversed(hashes), *reversed(phrases)]


def _answer_span(rest: str) -> str:
    """The sentence after a marker; for "Answer: 3 * 4 = 12", the part after the last "="."""
    sentence = _SENTENCE_END.split(rest, maxsplit=1)[0]
    return sentence.rsplit("=", 1)[-1]


def _first_number(text: str) -> Decimal | None:
    for match in _NUMBER.finditer(text):
        number = _to_decimal(match)
        if number is not None:
            return number
    return None


def _to_decimal(match: re.Match) -> Decimal | None:
    try:
        value = Decimal(match["num"].replace(",", ""))
        if match["den"] is not None:
            value /= Decimal(match["den"].replace(",", ""))
    except (InvalidOperation, ZeroDivisionError):
        return None
    return -value if match["sign"] or match["sign2"] else value


# ---- choice letters (MMLU A-D, AQuA A-E, or a team's `choice(...)`) ----


@functools.cache
def _choice_patterns(letters: str) -> dict[str, re.Pattern]:
    """The letter patterns for a set of letters, always A-E included (so a letter outside
    a team's choices is still read as a letter, then refused): a team that declares
    choice(A, ..., H) reads "H" as a choice."""
    cls = f"[{letters}]"
    lower = f"[{letters.lower()}]"
    letter = rf"(?:\(\s*(?P<paren>{cls[:-1]}{lower[1:]})\s*\)|(?P<bare>{cls})(?![\w']))"
    one = rf"(?<![\w']){cls}(?![\w'])"
    item = rf"\(?\s*{one}\s*\)?"
    return {
        "one": re.compile(one),
        # Letters separated by commas, slashes, "or"/"and" or spaces, and nothing after.
        "listed": re.compile(rf"{item}(?:\s*(?:,|/|\||\bor\b|\band\b)?\s*{item})+\W*$"),
        "marked": re.compile(
            r"(?i:\b(?:answer|option|choice)\b\s*(?:is|was|would be|will be|should be|=|:)\s*"
            r"(?:option|choice)?)\s*:?\s*" + letter
            + rf"|\\boxed\s*\{{\s*(?:\\text\{{)?(?P<boxed>{cls})\}}"
            + rf"|####\s*\(?(?P<hashes>{cls})\b"),
        "lone": re.compile(r"^\W*" + letter + r"\W*$"),
        "leading": re.compile(r"^\W*" + letter + r"(?:\s*[).:\]]|\s+-)"),
        "line_start": re.compile(rf"(?m)^[^\w(]*(?P<bare>{cls})\s*[).:]"),
        "paren": re.compile(rf"\(\s*(?P<paren>{cls})\s*\)"),
        "named": re.compile(
            r"(?i:\b(?:option|choice|pick|choose|select|go with)\s+)" + rf"(?P<bare>{cls})\b"),
    }


def extract_choice(text: str, options: Sequence[str] | None = None,
                   letters: Sequence[str] | None = None) -> str | None:
    """The option letter a model chose, or None.

    `letters` are the letters that can be chosen (a team's `choice(A, B, C, D)`; by
    default A-E, or as many as there are `options`, the options' texts in letter order).
    In order: an explicit marker ("the answer is B", "Answer: (B)", \\boxed{B}); an output
    that is just a letter ("B", "(B)"); an output that is exactly one option's text; one that
    starts with a letter ("B) 21", judged on the whole text, then its last and first line);
    the text of exactly one option inside the output; a parenthesized letter or one that
    opens a line; "option B". A lone "A" inside prose is an article, not a choice.
    """
    if letters is None:
        letters = LETTERS[: len(options)] if options else LETTERS
    letters = "".join(letters)
    patterns = _choice_patterns("".join(sorted(set(letters) | set(LETTERS))))
    text = _unbold(text).strip()
    if _hedged(text, patterns):
        return None
    texts = [_normal(option) for option in options or ()]
    finders = (_marked_letter, _lone_letter, _option_equal, _leading_letter, _option_inside,
               _loose_letter)
    for find in finders:
        letter = find(text, texts, patterns)
        if letter is not None and letter in letters:
            return letter
    return None


def _hedged(text: str, patterns) -> bool:
    """Whether the output, or what follows its last answer marker, is a list of two or more
    letters ("A, B, C or D", "A/B", "(A) (B)"): an echo of the options is no choice."""
    marked = list(patterns["marked"].finditer(text))
    places = [text]
    if marked:
        last = marked[-1]
        group = next(name for name, value in last.groupdict().items() if value)
        places.append(text[last.start(group):].lstrip("(").split("\n", 1)[0])
    for place in places:
        listed = patterns["listed"].match(place.strip())
        if listed and len({letter.upper() for letter in
                           patterns["one"].findall(listed.group(0))}) >= 2:
            return True
    return False


def _letter(match: re.Match) -> str:
    return next(value for value in match.groupdict().values() if value).upper()


def _marked_letter(text: str, texts: list[str], patterns) -> str | None:
    matches = list(patterns["marked"].finditer(text))
    return _letter(matches[-1]) if matches else None


def _lone_letter(text: str, texts: list[str], patterns) -> str | None:
    match = patterns["lone"].match(text)
    return _letter(match) if match else None


def _leading_letter(text: str, texts: list[str], patterns) -> str | None:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for candidate in (text, *(lines[-1:] + lines[:1])):
        match = patterns["lone"].match(candidate) or patterns["leading"].match(candidate)
        if match:
            return _letter(match)
    return None


def _option_equal(text: str, texts: list[str], patterns) -> str | None:
    whole = _normal(text)
    return _letter_of(texts.index(whole)) if whole and texts.count(whole) == 1 else None


def _option_inside(text: str, texts: list[str], patterns) -> str | None:
    """The one option whose text the output quotes (its last line first, then all of it)."""
    lines = [line for line in text.splitlines() if line.strip()]
    for haystack in [_normal(lines[-1]), _normal(text)] if lines else []:
        found = [i for i, option in enumerate(texts) if option and _quotes(haystack, option)]
        # "15" also contains "5": keep only options not inside another found one.
        found = [i for i in found if not any(j != i and texts[i] in texts[j] for j in found)]
        if len(found) == 1:
            return _letter_of(found[0])
    return None


def _letter_of(index: int) -> str:
    return string.ascii_uppercase[index]  # options are lettered A, B, ... in order


def _quotes(haystack: str, option: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(option)}(?![\w])", haystack) is not None


def _unbold(text: str) -> str:
    return text.replace("**", "")


def _normal(text: str) -> str:
    return " ".join(_unbold(text).lower().split()).rstrip(".").strip()


def _loose_letter(text: str, texts: list[str], patterns) -> str | None:
    for name in ("paren", "line_start", "named"):
        matches = list(patterns[name].finditer(text))
        if matches:
            return _letter(matches[-1])
    return None


# ---- code (HumanEval) ----

_FENCE = re.compile(r"```[ \t]*(?P<lang>[\w+-]*)[^\n]*\n(?P<code>.*?)(?:```|\Z)", re.DOTALL)
_PYTHON_TAGS = {"", "python", "py", "python3", "py3"}


def extract_code(text: str, entry_point: str | None = None) -> str:
    """The code in a model's output: of the ```python blocks, the last one that defines
    `entry_point`, else the last one (a model's later block revises an earlier one);
    without blocks, the whole text."""
    blocks = [m["code"] for m in _FENCE.finditer(text) if m["lang"].lower() in _PYTHON_TAGS]
    if not blocks:
        return text
    if entry_point:
        defining = [block for block in blocks if defines(block, entry_point)]
        if defining:
            return defining[-1]
    return blocks[-1]


def defines(code: str, entry_point: str) -> bool:
    """Whether `code` has a `def entry_point(` line."""
    return re.search(rf"^\s*def\s+{re.escape(entry_point)}\s*\(", code, re.MULTILINE) is not None


# ---- free text ----

_MARKED_LINE = re.compile(r"\banswer\b\s*(?:is|was|=|:)\s*:?[ \t]*([^\n]*)", re.IGNORECASE)


def extract_text(text: str) -> str | None:
    """The raw text, stripped."""
    return text.strip() or None


def extract_exact(text: str) -> str | None:
    """A short free-text answer: what follows the last "Answer:" / "the answer is" on its
    line, else the last non-empty line; quotes, bold and a final period removed."""
    marked = [m.group(1) for m in _MARKED_LINE.finditer(text) if m.group(1).strip()]
    lines = [line for line in text.splitlines() if line.strip()]
    found = marked[-1] if marked else lines[-1] if lines else ""
    found = _unbold(found).strip().strip("\"'`").strip()
    return found.removesuffix(".").strip() or None


def _same_text(answer: str, gold: str) -> bool:
    """Equal ignoring case, surrounding whitespace and runs of spaces."""
    return " ".join(answer.casefold().split()) == " ".join(gold.casefold().split())


# ---- labels (a team's `label("yes", "no", ...)`) ----


def extract_label(text: str, labels: Sequence[str]) -> str | None:
    """The label a model gave, spelled as declared, or None. Labels match ignoring case,
    runs of spaces, bold, quotes and a final period.

    In order: what follows the last "Answer:" / "the answer is" on its line, when it is a
    label or holds exactly one; the whole output, when it is a label; its last line, when
    it holds exactly one label; the whole output, when exactly one label occurs in it.
    Two labels in one place ("yes or no") are no answer.
    """
    marked = [m.group(1) for m in _MARKED_LINE.finditer(text) if m.group(1).strip()]
    lines = [line for line in text.splitlines() if line.strip()]
    places = [*marked[-1:], text, *lines[-1:], text]
    for index, place in enumerate(places):
        whole = _label_equal(place, labels)
        if whole is not None:
            return whole
        if index == len(marked[-1:]):  # the whole output counts only when it is a label
            continue
        found = _labels_said(place, labels)
        if len(found) == 1:
            return found[0]
    return None


def _labels_said(text: str, labels: Sequence[str]) -> list[str]:
    """The labels the text says as words of their own, longest first; the words a label
    used are gone for the shorter ones, so "no change" is not also "no", while "no or no
    change" says both."""
    rest = _unbold(text).casefold()
    said = []
    for label in sorted(labels, key=lambda label: -len(label_key(label))):
        words = r"\s+".join(re.escape(word) for word in label_key(label).split())
        pattern = re.compile(rf"(?<![\w-]){words}(?![\w-])")
        if words and pattern.search(rest):
            said.append(label)
            rest = pattern.sub(" | ", rest)
    return said


def _label_equal(text: str, labels: Sequence[str]) -> str | None:
    key = label_key(text)
    return next((label for label in labels if label_key(label) == key), None)


# ---- answer types: what a team declares (`answer: ...`) or a task's gold answers are ----


def answer_type_extractor(answer: AnswerType, *, options: Sequence[str] | None = None,
                          entry_point: str | None = None) -> Extractor:
    """How an output becomes an answer of the team's type, in the canonical text a vote
    compares: number -> "0.75", choice -> one of its letters, label -> the label as
    declared, code -> the code block, text -> the stripped output. `options` are a choice
    item's option texts (in letter order), `entry_point` a code item's function."""
    if answer.kind == "choice":
        letters = answer.options or None
        return lambda text: extract_choice(text, options, letters)
    if answer.kind == "label":
        return lambda text: extract_label(text, answer.options)
    return extractor(answer.kind, options=options, entry_point=entry_point)


def answer_format(answer: AnswerType) -> str | None:
    """What every agent of a team with this answer type is told about writing an answer
    (the form its extractor reads first); None for free text, which is read as written."""
    if answer.kind == "number":
        return "When you give an answer, end with a line of the form 'Answer: <number>'."
    if answer.kind == "choice":
        letters = ", ".join(answer.options or LETTERS)
        return ("When you give an answer, end with a line of the form 'Answer: <letter>', "
                f"the letter being one of {letters}.")
    if answer.kind == "label":
        labels = ", ".join(f'"{label}"' for label in answer.options)
        return ("When you give an answer, end with a line of the form 'Answer: <label>', "
                f"the label being one of {labels}.")
    if answer.kind == "code":
        return "When you give an answer, give the complete code in one ```python code block."
    return None


# Which task answers (a benchmark's scorer: number, choice, code, exact) a declared type
# can give: exact free-text golds are compared as text, so text and labels fit them.
_FITS = {"number": {"number"}, "choice": {"choice"}, "code": {"code"},
         "label": {"exact"}, "text": {"exact"}}


class AnswerTypeConflict(LemonspecError):
    """A team declares an answer type its task's gold answers are not."""


def team_answer_type(declared: AnswerType | None, task: AnswerType | str | None,
                     *, team: str = "the team", task_name: str = "the task") -> AnswerType:
    """The answer type a run uses: the team's declared type; else the task's (a data set's
    scorer: number, choice, code; exact reads as text); else free text. A declared type
    the task's answers cannot be raises AnswerTypeConflict, naming the way out."""
    task_type = AnswerType(task) if isinstance(task, str) else task
    if declared is None:
        if task_type is None or task_type.kind == "exact":
            return TEXT
        return task_type
    if task_type is not None and task_type.kind != declared.kind \
            and task_type.kind not in _FITS[declared.kind]:
        raise AnswerTypeConflict(
            f"{team} declares `answer: {declared}` but {task_name}'s answers are "
            f"{_spelled(task_type)}: declare `answer: {_spelled(task_type)}` or remove the "
            "`answer` item to take the task's type")
    return declared


def _spelled(answer: AnswerType) -> str:
    return "text" if answer.kind == "exact" else str(answer)


# ---- the judge's entry points ----


def extractor(kind: str, *, options: Sequence[str] | None = None,
              entry_point: str | None = None) -> Extractor:
    """How an output becomes an answer of `kind` (number, choice, code, exact, text): the
    function a team's output rule and vote apply to each output agent's text."""
    if kind == "number":
        return number_answer
    if kind == "choice":
        return lambda text: extract_choice(text, options)
    if kind == "code":
        return lambda text: extract_code(text, entry_point).strip("\n") or None
    if kind == "exact":
        return extract_exact
    if kind == "text":
        return extract_text
    raise ValueError(f"unknown answer kind {kind!r}; choose one of {', '.join(EXTRACTORS)}")


def is_correct(kind: str, answer: str | None, gold: str) -> bool:
    """Whether an extracted answer of `kind` gives the gold answer. Code is judged by
    running it (benchmarks.scoring.run_code), not here."""
    if answer is None:
        return False
    if kind == "number":
        value = extract_number(answer)
        return value is not None and numbers_match(value, gold)
    if kind == "choice":
        return answer.strip().upper() == gold.strip().upper()
    if kind in ("exact", "text", "label"):
        return _same_text(answer, gold)
    raise ValueError(f"answers of kind {kind!r} are not judged by comparison")


def judge_text(kind: str, output: str, gold: str, *,
               options: Sequence[str] | None = None) -> bool:
    """Extract and compare in one call: does this free-text output give the gold answer?"""
    return is_correct(kind, extractor(kind, options=options)(output), gold)


EXTRACTORS: dict[str, Extractor] = {
    "number": number_answer,
    "choice": extract_choice,
    "code": extractor("code"),
    "exact": extract_exact,
    "text": extract_text,
}


def get_extractor(name_or_fn: str | Extractor) -> Extractor:
    if callable(name_or_fn):
        return name_or_fn
    try:
        return EXTRACTORS[name_or_fn]
    except KeyError:
        raise ValueError(f"unknown answer extractor {name_or_fn!r}; "
                         f"choose one of {', '.join(EXTRACTORS)}") from None


def majority(answers: Sequence[str | None]) -> str | None:
    """The most frequent non-missing answer; a tie goes to the one that appears first
    (answers come in the order the agents are listed in `vote(...)`)."""
    counts = Counter(a for a in answers if a is not None)
    if not counts:
        return None
    top = max(counts.values())
    return next(a for a in answers if a is not None and counts[a] == top)
