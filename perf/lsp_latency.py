"""Language server latency per keystroke on a 100-agent file, measured over stdio.

A real client (pygls's) starts `lemonc lsp`, opens a file of 100 agents (two teams of 50,
so the whole checker runs: the limit is 64 agents a team) and types into it one character
at a time. For each keystroke it prints the milliseconds from sending didChange to receiving
the diagnostics of that version; then the same for hover and completion requests, and for
a burst of keystrokes 30 ms apart (the time from the last one to its diagnostics), and the
server's start-up (spawn to the answer to `initialize`).

Run: python perf/lsp_latency.py [--keystrokes 40]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from lsprotocol import types

from tests.lsp.client import ROOT, Session


def spec(agents: int = 100, teams: int = 2) -> str:
    parts = []
    per = agents // teams
    for t in range(teams):
        parts.append(f'team part{t} {{\n    goal: "Solve it."\n')
        for i in range(per):
            after = f"\n        after: a{i - 1}" + (f", a{i - 2}" if i > 1 else "") if i else ""
            parts.append(f'\n    agent a{i}: MathSolver {{\n        duty: "Step {i}."\n'
                         f"        capacity: small{after}\n    }}\n")
        parts.append(f"\n    output: a{per - 1}\n}}\n\n")
    return "".join(parts)


def summary(name: str, values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(0.95 * len(values)))]
    return (f"{name:<34} n={len(values):>3}  median {statistics.median(values):6.1f} ms  "
            f"p95 {p95:6.1f} ms  max {values[-1]:6.1f} ms")


async def main(keystrokes: int) -> None:
    session = Session()
    started = time.perf_counter()
    await session.start()
    startup = (time.perf_counter() - started) * 1000
    text = spec()
    path = ROOT / "latency-100-agents.lemon"
    uri = session.open(path, text)
    await session.diagnostics_for(uri, session.versions[uri], timeout=60)
    anchor = text.index('duty: "Step 40.') + len('duty: "Step 40')
    ident = types.TextDocumentIdentifier(uri=uri)
    typed, per_key = "", []
    for i in range(keystrokes):
        typed += "x "[i % 2]
        started = time.perf_counter()
        version = session.change(uri, text[:anchor] + typed + text[anchor:])
        found = await session.diagnostics_for(uri, version, timeout=60)
        per_key.append((time.perf_counter() - started) * 1000)
        print(f"keystroke {i + 1:>3}: {per_key[-1]:6.1f} ms  ({len(found)} diagnostics)")
    # A keystroke that breaks the file (an unclosed string) and one that mends it.
    broken = []
    for i in range(keystrokes // 2):
        for document in (text[:anchor] + '"' + text[anchor:], text):
            started = time.perf_counter()
            version = session.change(uri, document)
            await session.diagnostics_for(uri, version, timeout=60)
            broken.append((time.perf_counter() - started) * 1000)
    where = types.Position(line=text[:anchor].count("\n") + 2, character=20)
    hover, complete = [], []
    for _ in range(keystrokes // 2):
        started = time.perf_counter()
        await session.client.text_document_hover_async(
            types.HoverParams(text_document=ident, position=where))
        hover.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        await session.client.text_document_completion_async(
            types.CompletionParams(text_document=ident, position=where))
        complete.append((time.perf_counter() - started) * 1000)
    burst = []
    for _ in range(5):
        for i in range(20):
            version = session.change(uri, text[:anchor] + "y" * (i + 1) + text[anchor:])
            last = time.perf_counter()
            await asyncio.sleep(0.03)
        await session.diagnostics_for(uri, version, timeout=60)
        burst.append((time.perf_counter() - last) * 1000)
    await session.stop()
    print()
    print(f"{'start-up (spawn -> initialized)':<34} {startup:6.0f} ms")
    print(summary("didChange -> diagnostics", per_key))
    print(summary("breaking/mending keystroke", broken))
    print(summary("hover", hover))
    print(summary("completion", complete))
    print(summary("burst of 20 at 30 ms: last -> diags", burst))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keystrokes", type=int, default=40)
    asyncio.run(main(parser.parse_args().keystrokes))
