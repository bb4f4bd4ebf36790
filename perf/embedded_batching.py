"""Benchmark 3: the embedded model's batching. Eight independent agents, each asked for a
long answer, run through the executor twice on the embedded SmolLM2-135M: concurrently
(the provider batches them into shared forward passes) and one at a time (concurrency 1).
Throughput is completion tokens per second of wall time. Target: batched >= 3x one-at-a-time.

Run: python perf/embedded_batching.py [max_tokens=48]
"""

from __future__ import annotations

import asyncio
import os
import sys
import time

from lemonspec.compiler.ir import AgentNode, OutputRule, TeamIR, node_hash
from lemonspec.runtime import EMBEDDED_MODEL, load_embedded_model, run_team, uniform_profile
from lemonspec.runtime.embedded import embedded_batcher

TOPICS = ("fruits", "animals", "countries", "colors", "tools", "rivers", "sports", "metals")


def independent_team() -> TeamIR:
    agents = []
    for topic in TOPICS:
        name, role = f"lister_{topic}", "Lister"
        instructions = f"You list {topic}. Write a long numbered list, one per line."
        agents.append(AgentNode(name, role, instructions, None, instructions, "medium", (), 0,
                                node_hash(name, role, instructions, "medium", [])))
    return TeamIR("eight", None, "", ("small", "medium", "large"), tuple(agents),
                  OutputRule("vote", tuple(a.name for a in agents)))


async def timed(ir: TeamIR, profile, concurrency: int) -> tuple[float, int, list[int]]:
    start = time.perf_counter()
    result = await run_team(ir, "Write the list now.", profile=profile, concurrency=concurrency)
    seconds = time.perf_counter() - start
    assert result.ok, [a.error for a in result.failures]
    return seconds, result.completion_tokens, list(embedded_batcher().batch_sizes)


def main(max_tokens: int) -> None:
    start = time.perf_counter()
    load_embedded_model()
    print(f"model loaded in {time.perf_counter() - start:.1f}s; 8 agents, "
          f"max_tokens={max_tokens}, greedy; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores (other processes slow both rows)")
    ir = independent_team()
    profile = uniform_profile(EMBEDDED_MODEL, max_tokens=max_tokens, retries=0, timeout=900)
    warm = uniform_profile(EMBEDDED_MODEL, max_tokens=2, retries=0, timeout=900)
    asyncio.run(timed(ir, warm, 8))  # first forward passes are slower
    rows = {}
    for label, concurrency in (("one at a time", 1), ("batched", 8)):
        seconds, tokens, sizes = asyncio.run(timed(ir, profile, concurrency))
        rows[label] = tokens / seconds
        print(f"{label:<14} {seconds:7.2f}s {tokens:5d} tokens {tokens / seconds:7.1f} tok/s "
              f"batches {sizes}")
    print(f"throughput ratio batched / one at a time: "
          f"{rows['batched'] / rows['one at a time']:.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 48)
