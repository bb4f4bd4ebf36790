"""Within every allowed Limits (up to CEILINGS): no recursion limit is reachable and check,
lower and fmt grow linearly. The full curve up to the largest spec is
perf/compiler_scaling.py; these are its small, fast ends."""

import gc
import sys
import time

import pytest

from lemonspec.compiler import Limits, check_text, compile_text, format_text
from lemonspec.compiler.unit import CEILINGS
from tests.compiler.large_specs import chain, comments

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


def best_seconds(fn, texts, repeats=3):
    """Best time of fn on each text, interleaved so that machine load hits all alike."""
    best = [float("inf")] * len(texts)
    for _ in range(repeats):
        for i, text in enumerate(texts):
            gc.collect()
            start = time.perf_counter()
            fn(text)
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def lowered(text):
    compile_text(text, limits=LARGEST)


def formatted(text):
    format_text(text, limits=LARGEST)


@pytest.mark.parametrize("fn, make, size", [(lowered, chain, 8_000), (formatted, chain, 8_000),
                                            (formatted, comments, 20_000)],
                         ids=["check+lower chain", "fmt chain", "fmt comments"])
def test_ten_times_the_spec_takes_about_ten_times_as_long(fn, make, size):
    small, large = make(size), make(10 * size)
    fn(small)  # warm the parser tables
    t_small, t_large = best_seconds(fn, [small, large])
    # Linear is ~10x; fmt's old list.pop(0) gave ~25x for these comments (and 51x from
    # 80 KB to 800 KB). The bound leaves room for a loaded machine.
    assert t_large / t_small < 20, (t_small, t_large)


def test_the_collector_is_paused_only_while_the_compiler_runs():
    import gc

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
