"""The designer folder and the commands: a round trip, refusals of other methods and
versions, a search that runs out of budget saves what it has, and bench evaluates a saved
designer per item into the usual results file."""

import json

import attrs
import pytest
from click.testing import CliRunner

from lemonspec.benchmarks.errors import Error
from lemonspec.cli import main
from lemonspec.compiler import compile_text
from lemonspec.designers import simulated
from lemonspec.designers.design import train_designer
from lemonspec.designers.space import Design, Space, read_by_output, render
from lemonspec.designers.store import DesignerWriter, check_fits, load

pytest.importorskip("torch")

TINY = ["--set", "iterations=1", "--set", "batch_size=2"]


def test_a_saved_designer_keeps_the_role_descriptions_it_was_trained_with(tmp_path):
    """The per-query designers embed role descriptions: a folder designs with the ones of
    its training, not with a later standard library's wording (which would move its teams
    without a word)."""
    out = tmp_path / "g"
    train_designer("gdesigner", "simulator", out=out, settings={"iterations": 1,
                                                                "batch_size": 2})
    manifest = json.loads((out / "manifest.json").read_text())
    saved = dict(manifest["space"]["descriptions"])
    assert saved["MathSolver"] == Space.for_dataset("simulator", ("small",), "small") \
        .role_description("MathSolver")
    reworded = dict(saved, MathSolver="A different wording of the solver.")
    manifest["space"]["descriptions"] = sorted(reworded.items())
    (out / "manifest.json").write_text(json.dumps(manifest))
    space = load(out).space
    assert space.role_description("MathSolver") == "A different wording of the solver."
    old = {k: v for k, v in space.to_json().items() if k != "descriptions"}
    assert Space.from_json(old).role_description("MathSolver") == saved["MathSolver"]


def test_a_vote_design_renders_a_typed_vote_every_voter_told_the_format():
    space = Space.for_dataset("simulator", ("small", "medium", "large"), "small")
    design = Design(("MathAnalyst", "MathSolver", "Inspector", "ProgrammingExpert"),
                    ("small",) * 4, {(0, 1), (3, 1)}, (2, 0, 1))
    ir = compile_text(render(design, space), "<t>", levels=space.levels, default_level="small")
    assert ir.output.kind == "vote"
    assert ir.output.agents == ("inspector", "math_analyst", "math_solver")
    told = {a.name for a in ir.agents if space.answer_format in (a.duty or "")}
    assert told == set(ir.output.agents)  # the voters, not the agent they read
    assert "answer: number" in render(design, space)
    with pytest.raises(ValueError, match="answer type"):
        render(design, attrs.evolve(space, answer=None))
    with pytest.raises(ValueError, match="distinct"):
        Design(("MathAnalyst", "MathSolver"), ("small",) * 2, (), (1, 1))


def test_rendered_designs_compile_with_levels_roles_and_edges():
    space = Space.for_dataset("simulator", ("small", "medium", "large"), "small")
    design = Design(("MathAnalyst", "MathSolver", "Inspector"), ("small", "large", "small"),
                    {(0, 1), (1, 2)}, 2)
    ir = compile_text(render(design, space), "<t>", levels=space.levels, default_level="small")
    by_role = {a.role: a for a in ir.agents}
    assert by_role["MathSolver"].capacity == "large"
    assert ir.output.agents == ("inspector",)
    with pytest.raises(ValueError, match="DAG"):
        Design(("MathSolver", "Inspector"), ("small", "small"), {(0, 1), (1, 0)}, 1)
    assert read_by_output(3, {(0, 1)}, 2) == {(0, 1), (1, 2)}


def test_train_save_load_and_write_a_team(tmp_path):
    report = train_designer("agentprune", "simulator", out=tmp_path / "ap", limit=4, seed=0,
                            settings={"iterations": 1, "batch_size": 2})
    manifest = json.loads((tmp_path / "ap" / "manifest.json").read_text())
    assert manifest["method"] == "agentprune" and manifest["settings"]["iterations"] == 1
    assert manifest["training"]["worker_calls"] == report.calls > 0
    assert manifest["space"]["lineup"][-1] == "Inspector"
    writer = DesignerWriter(load(tmp_path / "ap"))
    [team] = writer.write(simulated.items("test", 1)[0].prompt, None, seed=3)
    assert team.prompt_tokens == 0 and "output: inspector" in team.text
    assert writer.write("x", None, seed=3) == writer.write("x", None, seed=3)  # seeded


def test_exhausted_budget_saves_what_it_has(tmp_path):
    result = CliRunner().invoke(main, ["design", "aflow", "--dataset", "simulator", "--out",
                                       str(tmp_path / "af"), "--budget", "3"])
    assert result.exit_code == 0, result.output
    assert "ran out" in result.output
    manifest = json.loads((tmp_path / "af" / "manifest.json").read_text())
    assert manifest["training"]["exhausted"] is True
    assert load(tmp_path / "af").method.design(load(tmp_path / "af").params, None, "q", 0)


@pytest.mark.parametrize(("setting", "message"), [
    ("batch_size=0", "must be above 0"), ("pruning_rate=1.5", "below 1"),
    ("iterations=two", "whole number"), ("nope=1", "has no setting nope"),
    ("iterations", "KEY=VALUE")])
def test_bad_settings_are_named_with_exit_2(tmp_path, setting, message):
    result = CliRunner().invoke(main, ["design", "agentprune", "--dataset", "simulator",
                                       "--out", str(tmp_path / "x"), "--set", setting])
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "x").exists()


def test_other_method_or_version_is_refused_with_exit_2(tmp_path):
    runner = CliRunner()
    folder = tmp_path / "ap"
    train_designer("agentprune", "simulator", out=folder, limit=2,
                   settings={"iterations": 1, "batch_size": 1})
    result = runner.invoke(main, ["design", "aflow", "--dataset", "simulator", "--out",
                                  str(folder), "--budget", "1"])
    assert result.exit_code == 2 and "already holds a agentprune designer" in result.output
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, "method_version": 99}))
    result = runner.invoke(main, ["bench", "--designer", str(folder), "--dataset",
                                  "simulator", "--out", str(tmp_path / "r.jsonl")])
    assert result.exit_code == 2 and "version 99" in result.output
    (folder / "manifest.json").write_text(json.dumps(manifest))
    (folder / "params.json").write_text(json.dumps({"logits": [[1, 2]], "mask": "x"}))
    result = runner.invoke(main, ["bench", "--designer", str(folder), "--dataset",
                                  "simulator", "--out", str(tmp_path / "r.jsonl")])
    assert result.exit_code == 2 and "does not fit a agentprune designer" in result.output
    result = runner.invoke(main, ["bench", "--designer", str(tmp_path / "none"), "--dataset",
                                  "simulator", "--out", str(tmp_path / "r.jsonl")])
    assert result.exit_code == 2 and "no designer folder" in result.output


@pytest.fixture(scope="module")
def voting_designer(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gd") / "g"
    train_designer("gdesigner", "simulator", out=folder, limit=2,
                   settings={"iterations": 1, "batch_size": 1})
    return folder


@pytest.mark.parametrize(("field", "value", "message"), [
    ("answer", "number\n    agent x: MathSolver {}", "answer"),  # text pasted into the spec
    ("answer", "banana", "answer 'banana' is not simulator's"),
    ("lineup", ["MathSolver {}\nagent x: MathSolver", "Inspector"], "lineup"),
    ("goal", 'x" }', "goal"),
    ("levels", ["small}", "medium"], "levels must be a list of names"),
    ("descriptions", {"MathSolver": "x"}, "descriptions must be"),
    ("descriptions", [["MathSolver", 5]], "descriptions must be"),
    ("dataset", "nope", "unknown dataset"),
])
def test_a_hand_edited_space_is_refused_naming_the_field(voting_designer, tmp_path, field,
                                                        value, message):
    """A designer's space reaches the `.lemon` text it writes: an edited field is a damaged
    folder (exit 2, the field named, no item run), never text pasted into a team."""
    import shutil

    folder = tmp_path / "g"
    shutil.copytree(voting_designer, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["space"][field] = value
    (folder / "manifest.json").write_text(json.dumps(manifest))
    out = tmp_path / "r.jsonl"
    result = CliRunner().invoke(main, ["bench", "--designer", str(folder), "--dataset",
                                       "simulator", "--limit", "1", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "a damaged designer" in result.stderr and message in result.stderr
    assert "Traceback" not in result.output and not out.exists()


def test_a_designer_is_not_evaluated_on_another_answer_format(tmp_path):
    folder = tmp_path / "ap"
    train_designer("agentprune", "simulator", out=folder, limit=2,
                   settings={"iterations": 1, "batch_size": 1})
    saved = load(folder)
    assert check_fits(saved, "simulator") is None
    assert "transfer" in check_fits(saved, "gsm8k")  # the same pool and number answers
    with pytest.raises(Error, match="another answer format"):
        check_fits(saved, "aqua")  # letters A-E


def test_bench_designer_writes_results_with_design_and_worker_tokens(tmp_path):
    folder = tmp_path / "ap"
    train_designer("agentprune", "simulator", out=folder, limit=2,
                   settings={"iterations": 1, "batch_size": 1})
    out = tmp_path / "r.jsonl"
    result = CliRunner().invoke(main, ["bench", "--designer", str(folder), "--dataset",
                                       "simulator", "--limit", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines[0]["key"]["team"] == "designer:agentprune"
    records = lines[1:]
    assert len(records) == 3 and all(r["valid"] for r in records)
    assert all(r["orchestrator_tokens"] == 0 and r["worker_tokens"] > 0 for r in records)
    report = CliRunner().invoke(main, ["report", "--markdown", str(out)])
    assert "designer:agentprune" in report.output
