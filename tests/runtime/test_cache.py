"""The node cache: after an edit, only the edited agent and its descendants call a model."""

import attrs
import pytest

from lemonspec.compiler import compile_file, compile_text
from lemonspec.compiler.edits import FAMILIES, legal_edits
from lemonspec.runtime import MemoryCache, SqliteCache, run_team_sync

from .conftest import EXAMPLES, fake, profile_for, says_name, team

EXAMPLE_FILES = ["gsm8k.lemon", "humaneval.lemon", "mmlu.lemon"]


def _descendants(ir, name):
    found, frontier = set(), [name]
    while frontier:
        for child in ir.dependents(frontier.pop()):
            if child not in found:
                found.add(child)
                frontier.append(child)
    return found


def _edits():
    for file in EXAMPLE_FILES:
        text = (EXAMPLES / file).read_text()
        for family in FAMILIES:
            for edit in legal_edits(text, family, path=str(EXAMPLES / file)):
                yield pytest.param(file, edit, id=f"{file}:{edit.detail}")


@pytest.mark.parametrize("file, edit", list(_edits()))
def test_after_an_edit_only_the_edited_agent_and_its_descendants_run(file, edit):
    path = str(EXAMPLES / file)
    original, edited = compile_file(path), compile_text(edit.text, path)
    model, cache = fake(says_name), MemoryCache()
    profile = profile_for(model)
    run_team_sync(original, "Q", profile=profile, cache=cache)
    calls_before = len(model.calls)

    result = run_team_sync(edited, "Q", profile=profile, cache=cache)

    affected = {edit.agent} | _descendants(edited, edit.agent)
    assert {a.name for a in result.agents if a.called_model} == affected
    assert len(model.calls) - calls_before == len(affected) == result.model_calls
    assert result.cache_hits == len(edited.agents) - len(affected)
    # the IR hashes say the same: exactly the affected agents have new hashes
    old_hashes = {a.hash for a in original.agents}
    assert {a.name for a in edited.agents if a.hash not in old_hashes} == affected


def test_all_three_families_are_exercised():
    families = {p.values[1].family for p in _edits()}
    assert families == set(FAMILIES)


SPEC = """
team t {
    agent a: MathAnalyst { capacity: small }
    agent b: MathSolver { capacity: large after: a }
    output: b
}
"""


def test_a_rerun_is_served_entirely_from_the_cache():
    model, cache = fake(says_name), MemoryCache()
    first = run_team_sync(team(SPEC), "Q", profile=profile_for(model), cache=cache)
    again = run_team_sync(team(SPEC), "Q", profile=profile_for(model), cache=cache)
    assert again.model_calls == 0 and again.cache_hits == 2 and again.answer == first.answer
    assert again.prompt_tokens == 0  # a hit spends nothing
    assert again.agent("b").prompt_tokens == first.agent("b").prompt_tokens  # but says what it cost


def test_the_key_covers_task_input_sample_and_parameters():
    model, cache = fake(says_name), MemoryCache()
    run = lambda text, **o: run_team_sync(team(SPEC), text, cache=cache, **o)
    assert run("Q", profile=profile_for(model)).model_calls == 2
    assert run("other", profile=profile_for(model)).model_calls == 2
    assert run("Q", profile=profile_for(model), sample=1).model_calls == 2
    assert run("Q", profile=profile_for(model, max_tokens=7)).model_calls == 2
    assert run("Q", profile=profile_for(model), sample=1).model_calls == 0


def test_a_new_model_for_an_upstream_level_invalidates_its_descendants():
    # b's IR hash does not change, but its input does: the key sees the input
    by_model = lambda call: f"{call.model} says {says_name(call)}"
    small_a, small_b, large = fake(by_model), fake(by_model), fake(by_model)
    cache = MemoryCache()

    def profile(small):
        base = profile_for(large)
        configs = {**base.configs, "small": attrs.evolve(base.config("small"), model=small.model)}
        return attrs.evolve(base, configs=configs)

    run_team_sync(team(SPEC), "Q", profile=profile(small_a), cache=cache)
    result = run_team_sync(team(SPEC), "Q", profile=profile(small_b), cache=cache)
    assert result.model_calls == 2


def test_the_disk_cache_survives_the_process(tmp_path):
    model = fake(says_name)
    path = tmp_path / "nodes.sqlite"
    first = run_team_sync(team(SPEC), "Q", profile=profile_for(model), cache=SqliteCache(path))
    reopened = SqliteCache(path)
    assert len(reopened) == 2
    again = run_team_sync(team(SPEC), "Q", profile=profile_for(model), cache=reopened)
    assert again.model_calls == 0 and again.answer == first.answer
    assert reopened.stats.hits == 2


def test_concurrent_runs_sharing_a_cache_call_each_node_once():
    import asyncio

    from lemonspec.runtime import run_team

    model, cache = fake(says_name, latency=0.05), MemoryCache()

    async def group():
        runs = [run_team(team(SPEC), "Q", profile=profile_for(model), cache=cache)
                for _ in range(4)]
        return await asyncio.gather(*runs)

    results = asyncio.run(group())
    assert len(model.calls) == 2  # not 8: the other runs awaited the first one's answers
    assert len({r.answer for r in results}) == 1
    assert sum(r.model_calls for r in results) == 2


def test_a_failed_leader_lets_the_waiting_runs_call_for_themselves():
    import asyncio

    from lemonspec.runtime import Fault, run_team

    model = fake(says_name, latency=0.05, faults=[Fault("bad_request", calls={1})])
    cache = MemoryCache()
    spec = "team t { agent a: MathSolver {} }"

    async def pair():
        return await asyncio.gather(*(run_team(team(spec), "Q", profile=profile_for(model),
                                               cache=cache) for _ in range(2)))

    first, second = asyncio.run(pair())
    assert not first.ok and second.ok and len(model.calls) == 2
