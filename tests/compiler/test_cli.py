"""The lemonc front end: exit codes, output formats, and a start-up that stays light."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
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


# Hostile files: every one is a diagnostic and an exit code, never a traceback or a hang.

TEAM = "team t {\n    agent a: MathSolver {}\n}\n"
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX special files")


def lemonc(*args, env=None, cwd=None):
    """The real command in a child process, with a deadline: a hang fails the test."""
    return subprocess.run([sys.executable, "-m", "lemonspec.cli", *args], check=False,
                          capture_output=True, text=True, timeout=60, env=env, cwd=cwd)


@posix_only
@pytest.mark.parametrize("command", ["check", "fmt"])
def test_a_device_is_refused_fast(command):
    result = lemonc(command, "/dev/zero")
    assert result.returncode == 1 and "error[E0105]" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


@posix_only
@pytest.mark.parametrize("command", ["check", "fmt", "compile"])
def test_a_fifo_is_refused_without_blocking(command, tmp_path):
    fifo = tmp_path / "pipe.lemon"
    os.mkfifo(fifo)
    result = lemonc(command, str(fifo))
    assert result.returncode == 1 and "error[E0105]" in result.stdout + result.stderr


def test_a_nul_in_a_use_path_is_a_diagnostic(tmp_path):
    spec = tmp_path / "t.lemon"
    spec.write_text('use "a\x00b.lemon"\n' + TEAM)
    result = lemonc("check", str(spec))
    assert result.returncode == 1 and "error[E0003]" in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(not os.path.exists("/proc/self/environ"), reason="needs Linux /proc")
@pytest.mark.parametrize("path", ["/proc/self/environ", "../../../../../../proc/self/environ"])
def test_full_output_never_shows_a_file_outside_the_project(tmp_path, path):
    spec = tmp_path / "t.lemon"
    spec.write_text(f'use "{path}"\n' + TEAM)
    env = {**os.environ, "LEMON_TEST_SECRET": "do-not-print-me"}
    result = lemonc("check", "--format", "full", str(spec), env=env)
    assert result.returncode == 1 and "error[E0104]" in result.stdout
    assert "do-not-print-me" not in result.stdout + result.stderr


def test_check_root_option_widens_the_project(tmp_path):
    (tmp_path / "teams").mkdir()
    (tmp_path / "roles.lemon").write_text('role Helper { description: "h" }\n')
    spec = tmp_path / "teams" / "t.lemon"
    spec.write_text('use "../roles.lemon"\nteam t {\n    agent a: Helper {}\n}\n')
    assert run("check", str(spec)).exit_code == 1
    assert run("check", "--root", str(tmp_path), str(spec)).exit_code == 0
    assert run("compile", "--root", str(tmp_path), str(spec)).exit_code == 0


@pytest.mark.parametrize("content", [
    b'team t {\n    goal: "caf\xe9"\n    agent a: MathSolver {}\n}\n',  # Latin-1
    b"\xff\xfe" + "team t {}\n".encode("utf-16-le"),  # UTF-16
])
def test_fmt_refuses_a_file_that_is_not_utf8_and_leaves_it(tmp_path, content):
    spec = tmp_path / "t.lemon"
    spec.write_bytes(content)
    result = lemonc("fmt", str(spec))
    assert result.returncode == 1 and "error[E0003]" in result.stderr
    assert "Traceback" not in result.stderr and spec.read_bytes() == content


def test_fmt_refuses_an_unknown_escape_instead_of_repairing_it(tmp_path):
    spec = tmp_path / "t.lemon"
    text = 'team t {\n    agent a: MathSolver { duty: "say \\q" }\n}\n'
    spec.write_text(text)
    result = run("fmt", str(spec))
    assert result.exit_code == 1 and "error[E0002]" in result.output
    assert spec.read_text() == text


def test_fmt_refuses_a_file_over_the_size_limit(tmp_path):
    spec = tmp_path / "t.lemon"
    spec.write_text(TEAM + "#\n" * 200_000)
    result = run("fmt", str(spec))
    assert result.exit_code == 1 and "error[E0901]" in result.output


def test_fmt_accepts_a_bom_and_writes_without_it(tmp_path):
    spec = tmp_path / "t.lemon"
    spec.write_bytes(b"\xef\xbb\xbfteam t {agent a: MathSolver {}}\n")
    assert run("check", str(spec)).exit_code == 0
    assert run("fmt", str(spec)).exit_code == 0
    assert spec.read_bytes() == TEAM.encode()


@posix_only
def test_fmt_writes_through_a_symlink_and_keeps_the_mode(tmp_path):
    target = tmp_path / "real.lemon"
    target.write_text("team t {agent a: MathSolver {}}")
    os.chmod(target, 0o664)
    link = tmp_path / "link.lemon"
    link.symlink_to(target)
    assert run("fmt", str(link)).exit_code == 0
    assert link.is_symlink() and target.read_text() == TEAM
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o664
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.lemon", "real.lemon"]


@posix_only
@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root writes into read-only folders")
def test_fmt_in_a_folder_it_cannot_write_is_an_error_not_a_traceback(tmp_path):
    spec = tmp_path / "t.lemon"
    spec.write_text("team t {agent a: MathSolver {}}")
    os.chmod(tmp_path, 0o555)
    try:
        result = run("fmt", str(spec))
    finally:
        os.chmod(tmp_path, 0o755)
    assert result.exit_code == 1 and "cannot write the file" in result.output


def test_compile_to_a_folder_that_does_not_exist_is_an_error_not_a_traceback(tmp_path):
    result = run("compile", GOOD, "-o", str(tmp_path / "missing" / "ir.json"))
    assert result.exit_code == 1 and "cannot write the file" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
