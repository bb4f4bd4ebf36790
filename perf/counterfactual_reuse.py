"""Benchmark 4: how many model calls the node cache saves on counterfactual runs.

For every shipped example spec and every legal edit of the paper's three families (drop one
dependency, roll a duty back to its base role, lower a capacity), the trainer runs the
original team and then the edited one. Without a node cache the edited run calls a model for
every agent; with it, only for the edited agent and its descendants. The fake model's answers
depend on everything an agent is told, as a real model's would.

Run: python perf/counterfactual_reuse.py
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path

from lemonspec.compiler import compile_file, compile_text
from lemonspec.compiler.edits import FAMILIES, legal_edits
from lemonspec.runtime import MemoryCache, ScriptedModel, run_team_sync, uniform_profile

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def answer(call) -> str:
    return f"{call.agent}: {hashlib.sha256(repr(call.messages).encode()).hexdigest()[:12]}"


def main() -> None:
    fake = ScriptedModel("counterfactual", answer)
    profile = uniform_profile(fake.model)
    with_cache, without_cache = defaultdict(int), defaultdict(int)
    edits = defaultdict(int)
    for path in sorted(EXAMPLES.glob("*.lemon")):
        text = path.read_text(encoding="utf-8")
        original = compile_file(path)
        for family in FAMILIES:
            for edit in legal_edits(text, family, path=str(path)):
                edited = compile_text(edit.text, str(path))
                cache = MemoryCache()
                run_team_sync(original, "task", profile=profile, cache=cache)
                result = run_team_sync(edited, "task", profile=profile, cache=cache)
                assert result.ok
                with_cache[family] += result.model_calls
                without_cache[family] += len(edited.agents)
                edits[family] += 1
    print(f"{'family':<16} {'edits':>5} {'calls, no cache':>16} {'calls, node cache':>18} "
          f"{'ratio':>6}")
    for family in (*FAMILIES, "all"):
        n, calls, cached = ((sum(d.values()) if family == "all" else d[family])
                            for d in (edits, without_cache, with_cache))
        print(f"{family:<16} {n:>5} {calls:>16} {cached:>18} {cached / calls:>6.2f}")


if __name__ == "__main__":
    main()
