"""lemonspec.display: plain lines when stderr is not a terminal, a live status when it is."""

import io
import time

from rich.console import Console

from lemonspec.display import SamplingProgress, Stages


def console(terminal: bool) -> Console:
    return Console(file=io.StringIO(), force_terminal=terminal, width=40)


def test_not_on_a_terminal_each_stage_and_each_sampled_team_is_one_unwrapped_line():
    shown = Stages(console(False))
    with shown:
        shown.stage("loading the orchestrator model (" + "/very/long/folder" * 5 + ")")
        shown.update("a redraw that a log does not want")
        shown.sampling(SamplingProgress(0, 3, 10, 1.0))  # nothing done yet: no line
        shown.sampling(SamplingProgress(2, 3, 120, 2.0))  # two finished in one step
        shown.sampling(SamplingProgress(3, 3, None, 3.0))  # a provider that counts nothing
    assert shown.console.file.getvalue().split("\n") == [
        "loading the orchestrator model (" + "/very/long/folder" * 5 + ")",
        "sampled team 1/3 (120 tokens, 60.0 tokens/s)",
        "sampled team 2/3 (120 tokens, 60.0 tokens/s)",
        "sampled team 3/3",
        "",
    ]


def test_on_a_terminal_the_status_is_live_and_names_the_rate():
    shown = Stages(console(True))
    assert shown.live
    with shown:
        shown.sampling(SamplingProgress(1, 4, 300, 10.0))
        assert shown._status.status == "sampling teams: 1/4 done, 300 tokens, 30.0 tokens/s"
    assert shown._status is None  # stopped on leaving


def test_a_result_line_goes_to_stdout_whole_while_the_status_steps_aside(capsys):
    shown = Stages(console(True))
    with shown:
        shown.stage("sampling teams")
        shown.echo("generated/task-s0-0.lemon: ok")
        shown.stage("checking team 2/2")
        # Back after the line: the status is drawn again (its refresh thread redraws it
        # within a tick; a status left stopped never would).
        deadline = time.monotonic() + 10
        while "checking team 2/2" not in shown.console.file.getvalue():
            assert time.monotonic() < deadline, "the status was not drawn again"
            time.sleep(0.02)
    assert capsys.readouterr().out == "generated/task-s0-0.lemon: ok\n"
    drawn = shown.console.file.getvalue()
    assert "sampling teams" in drawn and "generated" not in drawn  # results never on stderr
