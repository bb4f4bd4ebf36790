"""Properties over generated specs: round trip, acyclic IR, edit locality, no crash."""

import contextlib

import attrs
from hypothesis import given
from hypothesis import strategies as st

from lemonspec.compiler import CompileError, check_text, compile_text, format_text
from lemonspec.compiler.ast import strip_spans
from lemonspec.compiler.edits import FAMILIES, legal_edits
from tests.compiler.strategies import specs


def meaning(text):
    result = check_text(text)
    assert result.ok, result.errors
    return strip_spans(result.module.items)


@given(specs())
def test_the_ast_says_what_was_written(spec):
    text, model = spec
    team = check_text(text).module.teams[0]
    assert team.name.text == model.name
    assert (team.goal.value.value if team.goal else None) == model.goal
    assert sorted(a.name.text for a in team.agents) == sorted(a.name for a in model.agents)
    for expected in model.agents:
        agent = team.agent(expected.name)
        assert agent.base_role.text == expected.role
        assert (agent.duty.value.value if agent.duty else None) == expected.duty
        assert (agent.capacity.level.text if agent.capacity else None) == expected.capacity
        assert tuple(d.text for d in agent.dependencies) == expected.after


@given(specs())
def test_spans_are_exact_to_the_character(spec):
    text, _ = spec
    team = check_text(text).module.teams[0]
    for agent in team.agents:
        assert text[agent.name.span.start:agent.name.span.end] == agent.name.text
        for field in agent.fields:
            key = type(field).__name__.removesuffix("Field").lower()
            assert text[field.span.start:field.span.end].startswith(key)
        if agent.duty:
            assert text[agent.duty.value.span.start:agent.duty.value.span.end] == agent.duty.value.raw


@given(specs())
def test_format_round_trips_and_is_idempotent(spec):
    text, _ = spec
    formatted = format_text(text)
    assert meaning(formatted) == meaning(text)
    assert format_text(formatted) == formatted


@given(specs(max_agents=10))
def test_ir_order_respects_every_dependency(spec):
    text, _ = spec
    ir = compile_text(text)
    position = {a.name: i for i, a in enumerate(ir.agents)}
    for agent in ir.agents:
        for dep in agent.after:
            assert position[dep] < position[agent.name]
            assert ir.agent(dep).stage < agent.stage
    assert sorted(n for stage in ir.stages for n in stage) == sorted(position)


@given(specs(), st.sampled_from(FAMILIES), st.data())
def test_every_legal_edit_changes_only_its_field(spec, family, data):
    text, _ = spec
    edits = legal_edits(text, family)
    if not edits:
        return
    edit = data.draw(st.sampled_from(edits))
    # Only the reported characters changed.
    (o0, o1), (n0, n1) = edit.old, edit.new
    assert text[:o0] == edit.text[:n0] and text[o1:] == edit.text[n1:]
    assert o0 <= edit.target.start and edit.target.end <= o1 or family == "lower_capacity"
    before = check_text(text).module.teams[0]
    after = check_text(edit.text)
    assert after.ok, after.errors
    after = after.module.teams[0]
    # The AST differs only in the edited field of the edited agent.
    for old, new in zip(before.items, after.items):
        if getattr(old, "name", None) is not None and old.name.text == edit.agent:
            _assert_only_field_changed(old, new, edit)
        else:
            assert strip_spans(old) == strip_spans(new)


def _assert_only_field_changed(old, new, edit):
    def unchanged(agent):
        return [strip_spans(f) for f in agent.fields
                if type(f).__name__.lower() != edit.field + "field"]

    assert unchanged(old) == unchanged(new)
    assert strip_spans(old.name) == strip_spans(new.name)
    if edit.family == "drop_dependency":
        dropped = [d.text for d in old.dependencies]
        dropped.remove(edit.detail.rsplit("-", 1)[1])
        assert [d.text for d in new.dependencies] == dropped
    elif edit.family == "remove_duty":
        assert new.duty is None and old.duty is not None
    else:
        assert new.capacity.level.text != old.capacity.level.text


printable = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)


@given(printable)
def test_arbitrary_text_gives_diagnostics_never_an_exception(text):
    result = check_text(text)
    assert all(d.span.line >= 1 and d.span.column >= 1 for d in result.diagnostics)


@given(specs(), st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(
    ["", "{", "}", ":", ",", "\"", "\"\"\"", "\\", "#", "agent ", "after: x", "\n", "vote("])),
    min_size=1, max_size=4))
def test_mutated_specs_give_diagnostics_never_an_exception(spec, mutations):
    text, _ = spec
    for position, insert in mutations:
        position %= len(text) + 1
        text = text[:position] + insert + text[position + 1:]
    result = check_text(text)
    for d in result.diagnostics:
        assert d.code and d.span.line >= 1
    if result.ok and result.module.teams:
        with contextlib.suppress(CompileError):  # several teams need --team; nothing else
            compile_text(text)


def test_attrs_nodes_are_frozen():
    module = check_text("team t { agent a: MathSolver {} }").module
    try:
        module.teams[0].agents[0].name.text = "b"
    except attrs.exceptions.FrozenInstanceError:
        return
    raise AssertionError("AST nodes must be immutable")


def _spans(node):
    if isinstance(node, tuple):
        for n in node:
            yield from _spans(n)
    elif attrs.has(type(node)):
        for f in attrs.fields(type(node)):
            value = getattr(node, f.name)
            if type(value).__name__ == "Span":
                yield value
            else:
                yield from _spans(value)


@given(specs())
def test_every_span_has_the_line_and_column_of_its_offsets(spec):
    from lemonspec.compiler.source import Source

    text, _ = spec
    source = Source("t", text)
    for span in _spans(check_text(text).module):
        assert (span.line, span.column) == source.position(span.start)
        assert (span.end_line, span.end_column) == source.position(span.end)


def test_compile_errors_pickle_with_their_diagnostics():
    import pickle

    from lemonspec.compiler import CompileError

    try:
        compile_text("team t { agent a: Nope {} }")
    except CompileError as exc:
        copy = pickle.loads(pickle.dumps(exc))
        assert copy.diagnostics == exc.diagnostics and str(copy) == str(exc)
    else:
        raise AssertionError("an unknown role must not compile")
