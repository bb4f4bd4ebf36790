"""Scoring benchmark items: the judge (runtime/answers.py) for numbers and choices, and the
sandbox for code (a HumanEval answer is right when the item's tests pass on it).

Extraction lives in one place, `lemonspec.runtime.answers`; this module adds only what needs
a benchmark item: turning extracted code into a completion of the item's prompt and running
its tests.
"""

from __future__ import annotations

import textwrap

from lemonspec.benchmarks.datasets import Item
from lemonspec.benchmarks.sandbox import Result, run_humaneval
from lemonspec.compiler.ir import AnswerType
from lemonspec.runtime.answers import (
    LETTERS,
    answer_type_extractor,
    defines,
    extract_choice,
    extract_code,
    extract_number,
    extractor,
    is_correct,
    numbers_match,
    team_answer_type,
)

__all__ = ["as_completion", "extract_choice", "extract_code", "extract_number",
           "item_answer_type", "item_extractor", "numbers_match", "run_code", "score"]


def item_answer_type(item: Item) -> AnswerType:
    """The answer type the item's gold answer is: number, choice of as many letters as it
    has options, code, or "exact" (short free text, which a team may declare as text or
    label). A team that declares no answer type takes this one."""
    if item.kind == "choice":
        return AnswerType("choice", tuple(LETTERS[: len(item.options)] if item.options
                                          else LETTERS))
    return AnswerType(item.kind)


def item_extractor(item: Item, declared: AnswerType | None = None):
    """How an output agent's text becomes this item's answer (what a vote compares): by
    the team's declared answer type when it has one (AnswerTypeConflict when the item's
    gold answers cannot be of that type), else as the item's answers are read."""
    entry_point = item.answer.entry_point if item.kind == "code" else None
    team_answer_type(declared, item_answer_type(item), task_name=item.dataset)
    if declared is not None and declared.kind != "text":
        return answer_type_extractor(declared, options=item.options, entry_point=entry_point)
    return extractor(item.kind, options=item.options, entry_point=entry_point)


def as_completion(prompt: str, code: str, entry_point: str) -> str:
    """What to append to the HumanEval prompt for `code`, a whole function or only a body.

    A whole function (maybe with its imports) follows the prompt and redefines the stub,
    so the prompt's helpers stay in scope. A body is used as written if the prompt then
    compiles, else re-indented (a model often loses the indentation of its first line).
    """
    if defines(code, entry_point):
        return "\n" + textwrap.dedent(code)
    candidates = [code, _indent_body(code), _indent_body(_restore_first_indent(code))]
    for candidate in candidates:
        if _compiles(prompt + candidate):
            return candidate
    return candidates[1]


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
    if item.kind == "code":
        return run_code(item, model_output, timeout=timeout).passed
    return is_correct(item.kind, item_extractor(item)(model_output), item.answer)
