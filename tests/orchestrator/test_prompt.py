"""The orchestrator prompt: one versioned template, filled with the scope of the task."""

import pytest

from lemonspec.compiler.stdlib import role_pool, standard_roles
from lemonspec.orchestrator import PROMPT_VERSION, chat_prompt, family_of, orchestrator_prompt
from lemonspec.orchestrator.prompt import MAX_TASK_CHARS, TEMPLATE_FILE, template


def test_the_template_is_versioned_and_has_an_example_per_family():
    assert TEMPLATE_FILE == f"orchestrator_{PROMPT_VERSION}.txt"
    assert set(template().examples) == {"math", "mmlu", "code"}


@pytest.mark.parametrize("family", ["math", "mmlu", "code"])
def test_the_prompt_lists_the_pool_levels_example_and_task(family):
    prompt = orchestrator_prompt("What is 6 * 7?", family=family)
    roles = standard_roles()
    for name in role_pool(family):
        assert f"- {name}: {roles[name]}" in prompt
    assert "- small: cost 1x" in prompt and "- large: cost 4.5x" in prompt
    assert template().examples[family] in prompt
    assert prompt.rstrip().endswith("What is 6 * 7?\n\nWrite the team for this task.")
    assert "$" not in prompt.replace("$task", "")  # every placeholder was filled


def test_a_task_of_no_family_sees_every_standard_role():
    prompt = orchestrator_prompt("Plan a trip.")
    assert all(f"- {name}:" in prompt for name in standard_roles())


def test_custom_roles_and_levels_and_long_tasks():
    prompt = orchestrator_prompt("x" * (MAX_TASK_CHARS + 50), roles={"Poet": "Writes verse."},
                                 levels={"cheap": "1x", "dear": "9x"})
    assert "- Poet: Writes verse." in prompt and "- dear: cost 9x" in prompt
    assert "x" * MAX_TASK_CHARS in prompt and "x" * (MAX_TASK_CHARS + 1) not in prompt


def test_benchmarks_map_to_families():
    assert [family_of(n) for n in ("gsm8k", "SVAMP", "aqua", "mmlu", "humaneval", "other")] == [
        "math", "math", "math", "mmlu", "code", None]


def test_the_chat_format_ends_where_the_assistant_answers(tokenizer):
    text = chat_prompt(tokenizer, "hello")
    assert text.endswith("<|im_start|>assistant\n") and "hello" in text

    class Plain:
        chat_template = None

    assert chat_prompt(Plain(), "hello") == "hello\n\n"
