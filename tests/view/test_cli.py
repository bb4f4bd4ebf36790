"""`lemonc view` on traces and bench results, good and bad, as a user runs it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from lemonspec.benchmarks.bench import ResultsFile, RunKey

from .conftest import AGENTS, ATTACK

ROOT = Path(__file__).parents[2]


def lemonc_in_process(*args: str):
    """`lemonc ARGS` through click's runner: an uncaught exception stays in .exception."""
    from click.testing import CliRunner

    from lemonspec.cli import main

    return CliRunner().invoke(main, list(args))


def lemonc(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lemonspec.cli", *args], capture_output=True,
                          text=True, timeout=120, cwd=cwd, env=_env(), check=False)


def _env():
    import os

    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_a_trace_becomes_one_self_contained_page(trace, tmp_path):
    out = tmp_path / "page.html"
    done = lemonc("view", str(trace), "-o", str(out))
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    for name in AGENTS:
        assert f'data-agent="{name}"' in page
    # nothing is fetched: no URL the browser would load, and a policy forbidding it anyway
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', page)
    assert "default-src 'none'" in page and "connect-src 'none'" in page


def test_hostile_replies_are_escaped_everywhere(trace, tmp_path):
    out = tmp_path / "page.html"
    lemonc("view", str(trace), "-o", str(out))
    page = out.read_text(encoding="utf-8")
    assert page.count("<script") == 1  # ours
    assert ATTACK not in page and "<img" not in page and "onload=" not in page.replace(
        "onload=&quot;", "")
    assert "&lt;/pre&gt;&lt;/div&gt;&lt;script&gt;document.title=&quot;pwned&quot;" in page


def test_bad_files_are_a_message_and_exit_2_never_a_traceback(tmp_path):
    cases = {"empty.jsonl": "", "foreign.jsonl": '{"level": "info"}\n',
             "binary.jsonl": "\x00\x01\x02\n", "missing.jsonl": None}
    for name, content in cases.items():
        path = tmp_path / name
        if content is not None:
            path.write_text(content, encoding="utf-8")
        done = lemonc_in_process("view", str(path), "-o", str(tmp_path / "out.html"))
        assert done.exit_code == 2 and isinstance(done.exception, SystemExit), (name, done)
        assert done.stderr.startswith("error: ") and str(path) in done.stderr


def test_a_torn_trace_gives_a_page_saying_what_is_missing(trace, tmp_path):
    text = trace.read_text(encoding="utf-8")
    torn = tmp_path / "torn.jsonl"
    torn.write_text(text[: text.index('"run_finished"') - 30], encoding="utf-8")
    done = lemonc("view", str(torn))
    assert done.returncode == 0, done.stderr
    page = torn.with_suffix(".html").read_text(encoding="utf-8")
    assert "Missing from this trace" in page and "run_finished" in page


def test_a_trace_of_several_runs_shows_the_last_and_offers_the_others(trace, tmp_path):
    twice = tmp_path / "twice.jsonl"
    text = trace.read_text(encoding="utf-8")
    first_id = json.loads(text.splitlines()[0])["run_id"]
    twice.write_text(text + text.replace(first_id, "second0run"), encoding="utf-8")
    assert lemonc("view", str(twice)).returncode == 0
    page = twice.with_suffix(".html").read_text(encoding="utf-8")
    assert page.count("<option") == 2 and '<option value="run-1" selected>' in page
    assert '<section class="run" id="run-0" data-team="hostile" hidden>' in page
    assert '<section class="run" id="run-1" data-team="hostile">' in page
    done = lemonc("view", str(twice), "--run", first_id[:6], "-o", str(tmp_path / "one.html"))
    assert done.returncode == 0
    one = (tmp_path / "one.html").read_text(encoding="utf-8")
    assert "<option" not in one and first_id in one and "second0run" not in one
    done = lemonc("view", str(twice), "--run", "nosuchrun")
    assert done.returncode == 2 and "no run 'nosuchrun'" in done.stderr


def bench_file(path: Path) -> Path:
    key = RunKey("hash", "hostile", "gsm8k", "test", 0, "embedded",
                 {"small": "fake/x"}, "settings")
    with ResultsFile.open(path, key) as store:
        for i, correct in enumerate([True, False, True, False, False]):
            store.add({"id": f"item-{i}", "answer": f"{i} {ATTACK}", "gold": str(i),
                       "correct": correct, "why": None, "ok": True, "error": None,
                       "prompt_tokens": 10, "completion_tokens": 5, "tokens": 15,
                       "cost": None, "seconds": 0.5 + i, "model_calls": 3,
                       "run_id": f"r{i}", "outputs": {"judge": f"Answer: {i} {ATTACK}"}})
    return path


def test_bench_results_become_a_filterable_page(tmp_path):
    results = bench_file(tmp_path / "bench.jsonl")
    done = lemonc("view", str(results), "-o", str(tmp_path / "bench.html"))
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "bench.html").read_text(encoding="utf-8")
    assert page.count('class="item pick"') == 5
    assert page.count('data-correct="yes"') == 2 and page.count('data-correct="no"') == 3
    assert "correct (2)" in page and "wrong (3)" in page and "accuracy" in page
    assert page.count("<script") == 1 and ATTACK not in page


def test_damaged_bench_results_are_a_message(tmp_path):
    results = bench_file(tmp_path / "bench.jsonl")
    with open(results, "a", encoding="utf-8") as handle:
        handle.write("garbage in the middle\n" + json.dumps({"type": "item", "id": "z"}) + "\n")
    done = lemonc_in_process("view", str(results))
    assert done.exit_code == 2 and isinstance(done.exception, SystemExit)
    assert "not a JSON object" in done.stderr
