"""Answers: the team's declared answer type (a known type, with the options it takes) and
votes that would compare free text (warning)."""

from lemonspec.compiler import ast
from lemonspec.compiler.diagnostics import Label, did_you_mean, error, warning
from lemonspec.compiler.ir import ANSWER_TYPES, label_key
from lemonspec.compiler.unit import Unit

DEPENDS_ON = ()

SPELLINGS = ('number, choice(A, B, ...) (letters), label("...", ...) (one of given labels), '
             "code and text")
_EXAMPLE = {"choice": "choice(A, B, C, D)", "label": 'label("yes", "no")'}


def run(unit: Unit):
    diagnostics = []
    for team in unit.module.teams:
        if team.answer is not None:
            diagnostics += _answer_type(team.answer, unit.path)
        diagnostics += _vote(team, unit.path)
    return diagnostics


def _answer_type(field: ast.AnswerField, path: str):
    kind = field.type.text
    if kind not in ANSWER_TYPES:
        suggestion = did_you_mean(kind, ANSWER_TYPES)
        return [error("E0501", f"unknown answer type '{kind}'"
                      + (f"; {suggestion}" if suggestion else ""), path, field.type.span,
                      f"the answer types are {SPELLINGS}")]
    takes_options = ANSWER_TYPES[kind]
    if not takes_options and field.options is not None:
        return [error("E0502", f"answer type `{kind}` takes no options", path, field.span,
                      f"write `answer: {kind}`")]
    if takes_options and not field.options:
        what = "choice list" if kind == "choice" else "label list"
        return [error("E0502", f"empty {what}: `{kind}` needs at least one option", path,
                      field.span, f"list them, e.g. `answer: {_EXAMPLE[kind]}`")]
    return _options(kind, field.options or (), path)


def _options(kind: str, options, path: str):
    diagnostics = []
    first: dict[str, ast.Name | ast.String] = {}
    for option in options:
        if kind == "choice" and not (isinstance(option, ast.Name) and _is_letter(option.text)):
            shown = _shown(option)
            diagnostics.append(error(
                "E0503", f"a choice is a capital letter A-Z, not `{shown}`", path, option.span,
                "write the letters bare: `answer: choice(A, B, C, D)`; for words, use "
                "`label(\"...\", ...)`"))
            continue
        if kind == "label" and not (isinstance(option, ast.String) and option.value.strip()):
            shown = _shown(option)
            diagnostics.append(error(
                "E0503", f"a label is a non-empty string, not `{shown}`", path, option.span,
                "quote each label: `answer: label(\"yes\", \"no\")`"))
            continue
        value = option.text if isinstance(option, ast.Name) else option.value
        key = label_key(value)
        if key in first:
            diagnostics.append(error(
                "E0504", f"duplicate {kind} option `{_shown(option)}`", path, option.span,
                "remove one of the two (labels are compared ignoring case, quotes and a final "
                "period)",
                [Label(first[key].span, "first here")]))
        else:
            first[key] = option
    return diagnostics


def _is_letter(text: str) -> bool:
    return len(text) == 1 and "A" <= text <= "Z"


def _shown(option) -> str:
    return option.text if isinstance(option, ast.Name) else option.raw


def _vote(team: ast.Team, path: str):
    """A vote needs answers that can be equal: numbers, letters, labels. Two texts rarely
    are, and the tie then goes to the first listed voter."""
    output, answer = team.output, team.answer
    if output is None or not output.vote:
        return []
    kind = answer.type.text if answer is not None else None
    if kind not in (None, "text", "code"):
        return []
    labels = [Label(answer.span, "declared here")] if answer is not None else []
    if kind == "code":
        message = ("this vote compares the voters' code as text, where answers rarely agree "
                   "and a tie goes to the first listed agent; output one agent instead, e.g. "
                   "one that reads them all")
    else:
        why = "no answer type is declared, so " if kind is None else ""
        message = (f"{why}this vote compares free text, where answers rarely agree and a tie "
                   "goes to the first listed agent; declare `answer: number`, "
                   "`answer: choice(A, B, C, D)` or `answer: label(\"...\", ...)`, or output "
                   "one agent")
    return [warning("W0501", message, path, output.span,
                    "a vote counts equal answers: it needs answers that can be equal", labels)]
