"""The orchestrator's prompt: one versioned template (prompts/orchestrator_v1.txt) filled
with the task, the base roles in scope, the capacity levels and an example team.

The template file holds the prompt, then one example team per task family after a
`--- example: FAMILY ---` line, so that every word the orchestrator reads lives in one file.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Mapping
from importlib import resources

import attrs

from lemonspec.compiler.stdlib import ROLE_POOLS, standard_roles
from lemonspec.compiler.unit import DEFAULT_LEVELS

PROMPT_VERSION = "v2"
TEMPLATE_FILE = f"orchestrator_{PROMPT_VERSION}.txt"
DEFAULT_FAMILY = "math"  # whose example team a task of no known family is shown

# Which role pool each benchmark draws from (the paper's baselines do the same).
DATASET_FAMILIES = {
    "gsm8k": "math", "svamp": "math", "multiarith": "math", "aqua": "math",
    "mmlu": "mmlu", "humaneval": "code",
}

# What a level costs relative to `small`: the paper's tiers are 7B, 14B and 32B models.
DEFAULT_LEVEL_COSTS = {"small": "1x", "medium": "2x", "large": "4.5x"}

_EXAMPLE_HEADER = re.compile(r"^--- example: (\w+) ---\n", re.MULTILINE)
MAX_TASK_CHARS = 6000  # a longer task is cut, so the prompt stays well inside the context


@attrs.frozen
class Template:
    body: string.Template
    examples: Mapping[str, str]


@functools.cache
def template() -> Template:
    folder = resources.files(__package__).joinpath("prompts")
    text = folder.joinpath(TEMPLATE_FILE).read_text(encoding="utf-8")
    body, *sections = _EXAMPLE_HEADER.split(text)
    examples = dict(zip(sections[::2], (s.rstrip("\n") for s in sections[1::2])))
    return Template(string.Template(body.rstrip("\n")), examples)


def family_of(dataset: str) -> str | None:
    """The task family (math, mmlu, code) of a benchmark, or None for an unknown one."""
    return DATASET_FAMILIES.get(dataset.lower())


def roles_in_scope(family: str | None) -> dict[str, str]:
    """Base role -> description: the family's pool, or every standard role."""
    roles = standard_roles()
    return {name: roles[name] for name in ROLE_POOLS[family]} if family else roles


def level_costs(levels=DEFAULT_LEVELS) -> dict[str, str]:
    """Each level with its relative cost; a level the defaults do not know gets its rank."""
    return {level: DEFAULT_LEVEL_COSTS.get(level, f"rank {i + 1}")
            for i, level in enumerate(levels)}


def orchestrator_prompt(
    task: str,
    *,
    family: str | None = None,
    roles: Mapping[str, str] | None = None,
    levels: Mapping[str, str] | None = None,
) -> str:
    """The user message that asks the orchestrator for one team for `task`.

    roles: base role -> description (default: the family's pool); levels: level -> relative
    cost, cheapest first (default: small, medium, large).
    """
    roles = roles_in_scope(family) if roles is None else roles
    levels = level_costs() if levels is None else levels
    chosen = template()
    return chosen.body.substitute(
        roles="\n".join(f"- {name}: {text}" for name, text in roles.items()),
        levels="\n".join(f"- {name}: cost {cost}" for name, cost in levels.items()),
        example=chosen.examples[family or DEFAULT_FAMILY],
        task=task.strip()[:MAX_TASK_CHARS],
    )


def chat_prompt(tokenizer, prompt: str) -> str:
    """The prompt in the model's chat format, ready for the assistant's reply; the plain
    prompt for a model without a chat template."""
    if not getattr(tokenizer, "chat_template", None):
        return prompt + "\n\n"
    return tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                         add_generation_prompt=True)
