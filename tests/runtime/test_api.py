"""The Python API (`import lemonspec`): light to import, compile/check/run in both forms, the
sync form inside a running event loop, and every example of docs/api.md and docs/profiles.md
run or parsed as written (with a ScriptedModel, the test-double LLM, as the default model)."""

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import pytest

import lemonspec
from lemonspec.runtime import ScriptedModel, parse_profile
from lemonspec.runtime.profiles import _LEVEL_KEYS

from .conftest import EXAMPLES

DOCS = Path(__file__).resolve().parents[2] / "docs"
SPEC = "team t {\n    agent a: MathAnalyst {}\n    agent b: MathSolver { after: a }\n}\n"


def _blocks(page: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", (DOCS / page).read_text(), re.DOTALL | re.MULTILINE)


def test_importing_lemonspec_loads_nothing_heavy():
    script = ("import sys, lemonspec\n"
              "heavy = ('lark', 'litellm', 'torch', 'transformers', 'lemonspec.compiler', "
              "'lemonspec.runtime')\n"
              "print(sorted(m for m in heavy if m in sys.modules))\n"
              "lemonspec.compile('team t { agent a: MathSolver {} }')\n"
              "print(sorted(m for m in ('litellm', 'torch') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split("\n")[:2] == ["[]", "[]"]


def test_the_package_carries_types():
    assert (Path(lemonspec.__file__).parent / "py.typed").exists()
    assert "py.typed" in (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()


def test_check_compile_and_their_errors():
    assert lemonspec.check(SPEC).ok
    assert [a.name for a in lemonspec.compile(SPEC).agents] == ["a", "b"]
    bad = lemonspec.check(SPEC.replace("MathSolver", "MathSolvr"))
    assert not bad.ok and bad.diagnostics[0].code == "E0301"
    with pytest.raises(lemonspec.CompileError):
        lemonspec.compile(SPEC.replace("MathSolver", "MathSolvr"))
    ir = lemonspec.compile_file(EXAMPLES / "gsm8k.lemon")
    assert ir.team == "gsm8k_solver" and lemonspec.check_file(EXAMPLES / "gsm8k.lemon").ok
    custom = lemonspec.compile(SPEC, levels=("lo", "hi"), default_level="hi")
    assert {a.capacity for a in custom.agents} == {"hi"}


def test_run_and_run_sync_take_a_team_text_or_file():
    fake = ScriptedModel("api-run", lambda call: f"{call.agent}: Answer: 5")
    by_ir = lemonspec.run_sync(lemonspec.compile(SPEC), "Q", model=fake.model)
    by_text = asyncio.run(lemonspec.run(SPEC, "Q", model=fake.model))
    by_file = lemonspec.run_sync(EXAMPLES / "gsm8k.lemon", "Q", model=fake.model)
    assert by_ir.answer == by_text.answer == "b: Answer: 5"
    # The example declares `answer: number`: its answer is the number the checker gave.
    assert by_file.answer == "5" and len(fake.calls) == 7


def test_the_answer_type_is_part_of_the_api():
    """`lemonspec.AnswerType` tells an undeclared team the task's type; a team that declares
    another raises `lemonspec.AnswerTypeConflict` before any agent runs."""
    fake = ScriptedModel("api-answer", lambda call: "The answer is (b)")
    choice = lemonspec.AnswerType("choice", ("A", "B", "C"))
    assert lemonspec.run_sync(SPEC, "Q", model=fake.model, answer=choice).answer == "B"
    calls = len(fake.calls)
    declared = SPEC.replace("team t {", "team t {\n    answer: number")
    with pytest.raises(lemonspec.AnswerTypeConflict, match="answer: number"):
        lemonspec.run_sync(declared, "Q", model=fake.model, answer=choice)
    assert len(fake.calls) == calls


def test_run_sync_works_inside_a_running_event_loop():
    fake = ScriptedModel("api-loop", lambda call: "Answer: 5")

    async def notebook_cell():
        running = asyncio.get_running_loop()
        result = lemonspec.run_sync(SPEC, "Q", model=fake.model)
        return result, running

    result, loop = asyncio.run(notebook_cell())
    assert result.ok and result.answer == "Answer: 5" and loop.is_closed()


def test_run_sync_of_the_runtime_works_inside_a_running_event_loop():
    from lemonspec.runtime import run_team_sync, uniform_profile

    fake = ScriptedModel("api-loop-rt", lambda call: "ok")

    async def cell():
        return run_team_sync(lemonspec.compile(SPEC), "Q", profile=uniform_profile(fake.model))

    assert asyncio.run(cell()).ok


@pytest.fixture
def docs_default_model(tmp_path, monkeypatch):
    """The default profile for the docs' examples: every level on a ScriptedModel that
    answers like a math team would."""
    ScriptedModel("docs-default", lambda call: "Answer: 5")
    profile = tmp_path / "docs.toml"
    profile.write_text('levels = ["small", "medium", "large"]\n[defaults]\n'
                       'model = "fake/docs-default"\n'
                       + "".join(f"[level.{lv}]\n" for lv in ("small", "medium", "large")))
    monkeypatch.setenv("LEMONSPEC_PROFILE", str(profile))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)  # the examples write their cache and trace here


def test_the_examples_in_docs_api_run_as_written(docs_default_model, capsys):
    blocks = _blocks("api.md", "python")
    assert len(blocks) >= 8
    namespace: dict = {}
    for number, code in enumerate(blocks, 1):
        try:
            exec(compile(code, f"docs/api.md example {number}", "exec"), namespace)  # noqa: S102 - the docs' own examples
        except Exception as exc:  # noqa: BLE001 - any failure names its example
            pytest.fail(f"docs/api.md example {number} failed: {exc!r}\n{code}")
    printed = capsys.readouterr().out
    assert "[('analyst', 'small', ()), ('solver', 'large', ('analyst',))]" in printed
    assert "model openai/gpt-4o-mini needs OPENAI_API_KEY in the environment" in printed
    assert (Path.cwd() / "run.jsonl").exists()


def test_the_profiles_in_docs_parse_and_the_key_table_is_the_codes():
    for page in ("profiles.md", "api.md"):
        for text in _blocks(page, "toml"):
            parse_profile(text, page)
    table = (DOCS / "profiles.md").read_text().split("## Keys of", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `(\w+)` \|", table, re.MULTILINE)
    assert documented == list(_LEVEL_KEYS)
