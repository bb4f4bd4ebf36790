"""Start-up of `lemonc`, side by side with `python -c pass` in one run, interleaved so that
machine noise hits every command alike. Medians of N rounds (default 21).

Targets: `lemonc --help` and shell completion of command names <= 10x `python -c pass`
(they load no command module and nothing heavy); `lemonc check` on a small file <= 4x.

The yardstick depends on the environment: in a development venv `python -c pass` pays for
the editable install's import hook and other `.pth` files (~4x a clean venv's), while the
start-up of `lemonc` is much the same in both. So measure a clean core venv as well:

    python -m venv /tmp/core && /tmp/core/bin/pip install .
    python perf/startup.py --python /tmp/core/bin/python

Each interpreter runs this checkout's code (PYTHONPATH) with its own installed libraries.
The last row, importing click, attrs and lark and nothing else, is the floor under `lemonc
check`: in a clean venv it alone is well above 4x, so that target holds only where
`python -c pass` itself is slower (a development venv).
Bytecode is cached as for any user (PYTHONDONTWRITEBYTECODE is dropped, one warm-up run).
Besides wall time, each command's CPU time (user + system, from the kernel) is shown: on a
shared machine it varies less than wall time, and its ratio tells the same story.

Run: python perf/startup.py [--rounds N] [--python PATH ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# What the `lemonc` console script runs.
CONSOLE_SCRIPT = "import sys; from lemonspec.cli import main; sys.exit(main(prog_name='lemonc'))"
COMPLETION = {"_LEMONC_COMPLETE": "bash_complete", "COMP_WORDS": "lemonc ", "COMP_CWORD": "1"}


def commands(python: str) -> dict[str, tuple[list[str], dict[str, str], float | None]]:
    """name: (command, extra environment, target ratio)."""
    lemonc = [python, "-c", CONSOLE_SCRIPT]
    return {
        "python -c pass": ([python, "-c", "pass"], {}, None),
        "lemonc --help": ([*lemonc, "--help"], {}, 10.0),
        "completion": (lemonc, COMPLETION, 10.0),
        "lemonc check": ([*lemonc, "check", str(ROOT / "examples" / "gsm8k.lemon")], {}, 4.0),
        # The floor under `lemonc check`: only importing the libraries it cannot do without.
        "import libraries": ([python, "-c", "import click, attrs, lark"], {}, None),
    }


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float, int, bytes]:
    """(wall seconds, CPU seconds, exit status, stderr) of one run of `command`."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    stderr = process.stderr.read() if process.stderr else b""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime, process.returncode, stderr


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--python", action="append", dest="pythons",
                        help="an interpreter to measure (repeatable; default: this one)")
    parser.add_argument("legacy_rounds", nargs="?", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    rounds = args.legacy_rounds or args.rounds
    pythons = args.pythons or [sys.executable]
    # As a user runs it: bytecode cached after the first run (some shells set
    # PYTHONDONTWRITEBYTECODE, which recompiles this checkout's modules on every start), and
    # one untimed warm-up run of each command to write that cache.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT)
    table = {python: commands(python) for python in pythons}
    for named in table.values():
        for command, extra, _ in named.values():
            timed(command, {**env, **extra})
    wall = {(p, name): [] for p in pythons for name in table[p]}
    cpu = {(p, name): [] for p in pythons for name in table[p]}
    for _ in range(rounds):
        for python, named in table.items():
            for name, (command, extra, _) in named.items():
                seconds, cpu_seconds, code, stderr = timed(command, {**env, **extra})
                if code != 0:
                    raise SystemExit(f"{python}: {name} failed: {stderr.decode()[-500:]}")
                wall[python, name].append(seconds)
                cpu[python, name].append(cpu_seconds)
    for python, named in table.items():
        base = statistics.median(wall[python, "python -c pass"])
        cpu_base = statistics.median(cpu[python, "python -c pass"])
        print(f"{python} ({rounds} rounds)")
        print(f"  {'command':<16} {'wall ms':>8} {'ratio':>7} {'cpu ms':>8} {'ratio':>7}  target")
        for name, (_, _, target) in named.items():
            median, cpu_median = statistics.median(wall[python, name]), statistics.median(
                cpu[python, name])
            ratio = median / base
            goal = f"<= {target:g}x {'ok' if ratio <= target else 'MISSED'}" if target else ""
            print(f"  {name:<16} {median * 1e3:8.0f} {ratio:6.2f}x {cpu_median * 1e3:8.0f} "
                  f"{cpu_median / cpu_base:6.2f}x  {goal}")


if __name__ == "__main__":
    main()
