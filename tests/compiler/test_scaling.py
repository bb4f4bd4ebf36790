"""Within every allowed Limits (up to CEILINGS): no recursion limit is reachable and the
largest specs are handled. That check, lower and fmt grow linearly is a speed claim, so it is
measured side by side by perf/compiler_scaling.py (the time/size curve up to the largest spec),
not asserted here: a timed ratio fails on a loaded CI machine."""

import gc
import sys

import pytest

from lemonspec.compiler import Limits, check_text, compile_text, format_text
from lemonspec.compiler.unit import CEILINGS
from tests.compiler.large_specs import chain

LARGEST = Limits.largest()


def test_limits_can_be_raised_only_to_their_ceilings():
    assert Limits.largest() == Limits(**CEILINGS)
    for name, ceiling in CEILINGS.items():
        with pytest.raises(ValueError, match=name):
            Limits(**{name: ceiling + 1})
        with pytest.raises(ValueError, match=name):
            Limits(**{name: 0})


def test_a_long_chain_declared_last_first_compiles_without_recursion():
    text = chain(140_000)  # ~3,000 agents: three times Python's default recursion limit
    agents = text.count("agent ")
    assert agents > 3 * sys.getrecursionlimit()
    assert [d.code for d in check_text(text).diagnostics] == ["E0902"]  # as E0902 helps:
    ir = compile_text(text, limits=Limits(max_agents=agents))  # raise the limit
    assert [a.stage for a in ir.agents] == list(range(agents))
    assert len(ir.stages) == agents and ir.agents[-1].after == (ir.agents[-2].name,)


def test_a_long_dependency_cycle_is_reported_whole():
    text = chain(100_000)
    last = text.count("agent ") - 1
    text = text.replace("agent a0: MathSolver {}", f"agent a0: MathSolver {{ after: a{last} }}")
    [found] = [d for d in check_text(text, limits=LARGEST).diagnostics if d.is_error]
    # The whole loop, from the agent declared first (the chain is declared last-first).
    assert found.code == "E0401" and found.message.startswith(
        f"dependency cycle: a{last} -> a{last - 1} -> ")
    assert found.message.endswith(f"-> a0 -> a{last}") and found.message.count("->") == last + 1


def test_the_collector_is_paused_only_while_the_compiler_runs():

    text = chain(4_000)
    try:
        assert gc.isenabled()
        compile_text(text, limits=LARGEST)
        format_text(text)
        assert gc.isenabled()
        gc.disable()
        check_text(text)
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()
