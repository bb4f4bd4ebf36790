"""The edits API on concrete specs: exact splices, legal applications, set_field."""

import pytest

from lemonspec.compiler import CompileError, check_text
from lemonspec.compiler.edits import all_legal_edits, legal_edits, set_field

SPEC = """team t {
    agent analyst: MathAnalyst {
        duty: "List facts."  # why: keep it short
        capacity: small
    }

    agent solver: MathSolver {
        capacity: large
        after: analyst
    }

    agent checker: Inspector {
        after: analyst, solver
    }

    output: checker
}
"""


def test_drop_a_middle_and_a_last_dependency():
    drops = {e.detail: e for e in legal_edits(SPEC, "drop_dependency")}
    first = drops["checker: after -analyst"]
    assert "after: solver\n" in first.text and SPEC[slice(*first.old)] == "analyst, "
    last = drops["checker: after -solver"]
    assert "after: analyst\n" in last.text and SPEC[slice(*last.old)] == ", solver"


def test_dropping_the_only_dependency_removes_the_line():
    (edit,) = [e for e in legal_edits(SPEC, "drop_dependency") if e.agent == "solver"]
    assert SPEC[slice(*edit.old)] == "        after: analyst\n"
    assert SPEC[edit.target.start:edit.target.end] == "analyst"


def test_remove_duty_takes_its_trailing_comment_along():
    (edit,) = legal_edits(SPEC, "remove_duty")
    assert "duty" not in edit.text and "why:" not in edit.text
    assert SPEC[edit.target.start:edit.target.end] == 'duty: "List facts."'


def test_lower_capacity_skips_the_lowest_level_and_absent_fields():
    edits = legal_edits(SPEC, "lower_capacity")
    assert [e.detail for e in edits] == ["solver: capacity large -> medium"]
    assert edits[0].new == (edits[0].old[0], edits[0].old[0] + len("medium"))


def test_custom_levels():
    edits = legal_edits(SPEC, "lower_capacity", levels=("tiny", "small", "large"))
    assert {e.detail for e in edits} == {"analyst: capacity small -> tiny",
                                          "solver: capacity large -> small"}


def test_drop_that_would_leave_no_answer_is_not_legal():
    text = "team t { agent a: MathSolver {} agent b: Inspector { after: a } }"
    assert legal_edits(text, "drop_dependency") == []


def test_every_edit_result_checks():
    for edit in all_legal_edits(SPEC):
        assert check_text(edit.text).ok, edit.detail


def test_set_field_replaces_inserts_and_removes():
    replaced = set_field(SPEC, "t", "checker", "after", ["solver"])
    assert "after: solver\n" in replaced.text
    inserted = set_field(SPEC, "t", "checker", "capacity", "large")
    assert "        after: analyst, solver\n        capacity: large\n" in inserted.text
    removed = set_field(SPEC, "t", "solver", "capacity", None)
    assert "large" not in removed.text
    empty = set_field("team t {\n    agent a: MathSolver {}\n}\n", "t", "a", "duty", "Go.")
    assert empty.text == 'team t {\n    agent a: MathSolver {\n        duty: "Go."\n    }\n}\n'
    for edit in (replaced, inserted, removed, empty):
        assert check_text(edit.text).ok


def test_edits_refuse_an_invalid_spec():
    with pytest.raises(CompileError):
        legal_edits("team t { agent a: Nope {} }", "remove_duty")


def test_unknown_family_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown edit family"):
        legal_edits(SPEC, "drop_agent")


IMPORTING = """use "roles.lemon"

team t {
    agent first: Helper {}

    agent second: Helper {
        after: first
    }

    agent third: Helper {
        after: first, second
    }
}
"""


def test_edits_of_a_spec_with_imports_do_not_depend_on_the_current_directory(
        tmp_path, monkeypatch):
    project = tmp_path / "project"
    project.mkdir()
    (project / "roles.lemon").write_text('role Helper { description: "Helps." }\n')
    spec = project / "team.lemon"
    spec.write_text(IMPORTING)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    found = {}
    for cwd in (project, elsewhere):
        monkeypatch.chdir(cwd)
        found[cwd] = [e.detail for e in legal_edits(IMPORTING, "drop_dependency",
                                                    path=str(spec))]
    # No `output`: each drop is legal only if the edited spec (imports and all) still checks.
    assert found[elsewhere] == found[project] == ["second: after -first", "third: after -first"]
    monkeypatch.chdir(elsewhere)
    assert len(legal_edits(IMPORTING, "drop_dependency", root=project)) == 2
