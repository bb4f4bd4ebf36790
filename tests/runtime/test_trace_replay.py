"""The JSONL trace, and replay from it without calling any model."""

import json

import pytest

from lemonspec.runtime import RecordedRun, TraceError, TraceWriter, read_trace, run_team_sync

from .conftest import fake, profile_for, says_name, team

SPEC = """
team t {
    agent a: MathAnalyst { duty: "Break it down." }
    agent b: MathSolver { after: a }
    agent c: Critic {}
    agent d: Inspector { after: b, c }
    output: d
}
"""


def test_the_trace_records_each_event_in_order(tmp_path):
    model = fake(says_name)
    path = tmp_path / "run.jsonl"
    result = run_team_sync(team(SPEC), "Q", profile=profile_for(model), trace=path)
    events = read_trace(path)
    names = [e["event"] for e in events]
    assert names[0] == "run_started" and names[-1] == "run_finished"
    assert events[0]["input"] == "Q" and events[-1]["answer"] == result.answer
    assert {e["run_id"] for e in events} == {result.run_id}
    for agent in "abcd":
        mine = [e["event"] for e in events if e.get("agent") == agent]
        assert mine == ["agent_started", "llm_request", "llm_response", "agent_finished"]
    response = next(e for e in events if e["event"] == "llm_response")
    assert {"prompt_tokens", "completion_tokens", "cost", "seconds", "text"} <= response.keys()
    times = [e["t"] for e in events]
    assert times == sorted(times)


def test_events_are_flushed_as_they_happen(tmp_path):
    path = tmp_path / "run.jsonl"
    seen_while_running = []

    def rule(call):
        seen_while_running.append(len(path.read_text().splitlines()))  # a reader mid-run
        return "x"

    run_team_sync(team(SPEC), "Q", profile=profile_for(fake(rule)), trace=path)
    assert seen_while_running[0] >= 3  # run_started, agent_started, llm_request
    assert seen_while_running == sorted(seen_while_running)


def test_failures_are_traced(tmp_path):
    from lemonspec.runtime import Fault

    model = fake(says_name, faults=[Fault("bad_request", calls={1})])
    path = tmp_path / "run.jsonl"
    with TraceWriter(path) as writer:
        run_team_sync(team("team t { agent a: MathSolver {} }"), "Q",
                      profile=profile_for(model), trace=writer)
    events = [e["event"] for e in read_trace(path)]
    assert events == ["run_started", "agent_started", "llm_request", "llm_error",
                      "agent_failed", "run_finished"]


def test_replay_gives_the_same_answer_without_calling_a_model(tmp_path):
    model = fake(says_name)
    path = tmp_path / "run.jsonl"
    original = run_team_sync(team(SPEC), "Q", profile=profile_for(model), trace=path)
    calls = len(model.calls)
    replayed = run_team_sync(team(SPEC), "Q", profile=profile_for(model), replay=path)
    assert len(model.calls) == calls  # no model called
    assert replayed.answer == original.answer
    assert [a.output for a in replayed.agents] == [a.output for a in original.agents]
    assert [a.prompt_tokens for a in replayed.agents] == [a.prompt_tokens for a in original.agents]


def test_a_replay_reports_the_recorded_totals(tmp_path):
    path = tmp_path / "run.jsonl"
    original = run_team_sync(team(SPEC), "Q", profile=profile_for(fake(says_name)), trace=path)
    replayed = run_team_sync(team(SPEC), "Q", replay=path)
    assert replayed.replayed and all(a.replayed for a in replayed.agents)
    assert original.prompt_tokens > 0 and original.seconds > 0
    for total in ("model_calls", "cache_hits", "prompt_tokens", "completion_tokens", "cost",
                  "seconds"):
        assert getattr(replayed, total) == getattr(original, total), total


def test_a_replay_on_another_input_is_refused(tmp_path):
    path = tmp_path / "run.jsonl"
    run_team_sync(team(SPEC), "What is 2+3?", profile=profile_for(fake(says_name)), trace=path)
    with pytest.raises(TraceError, match="recorded on another input.*'What is 2\\+3\\?'"):
        run_team_sync(team(SPEC), "What is 4+4?", replay=path)


def test_replay_of_a_changed_team_names_the_agents_it_cannot_replay(tmp_path):
    path = tmp_path / "run.jsonl"
    run_team_sync(team(SPEC), "Q", profile=profile_for(fake(says_name)), trace=path)
    edited = team(SPEC.replace('duty: "Break it down."', 'duty: "Other."'))
    result = run_team_sync(edited, "Q", profile=profile_for(fake(says_name)),
                           replay=RecordedRun.load(path))
    status = {a.name: a.status for a in result.agents}
    assert status == {"a": "failed", "b": "skipped", "c": "ok", "d": "skipped"}
    assert "agent 'a' has no recorded output" in result.agent("a").error


def test_replay_takes_the_last_run_of_a_trace_with_several(tmp_path):
    path = tmp_path / "run.jsonl"
    first = run_team_sync(team(SPEC), "first", profile=profile_for(fake(says_name)), trace=path)
    second = run_team_sync(team(SPEC), "second", profile=profile_for(fake(says_name)),
                           trace=path)
    recorded = RecordedRun.load(path)
    assert recorded.task_input == "second" and first.answer != second.answer
    assert run_team_sync(team(SPEC), "second", replay=recorded).answer == second.answer
    assert json.loads(path.read_text().splitlines()[0])["input"] == "first"


def test_replay_and_import_never_load_litellm(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "run.jsonl"
    run_team_sync(team(SPEC), "Q", profile=profile_for(fake(says_name)), trace=path)
    script = (
        "import sys\n"
        "from lemonspec.compiler import compile_text\n"
        "from lemonspec.runtime import run_team_sync\n"
        f"ir = compile_text({SPEC!r})\n"
        f"result = run_team_sync(ir, 'Q', replay={str(path)!r})\n"
        "assert result.ok and result.replayed, result\n"
        "print(sorted(m for m in ('litellm', 'torch', 'transformers') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_a_torn_trace_line_from_a_killed_writer_is_skipped_and_appending_goes_on(tmp_path):
    from lemonspec.runtime.trace import TraceWriter, read_trace

    path = tmp_path / "trace.jsonl"
    path.write_text('{"event": "run_started", "run_id": "a"}\n{"event": "agent_fin')
    with TraceWriter(path) as write:
        write({"event": "run_started", "run_id": "b"})
    assert [e["run_id"] for e in read_trace(path)] == ["a", "b"]
