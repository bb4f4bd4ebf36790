"""Resume after a kill: a real `lemonc bench` process, on a ScriptedModel with simulated
latency, is killed with SIGKILL in the middle of its run and then rerun. Every item ends up
in the results file exactly once, the lines written before the kill are untouched, and the
results equal those of a run that was never interrupted. (The reruns happen in this process,
which saves a LiteLLM import per run; only the killed run needs a process of its own.)"""

import importlib.util
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from click.testing import CliRunner

from lemonspec.benchmarks.bench import read_results
from lemonspec.cli import main
from lemonspec.runtime import ScriptedModel, read_trace

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "examples" / "baselines" / "gsm8k" / "chain.lemon"
ITEMS = 24

# Item i asks for i + i; the model is right on odd items.
RULE = textwrap.dedent("""
    import re

    def rule(call):
        i = int(re.search(r"What is (\\d+) plus", call.user).group(1))
        return f"Step {call.agent}. Answer: {2 * i if i % 2 else -1}"
""")
# The child registers the ScriptedModel (it lives in the process that calls it), then runs
# the real CLI.
CHILD = textwrap.dedent("""
    import sys
    from lemonspec.runtime import ScriptedModel, read_trace
    from scripted_rule import rule

    ScriptedModel("child", rule, latency=float(sys.argv[1]))
    from lemonspec.cli import main
    main(sys.argv[2:])
""")


def bench_args(tmp_path: Path, out: Path) -> list[str]:
    return ["bench", str(SPEC), "--dataset", "gsm8k", "--data", str(tmp_path / "data"),
            "--model", "fake/child", "--concurrency", "4", "--out", str(out)]


def setup(tmp_path: Path) -> None:
    (tmp_path / "child.py").write_text(CHILD)  # its folder is on the child's sys.path
    (tmp_path / "scripted_rule.py").write_text(RULE)
    (tmp_path / "data" / "gsm8k").mkdir(parents=True)
    rows = [{"question": f"What is {i} plus {i}?", "answer": f"#### {2 * i}"}
            for i in range(ITEMS)]
    (tmp_path / "data" / "gsm8k" / "test.jsonl").write_text(
        "".join(json.dumps(row) + "\n" for row in rows))


def run_here(tmp_path: Path, args: list[str]) -> None:
    spec = importlib.util.spec_from_file_location("scripted_rule", tmp_path / "scripted_rule.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    ScriptedModel("child", module.rule)
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output


def items_written(path: Path) -> int:
    return path.read_bytes().count(b'"type": "item"') if path.exists() else 0


def kill_midway(tmp_path: Path, out: Path, after_items: int) -> None:
    command = [sys.executable, str(tmp_path / "child.py"), "0.15", *bench_args(tmp_path, out)]
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90  # LiteLLM's import alone takes seconds
    while items_written(out) < after_items and child.poll() is None:
        assert time.monotonic() < deadline, "the child wrote nothing"
        time.sleep(0.02)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL


def outcome(record: dict) -> tuple:
    """What a result says, without what differs between two runs (ids of runs, timing)."""
    return (record["answer"], record["gold"], record["correct"], record["tokens"],
            record["model_calls"], record["outputs"])


def test_a_run_killed_midway_then_rerun_loses_and_duplicates_nothing(tmp_path):
    setup(tmp_path)
    out, reference = tmp_path / "killed.jsonl", tmp_path / "reference.jsonl"
    kill_midway(tmp_path, out, after_items=6)
    before_kill = read_results(out)
    survivors = dict(before_kill.items)
    assert 6 <= len(survivors) < ITEMS, "the kill should land in the middle of the run"
    kept = out.read_bytes()[: before_kill.valid_bytes]

    run_here(tmp_path, bench_args(tmp_path, out))
    run_here(tmp_path, bench_args(tmp_path, reference))

    lines = [json.loads(line) for line in out.read_text().splitlines()]
    ids = [line["id"] for line in lines if line["type"] == "item"]
    assert sorted(ids) == sorted(f"gsm8k/test/{i}" for i in range(ITEMS))  # each exactly once
    assert out.read_bytes().startswith(kept)  # what finished before the kill is untouched
    resumed, expected = read_results(out).items, read_results(reference).items
    assert {i: resumed[i] for i in survivors} == survivors
    assert {i: outcome(r) for i, r in resumed.items()} == {
        i: outcome(r) for i, r in expected.items()}
    assert sum(r["correct"] for r in resumed.values()) == ITEMS // 2
    events = read_trace(tmp_path / "killed.trace.jsonl")  # every line whole, even after a kill
    assert {e["run_id"] for e in events} >= {r["run_id"] for r in resumed.values()}
