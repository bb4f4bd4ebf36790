"""Reading a trace: every agent's status, numbers and edges; layers by dependency depth."""

from __future__ import annotations

import json

import pytest

from lemonspec.view.model import ViewError, layers, read_runs

from .conftest import AGENTS, ATTACK


def test_a_traced_run_is_read_back_agent_by_agent(trace):
    runs, problems = read_runs(trace)
    assert problems == [] and len(runs) == 1
    run = runs[0]
    assert run.team == "hostile" and run.ok is False and run.problems == ()
    by_name = {a.name: a for a in run.agents}
    assert tuple(by_name) == AGENTS
    assert {n: a.status for n, a in by_name.items()} == {
        "reader": "ok", "writer": "ok", "second": "ok", "doomed": "failed",
        "after_doom": "skipped", "judge": "ok"}
    writer = by_name["writer"]
    assert writer.capacity == "large" and writer.model.startswith("fake/")
    assert writer.after == ("reader",) and writer.prompt_tokens > 0
    assert writer.started >= by_name["reader"].finished  # it waited for the reader
    assert ATTACK in writer.output
    assert [m["role"] for m in writer.messages] == ["system", "user"]
    assert "refuses" in by_name["doomed"].error
    assert "doomed" in by_name["after_doom"].error
    # writer and second both wait only for reader and run at the same time
    second = by_name["second"]
    assert second.started < writer.finished and writer.started < second.finished


def test_layers_are_topological_depths(trace):
    (run,), _ = read_runs(trace)
    assert [[a.name for a in layer] for layer in layers(run.agents)] == [
        ["reader"], ["writer", "second", "doomed"], ["after_doom", "judge"]]


def test_a_torn_trace_without_its_end_is_shown_with_what_is_missing(trace, tmp_path):
    lines = trace.read_text(encoding="utf-8").splitlines(keepends=True)
    finished = next(i for i, line in enumerate(lines) if '"agent_finished"' in line
                    and '"judge"' in line)
    torn = tmp_path / "torn.jsonl"
    torn.write_text("".join(lines[:finished]) + lines[finished][:40], encoding="utf-8")
    (run,), problems = read_runs(torn)
    assert any("torn line" in p for p in problems)
    assert run.ok is None and any("run_finished" in p for p in run.problems)
    assert {a.name: a.status for a in run.agents}["judge"] == "running"
    assert "no end recorded for 1 agent: judge" in run.problems


@pytest.mark.parametrize("content, message", [
    ("", "is empty"),
    ("\n\n", "is empty"),
    ('{"level": "info", "msg": "another tool"}\n{"level": "warn"}\n', "holds no lemonspec run"),
    ("not json at all\n", "not a JSONL trace"),
    ("[1, 2]\n", "not a JSONL trace"),
])
def test_empty_and_foreign_files_are_a_clear_error(tmp_path, content, message):
    path = tmp_path / "x.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ViewError, match=message):
        read_runs(path)


def test_a_cyclic_or_dangling_hostile_graph_still_has_layers(tmp_path):
    events = [{"event": "run_started", "run_id": "r", "t": 0, "team": "t",
               "agents": ["a", "b", "c"], "after": {"a": ["c"], "b": ["a", "ghost"],
                                                     "c": ["b"]}}]
    path = tmp_path / "cycle.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    (run,), _ = read_runs(path)
    assert sorted(a.name for layer in layers(run.agents) for a in layer) == ["a", "b", "c"]


def test_a_long_chain_does_not_overflow_the_stack(tmp_path):
    names = [f"a{i}" for i in range(5000)]
    after = {n: [names[i - 1]] if i else [] for i, n in enumerate(names)}
    path = tmp_path / "chain.jsonl"
    path.write_text(json.dumps({"event": "run_started", "run_id": "r", "t": 0,
                                "agents": names, "after": after}) + "\n", encoding="utf-8")
    (run,), _ = read_runs(path)
    assert len(layers(run.agents)) == 5000


def _events():
    from hypothesis import strategies as st

    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text()
    values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)
    keys = st.sampled_from(["event", "run_id", "agent", "agents", "after", "t", "output",
                            "messages", "model", "cached", "seconds", "prompt_tokens", "ok",
                            "error", "reason", "capacity", "answer", "cost", "team"])
    kinds = st.sampled_from(["run_started", "agent_started", "llm_request", "agent_finished",
                             "agent_failed", "agent_skipped", "run_finished", "other"])
    event = st.fixed_dictionaries({"event": kinds, "run_id": st.sampled_from(["r1", "r2"]),
                                   "agent": st.sampled_from(["a", "b", "<c>"])},
                                  optional={k: values for k in ("agents", "after", "t",
                                                                "messages", "output", "cached",
                                                                "ok", "seconds", "cost")})
    return st.lists(event | st.dictionaries(keys, values, max_size=4), max_size=12)


def test_any_events_give_a_page_or_a_view_error(tmp_path):
    from hypothesis import HealthCheck, given, settings

    from lemonspec.view.page import trace_page

    path = tmp_path / "fuzz.jsonl"

    @settings(max_examples=60, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(_events())
    def check(events):
        path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
        try:
            runs, problems = read_runs(path)
        except ViewError:
            return
        page = trace_page(runs, problems, "fuzz.jsonl")
        assert page.count("<script") == 1 and "<c>" not in page

    check()
