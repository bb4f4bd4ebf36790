"""Start-up of `lemonc`, side by side with `python -c pass` in one run, interleaved so that
machine noise hits every command alike. Medians of N rounds (default 21).

Targets: `lemonc --help` and shell completion of command names <= 10x `python -c pass`
(they load no command module and nothing heavy); `lemonc check` on a small file <= 4x.

Run: python perf/startup.py [rounds]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# What the `lemonc` console script runs.
CONSOLE_SCRIPT = "import sys; from lemonspec.cli import main; sys.exit(main(prog_name='lemonc'))"
LEMONC = [sys.executable, "-c", CONSOLE_SCRIPT]
COMPLETION = {"_LEMONC_COMPLETE": "bash_complete", "COMP_WORDS": "lemonc ", "COMP_CWORD": "1"}
# name: (command, extra environment, target ratio)
COMMANDS = {
    "python -c pass": ([sys.executable, "-c", "pass"], {}, None),
    "lemonc --help": ([*LEMONC, "--help"], {}, 10.0),
    "completion": (LEMONC, COMPLETION, 10.0),
    "lemonc check": ([*LEMONC, "check", str(ROOT / "examples" / "gsm8k.lemon")], {}, 4.0),
}


def main(rounds: int = 21) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(rounds):
        for name, (command, extra, _) in COMMANDS.items():
            start = time.perf_counter()
            done = subprocess.run(command, env={**env, **extra}, cwd=ROOT, capture_output=True,
                                  check=False)
            times[name].append(time.perf_counter() - start)
            if done.returncode != 0:
                raise SystemExit(f"{name} failed: {done.stderr.decode()[-500:]}")
    base = statistics.median(times["python -c pass"])
    print(f"{'command':<16} {'median ms':>9} {'ratio':>7}  target")
    for name, (_, _, target) in COMMANDS.items():
        median = statistics.median(times[name])
        goal = f"<= {target:g}x {'ok' if median / base <= target else 'MISSED'}" if target else ""
        print(f"{name:<16} {median * 1e3:9.0f} {median / base:6.2f}x  {goal}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
