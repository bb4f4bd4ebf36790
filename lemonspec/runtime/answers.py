"""Answer extractors: turn an agent's free text into the answer a vote or a scorer compares.

Kept deliberately small; richer benchmark scorers live in `lemonspec.benchmarks`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence

Extractor = Callable[[str], "str | None"]

_ANSWER_LINE = re.compile(r"answer\s*(?:is)?\s*[:=]?\s*(.+)", re.IGNORECASE)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+")
_CHOICE = re.compile(r"\(?\b([A-E])\b\)?")
_CODE_BLOCK = re.compile(r"```[ \t]*[\w+-]*[ \t]*\n(.*?)```", re.DOTALL)


def _after_answer_marker(text: str) -> str:
    """The text after the last `Answer:` marker, if any, else the whole text."""
    found = _ANSWER_LINE.findall(text)
    return found[-1] if found else text


def extract_number(text: str) -> str | None:
    """The first number after the last `Answer:`, else the last number; `1,000.0` -> `1000`."""
    marked = _after_answer_marker(text)
    after_marker = _NUMBER.findall(marked) if marked is not text else []
    numbers = after_marker[:1] or _NUMBER.findall(text)[-1:]
    if not numbers:
        return None
    value = numbers[0].replace(",", "")
    if "." in value:
        value = value.rstrip("0").rstrip(".") or "0"
    return value


def extract_choice(text: str) -> str | None:
    """A choice letter A-E: the first after the last `Answer:`, else the last one in the text."""
    marked = _after_answer_marker(text)
    if marked is not text:
        found = _CHOICE.findall(marked)
        if found:
            return found[0]
    found = _CHOICE.findall(text)
    return found[-1] if found else None


def extract_code(text: str) -> str | None:
    """The last fenced code block, else the whole text."""
    blocks = _CODE_BLOCK.findall(text)
    code = blocks[-1] if blocks else text
    return code.strip("\n") or None


def extract_text(text: str) -> str | None:
    """The raw text, stripped."""
    return text.strip() or None


EXTRACTORS: dict[str, Extractor] = {
    "number": extract_number,
    "choice": extract_choice,
    "code": extract_code,
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
