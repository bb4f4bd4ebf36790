"""The viewer's pages in a real headless browser (Debian's chromium): the page's own script
runs under its Content-Security-Policy, every agent is in the DOM, a click target (the
`#agent=NAME` link) shows that agent's messages and answer, no hostile reply became markup,
and a screenshot is taken."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from lemonspec.view.cli import render

from .conftest import AGENTS, ATTACK
from .test_cli import bench_file

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--hide-scrollbars", "--window-size=1300,1000")


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("chromium is not installed (`apt-get install -y chromium`; .ci/run does it)")


def browse(page: Path, tmp_path: Path, *action: str, fragment: str = "") -> subprocess.CompletedProcess:
    profile = tmp_path / f"chromium-profile-{len(list(tmp_path.iterdir()))}"
    return subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *action,
                           page.resolve().as_uri() + fragment],
                          capture_output=True, text=True, timeout=120, check=True)


def test_the_trace_page_in_chromium(trace, tmp_path):
    page = tmp_path / "run.html"
    page.write_text(render(trace), encoding="utf-8")
    dom = browse(page, tmp_path, "--dump-dom", fragment="#agent=writer").stdout
    assert 'data-ready="yes"' in dom  # our script ran: its CSP hash is right
    for name in AGENTS:
        assert re.search(rf'<g class="node st-\w+( selected)?" data-agent="{name}"', dom)
    assert "<title>hostile — lemonspec trace</title>" in dom  # no reply retitled the page
    assert "<img" not in dom and dom.count("<script") == 1 and ATTACK not in dom
    details = dict(re.findall(r'<div class="detail panel" data-agent="(\w+)"( hidden="")?', dom))
    assert details == {**dict.fromkeys(AGENTS, ' hidden=""'), "writer": ""}
    shown = dom[dom.index('<div class="detail panel" data-agent="writer">'):]
    shown = shown[: shown.index('<div class="detail panel"', 10)]
    assert "Messages" in shown and "Answer" in shown and "writer says" in shown
    shot = tmp_path / "view.png"
    browse(page, tmp_path, f"--screenshot={shot}")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_the_bench_page_in_chromium(tmp_path):
    page = tmp_path / "bench.html"
    page.write_text(render(bench_file(tmp_path / "bench.jsonl")), encoding="utf-8")
    dom = browse(page, tmp_path, "--dump-dom").stdout
    assert 'data-ready="yes"' in dom and "<img" not in dom and dom.count("<script") == 1
    assert len(re.findall(r'<tr class="item pick" data-correct="(yes|no)"', dom)) == 5
    wrong = browse(page, tmp_path, "--dump-dom", fragment="#filter=no").stdout
    rows = re.findall(r'<tr class="item pick" data-correct="(yes|no)" data-id="([\w-]+)"'
                      r'( hidden="")?', wrong)
    assert sorted((verdict, bool(hidden)) for verdict, _, hidden in rows) == [
        ("no", False)] * 3 + [("yes", True)] * 2
    assert '<b id="shown">3</b>' in wrong
