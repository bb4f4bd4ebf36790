"""The lemonc front end: exit codes, output formats, and a start-up that stays light."""

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from lemonspec.cli import main

EXAMPLES = Path(__file__).parents[2] / "examples"
GOOD = str(EXAMPLES / "gsm8k.lemon")
BAD = str(EXAMPLES / "invalid" / "many_errors.lemon")


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_check_exit_codes():
    assert run("check", GOOD).exit_code == 0
    assert run("check", BAD).exit_code == 1
    assert run("check").exit_code == 2
    assert run("check", "--format", "yaml", GOOD).exit_code == 2


def test_check_json_is_a_list_of_objects():
    out = json.loads(run("check", "--format", "json", BAD).output)
    assert [d["code"] for d in out] == ["E0304", "E0302", "E0301", "E0201"]
    assert {"file", "line", "column", "message", "help", "severity"} <= set(out[0])


def test_check_full_shows_source_caret_and_help():
    out = run("check", "--format", "full", BAD).output
    assert "        capacity: larg\n  |                   ^^^^" in out
    assert "= help: the levels are small, medium, large" in out


def test_fmt_check_and_rewrite(tmp_path):
    spec = tmp_path / "t.lemon"
    spec.write_text("team t {agent a: MathSolver {}}")
    result = run("fmt", "--check", str(spec))
    assert result.exit_code == 1 and "would reformat" in result.output
    assert run("fmt", str(spec)).exit_code == 0
    assert spec.read_text() == "team t {\n    agent a: MathSolver {}\n}\n"
    assert run("fmt", "--check", str(spec)).exit_code == 0


def test_fmt_refuses_a_file_that_does_not_parse(tmp_path):
    spec = tmp_path / "t.lemon"
    spec.write_text("team t {")
    result = run("fmt", str(spec))
    assert result.exit_code == 1 and spec.read_text() == "team t {"


def test_compile_writes_ir(tmp_path):
    out = tmp_path / "ir.json"
    assert run("compile", GOOD, "-o", str(out)).exit_code == 0
    assert json.loads(out.read_text())["team"] == "gsm8k_solver"
    result = run("compile", BAD)
    assert result.exit_code == 1 and "error[E0301]" in result.output


def test_compile_with_several_teams_needs_team(tmp_path):
    spec = tmp_path / "two.lemon"
    spec.write_text("team a { agent x: MathSolver {} }\nteam b { agent y: MathSolver {} }\n")
    assert "pass --team" in run("compile", str(spec)).output
    assert json.loads(run("compile", str(spec), "--team", "b").output)["team"] == "b"


def test_graph_formats():
    dot = run("graph", GOOD).output
    assert dot.startswith('digraph "gsm8k_solver"') and '"analyst" -> "solver";' in dot
    mermaid = run("graph", GOOD, "--format", "mermaid").output
    assert mermaid.startswith("flowchart LR") and "analyst --> solver" in mermaid


def test_check_does_not_import_heavy_libraries():
    code = ("import sys; from lemonspec.cli import main\n"
            f"try: main(['check', {GOOD!r}])\nexcept SystemExit: pass\n"
            "print(sorted(m for m in ('torch', 'transformers', 'litellm', 'llguidance') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
