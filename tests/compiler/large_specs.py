"""Large valid specs of a chosen size, for the scaling test and benchmark
(tests/compiler/test_scaling.py, perf/compiler_scaling.py)."""

from __future__ import annotations


def chain(target_bytes: int) -> str:
    """A team whose agents form one chain, declared last-first, about target_bytes long."""
    lines, n = [], 0
    size = 0
    while size < target_bytes - 200:
        line = f"    agent a{n}: MathSolver {{ after: a{n - 1} }}\n" if n else ""
        lines.append(line)
        size += len(line) + 1
        n += 1
    first = "    agent a0: MathSolver {}\n"
    body = "\n".join(reversed(lines[1:])) + "\n" + first
    return f"team chain {{\n{body}    output: a{n - 1}\n}}\n"


def comments(target_bytes: int) -> str:
    """A two-agent team under (and inside) comment lines, about target_bytes long."""
    line = "#\n"  # the most comments per byte: fmt was quadratic in their number
    pairs = max(1, (target_bytes - 200) // (len(line) + len(line) + 4))
    head, inner = line * pairs, ("    " + line) * pairs
    return (f"{head}team notes {{\n{inner}    agent a: MathSolver {{}}\n"
            f"    agent b: Inspector {{ after: a }}\n}}\n")
