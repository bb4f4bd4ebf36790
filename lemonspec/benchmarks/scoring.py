"""Scorers: does a model's free-text output give an item's gold answer?

Extraction prefers what the model marked as its answer ("Answer: 42", "#### 42",
"the answer is (B)", \\boxed{42}) over anything else it wrote, and only then falls back to
weaker evidence (the last number; a letter alone on a line; the text of one option).
"""

from __future__ import annotations

import re
import textwrap
from decimal import Decimal, InvalidOperation

from lemonspec.benchmarks.datasets import LETTERS, Item
from lemonspec.benchmarks.sandbox import Result, run_humaneval

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


# ---- choice letters (MMLU A-D, AQuA A-E) ----

_LETTER = r"(?:\(\s*(?P<paren>[A-Ea-e])\s*\)|(?P<bare>[A-E])(?![\w']))"
_MARKED_LETTER = re.compile(
    r"(?i:\b(?:answer|option|choice)\b\s*(?:is|was|would be|will be|should be|=|:)\s*"
    r"(?:option|choice)?)\s*:?\s*" + _LETTER
    + r"|\\boxed\s*\{\s*(?:\\text\{)?(?P<boxed>[A-E])\}|####\s*\(?(?P<hashes>[A-E])\b"
)
_LONE_LETTER = re.compile(r"^\W*" + _LETTER + r"\W*$")
_LEADING_LETTER = re.compile(r"^\W*" + _LETTER + r"(?:\s*[).:\]]|\s+-)")
_LINE_START_LETTER = re.compile(r"(?m)^[^\w(]*(?P<bare>[A-E])\s*[).:]")
_PAREN_LETTER = re.compile(r"\(\s*(?P<paren>[A-E])\s*\)")
_NAMED_LETTER = re.compile(r"(?i:\b(?:option|choice)\s+)(?P<bare>[A-E])\b")


def extract_choice(text: str, options: tuple[str, ...] | list[str] | None = None) -> str | None:
    """The option letter a model chose, or None.

    In order: an explicit marker ("the answer is B", "Answer: (B)", \\boxed{B}); an output
    that is just a letter ("B", "(B)"); an output that is exactly one option's text; one that
    starts with a letter ("B) 21", judged on the whole text, then its last and first line);
    the text of exactly one option inside the output; a parenthesized letter or one that
    opens a line; "option B". A lone "A" inside prose is an article, not a choice.
    """
    letters = LETTERS[: len(options)] if options else LETTERS
    text = _unbold(text).strip()
    texts = [_normal(option) for option in options or ()]
    finders = (_marked_letter, _lone_letter, _option_equal, _leading_letter, _option_inside,
               _loose_letter)
    for find in finders:
        letter = find(text, texts)
        if letter is not None and letter in letters:
            return letter
    return None


def _letter(match: re.Match) -> str:
    return next(value for value in match.groupdict().values() if value).upper()


def _marked_letter(text: str, texts: list[str]) -> str | None:
    matches = list(_MARKED_LETTER.finditer(text))
    return _letter(matches[-1]) if matches else None


def _lone_letter(text: str, texts: list[str]) -> str | None:
    match = _LONE_LETTER.match(text)
    return _letter(match) if match else None


def _leading_letter(text: str, texts: list[str]) -> str | None:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for candidate in (text, *(lines[-1:] + lines[:1])):
        match = _LONE_LETTER.match(candidate) or _LEADING_LETTER.match(candidate)
        if match:
            return _letter(match)
    return None


def _option_equal(text: str, texts: list[str]) -> str | None:
    whole = _normal(text)
    return LETTERS[texts.index(whole)] if whole and texts.count(whole) == 1 else None


def _option_inside(text: str, texts: list[str]) -> str | None:
    """The one option whose text the output quotes (its last line first, then all of it)."""
    lines = [line for line in text.splitlines() if line.strip()]
    for haystack in [_normal(lines[-1]), _normal(text)] if lines else []:
        found = [i for i, option in enumerate(texts) if option and _quotes(haystack, option)]
        # "15" also contains "5": keep only options not inside another found one.
        found = [i for i in found if not any(j != i and texts[i] in texts[j] for j in found)]
        if len(found) == 1:
            return LETTERS[found[0]]
    return None


def _quotes(haystack: str, option: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(option)}(?![\w])", haystack) is not None


def _unbold(text: str) -> str:
    return text.replace("**", "")


def _normal(text: str) -> str:
    return " ".join(_unbold(text).lower().split()).rstrip(".").strip()


def _loose_letter(text: str, texts: list[str]) -> str | None:
    for pattern in (_PAREN_LETTER, _LINE_START_LETTER, _NAMED_LETTER):
        matches = list(pattern.finditer(text))
        if matches:
            return _letter(matches[-1])
    return None


# ---- code (HumanEval) ----

_FENCE = re.compile(r"```[ \t]*(?P<lang>[\w+-]*)[^\n]*\n(?P<code>.*?)(?:```|\Z)", re.DOTALL)
_PYTHON_TAGS = {"", "python", "py", "python3", "py3"}


def extract_code(text: str, entry_point: str | None = None) -> str:
    """The code in a model's output: of the ```python blocks, the last one that defines
    `entry_point`, else the first; without blocks, the whole text."""
    blocks = [m["code"] for m in _FENCE.finditer(text) if m["lang"].lower() in _PYTHON_TAGS]
    if not blocks:
        return text
    if entry_point:
        defining = [block for block in blocks if _defines(block, entry_point)]
        if defining:
            return defining[-1]
    return blocks[0]


def as_completion(prompt: str, code: str, entry_point: str) -> str:
    """What to append to the HumanEval prompt for `code`, a whole function or only a body.

    A whole function (maybe with its imports) follows the prompt and redefines the stub,
    so the prompt's helpers stay in scope. A body is used as written if the prompt then
    compiles, else re-indented (a model often loses the indentation of its first line).
    """
    if _defines(code, entry_point):
        return "\n" + textwrap.dedent(code)
    candidates = [code, _indent_body(code), _indent_body(_restore_first_indent(code))]
    for candidate in candidates:
        if _compiles(prompt + candidate):
            return candidate
    return candidates[1]


def _defines(code: str, entry_point: str) -> bool:
    return re.search(rf"^\s*def\s+{re.escape(entry_point)}\s*\(", code, re.MULTILINE) is not None


def _indent_body(code: str) -> str:
    return textwrap.indent(textwrap.dedent(code.strip("\n")), "    ") + "\n"


def _restore_first_indent(code: str) -> str:
    """"for x in y:\\n        z" -> "    for x in y:\\n        z": give the unindented first
    line the indentation of the least indented line after it."""
    first, _, rest = code.strip("\n").partition("\n")
    indents = [len(line) - len(line.lstrip()) for line in rest.splitlines() if line.strip()]
    return " " * min(indents, default=0) + first.lstrip() + "\n" + rest


def _compiles(source: str) -> bool:
    try:
        compile(source, "<completion>", "exec")
    except (SyntaxError, ValueError):
        return False
    return True


def run_code(item: Item, output: str, *, timeout: float = 10.0) -> Result:
    """Run a model's HumanEval output against the item's tests in the sandbox."""
    code = extract_code(output, item.answer.entry_point)
    completion = as_completion(item.prompt, code, item.answer.entry_point)
    return run_humaneval(item.prompt, completion, item.answer.test, item.answer.entry_point,
                         timeout=timeout)


# ---- one entry point for all kinds ----


def score(item: Item, model_output: str, *, timeout: float = 10.0) -> bool:
    """True when the output gives the item's gold answer. Code runs in the sandbox."""
    if item.kind == "number":
        value = extract_number(model_output)
        return value is not None and numbers_match(value, item.answer)
    if item.kind == "choice":
        return extract_choice(model_output, item.options) == item.answer
    if item.kind == "code":
        return run_code(item, model_output, timeout=timeout).passed
    raise ValueError(f"unknown answer kind {item.kind!r}")
