"""`lemonc lsp` end to end: a real client talks to the server process over stdio."""

from __future__ import annotations

import asyncio
import textwrap
import threading
from pathlib import Path

import pytest

pytest.importorskip("pygls", reason="the language server needs pygls (extra `lsp`)")

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from lemonspec.compiler import check_file, format_text

from .client import ROOT, Session, position

GSM8K = ROOT / "examples/gsm8k.lemon"


@pytest.fixture(scope="module")
def server():
    """One server process for the module, on an event loop in a thread of its own."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    session = Session()
    asyncio.run_coroutine_threadsafe(session.start(), loop).result(60)
    yield loop, session
    asyncio.run_coroutine_threadsafe(session.stop(), loop).result(60)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


@pytest.fixture
def run(server):
    """run(scenario): await `scenario(session)` on the module's server."""
    loop, session = server
    return lambda scenario: asyncio.run_coroutine_threadsafe(scenario(session), loop).result(60)


def ident(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


def test_diagnostics_are_lemonc_checks_across_imports(run, tmp_path: Path):
    (tmp_path / "lib.lemon").write_text('role Helper {\n    description "no colon"\n}\n')
    main = tmp_path / "main.lemon"
    main.write_text(textwrap.dedent("""\
        use "lib.lemon"
        team t {
            agent a: MathSolvr { capacity: huge }
            output: a
        }
        """))

    async def scenario(session: Session):
        uri = session.open(main)
        mine = await session.diagnostics_for(uri, session.versions[uri])
        imported = await session.diagnostics_for((tmp_path / "lib.lemon").as_uri())
        return mine, imported

    mine, imported = run(scenario)
    expected = check_file(main).diagnostics
    published = [(d.code, d.message.split("\nhelp: ")[0], d.range.start.line + 1,
                  d.range.start.character + 1) for d in (*mine, *imported)]
    assert sorted(published) == sorted(
        (d.code, d.message, d.span.line, d.span.column) for d in expected)
    assert [d.code for d in imported] == ["E0001"]  # the syntax error inside lib.lemon


def test_fixing_an_imported_file_on_disk_clears_its_diagnostics(run, tmp_path: Path):
    lib = tmp_path / "lib.lemon"
    lib.write_text('role Helper {\n    description "no colon"\n}\n')
    main = tmp_path / "main.lemon"
    main.write_text('use "lib.lemon"\nteam t {\n    agent a: Helper {}\n}\n')

    async def scenario(session: Session):
        uri = session.open(main)
        before = await session.diagnostics_for(lib.as_uri())
        lib.write_text('role Helper {\n    description: "fixed"\n}\n')
        session.diagnostics.pop(lib.as_uri())
        session.diagnostics.pop(uri)
        session.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=lib.as_uri(), type=types.FileChangeType.Changed)]))
        return before, await session.diagnostics_for(lib.as_uri()), \
            await session.diagnostics_for(uri)

    before, after, mine = run(scenario)
    assert [d.code for d in before] == ["E0001"]
    assert list(after) == [] and list(mine) == []


def test_diagnostics_follow_each_change_and_clear_when_fixed(run):
    text = GSM8K.read_text(encoding="utf-8")

    async def scenario(session: Session):
        uri = session.open(GSM8K)
        clean = await session.diagnostics_for(uri, session.versions[uri])
        broken = session.change(uri, text.replace("after: analyst, solver",
                                                  "after: analyst, solvr"))
        typo = await session.diagnostics_for(uri, broken)
        fixed = session.change(uri, text)
        return clean, typo, await session.diagnostics_for(uri, fixed)

    clean, typo, fixed = run(scenario)
    assert list(clean) == [] and list(fixed) == []
    assert [(d.code, d.severity) for d in typo] == [("E0302", types.DiagnosticSeverity.Error)]
    assert "did you mean 'solver'?" in typo[0].message
    line = next(i for i, ln in enumerate(text.splitlines()) if "after: analyst, solver" in ln)
    assert (typo[0].range.start.line, typo[0].range.start.character) == (line, 24) == (21, 24)


def test_hover_shows_role_origin_and_agent_capacity_model_and_upstream(run):
    text = GSM8K.read_text(encoding="utf-8")

    async def scenario(session: Session):
        uri = session.open(GSM8K)
        at = {}
        for key, where in {"checker": position(text, "checker: Inspector", 0, 2),
                           "role": position(text, "MathSolver", 0, 3)}.items():
            at[key] = await session.client.text_document_hover_async(
                types.HoverParams(text_document=ident(uri), position=where))
        return at

    at = run(scenario)
    checker = at["checker"].contents.value
    assert "**agent checker**: Inspector" in checker
    assert "capacity: medium → model `embedded/smollm2-135m` (profile embedded" in checker
    assert "after: analyst, solver" in checker
    role = at["role"].contents.value
    assert role.startswith("**role MathSolver** (standard library, math.lemon)")
    assert "Solve the problem step by step" in role


def test_an_imported_role_is_hovered_and_found_in_its_file(run, tmp_path: Path):
    roles = tmp_path / "roles.lemon"
    roles.write_text((ROOT / "examples/roles/math.lemon").read_text(encoding="utf-8"))
    main = tmp_path / "main.lemon"
    text = 'use "roles.lemon"\nteam t {\n    agent u: UnitChecker {}\n}\n'
    main.write_text(text)

    async def scenario(session: Session):
        uri = session.open(main)
        where = position(text, "UnitChecker", 0, 4)
        hover = await session.client.text_document_hover_async(
            types.HoverParams(text_document=ident(uri), position=where))
        found = await session.client.text_document_definition_async(
            types.DefinitionParams(text_document=ident(uri), position=where))
        return hover, found

    hover, found = run(scenario)
    assert hover.contents.value.startswith(f"**role UnitChecker** (imported from {roles})")
    assert found.uri == roles.as_uri()
    assert found.range.start == position(roles.read_text(encoding="utf-8"), "UnitChecker")


def test_definition_of_agents_roles_in_the_stdlib_and_use_paths(run):
    text = GSM8K.read_text(encoding="utf-8")

    async def scenario(session: Session):
        uri = session.open(GSM8K)
        found = {}
        for key, where in {"after": position(text, "after: analyst", 1, 8),
                           "output": position(text, "output: checker", 0, 9),
                           "std": position(text, "Inspector", 0, 2),
                           "use": position(text, "roles/math", 0, 2)}.items():
            found[key] = await session.client.text_document_definition_async(
                types.DefinitionParams(text_document=ident(uri), position=where))
        return uri, found

    uri, found = run(scenario)
    assert found["after"].uri == uri and found["after"].range.start == position(text, "analyst:")
    assert found["output"].range.start == position(text, "checker:")
    std = found["std"]
    assert std.uri == (ROOT / "lemonspec/stdlib/math.lemon").as_uri()
    std_text = (ROOT / "lemonspec/stdlib/math.lemon").read_text(encoding="utf-8")
    assert std.range.start == position(std_text, "Inspector")
    assert found["use"].uri == (ROOT / "examples/roles/math.lemon").as_uri()


def test_completion_offers_roles_earlier_agents_levels_and_fields(run):
    text = GSM8K.read_text(encoding="utf-8")
    cut = text.index("after: analyst, solver") + len("after: ")
    edited = text[:cut] + "\n" + text[cut:].replace("analyst, solver", "", 1)

    async def scenario(session: Session):
        uri = session.open(GSM8K)
        await session.diagnostics_for(uri, session.versions[uri])  # so the imported roles are known
        labels = {}
        for key, document, where in (
                ("after", edited, _end(edited[:cut])),
                ("role", text.replace("agent checker: Inspector", "agent checker: "),
                 position(text, "agent checker: ", 0, len("agent checker: "))),
                ("level", text.replace("capacity: small", "capacity: "),
                 position(text, "capacity: small", 0, len("capacity: "))),
                ("field", text, position(text, "        capacity: medium"))):
            session.change(uri, document)
            found = await session.client.text_document_completion_async(
                types.CompletionParams(text_document=ident(uri), position=where))
            labels[key] = [item.label for item in found.items]
        return labels

    labels = run(scenario)
    assert labels["after"] == ["analyst", "solver"]  # declared earlier, not checker itself
    assert {"MathSolver", "Inspector", "MathAnalyst", "Critic", "BugFixer"} <= set(labels["role"])
    assert labels["level"] == ["small", "medium", "large"]
    assert labels["field"] == ["duty", "capacity", "after"]


def test_formatting_is_exactly_lemonc_fmt(run):
    messy = "team   t{agent a:MathSolver{capacity:small}\n\n\n  output:a}\n"

    async def scenario(session: Session):
        uri = session.open(ROOT / "messy.lemon", messy)
        options = types.FormattingOptions(tab_size=4, insert_spaces=True)
        edits = await session.client.text_document_formatting_async(
            types.DocumentFormattingParams(text_document=ident(uri), options=options))
        session.change(uri, format_text(messy))
        again = await session.client.text_document_formatting_async(
            types.DocumentFormattingParams(text_document=ident(uri), options=options))
        return edits, again

    edits, again = run(scenario)
    assert len(edits) == 1 and edits[0].new_text == format_text(messy)
    assert (edits[0].range.start.line, edits[0].range.start.character) == (0, 0)
    assert (edits[0].range.end.line, edits[0].range.end.character) == (4, 0)
    assert list(again) == []


def test_rename_an_agent_and_a_local_role_across_the_file_and_refuse_a_standard_role(run):
    text = textwrap.dedent("""\
        role Planner { description: "Plan." }
        team t {
            agent plan: Planner { capacity: small }
            agent act: MathSolver { after: plan }
            agent check: Planner { after: plan, act }
            output: vote(check, act)
        }
        """)

    async def scenario(session: Session):
        uri = session.open(ROOT / "renamed.lemon", text)
        rename = session.client.text_document_rename_async
        agent = await rename(types.RenameParams(text_document=ident(uri),
                                                position=position(text, "act", 1), new_name="do"))
        role = await rename(types.RenameParams(text_document=ident(uri),
                                               position=position(text, "Planner", 1),
                                               new_name="Lead"))
        with pytest.raises(JsonRpcException, match="not declared in this file"):
            await rename(types.RenameParams(text_document=ident(uri),
                                            position=position(text, "MathSolver"),
                                            new_name="X"))
        with pytest.raises(JsonRpcException, match="keyword"):
            await rename(types.RenameParams(text_document=ident(uri),
                                            position=position(text, "plan"), new_name="team"))
        return uri, agent, role

    uri, agent, role = run(scenario)
    assert _apply(text, agent.changes[uri]) == text.replace("act", "do")
    assert _apply(text, role.changes[uri]) == text.replace("Planner", "Lead")


def _apply(text: str, edits: list[types.TextEdit]) -> str:
    lines = text.splitlines(keepends=True)
    offsets = [sum(len(x) for x in lines[:i]) for i in range(len(lines) + 1)]

    def at(p: types.Position) -> int:
        return offsets[p.line] + p.character

    for edit in sorted(edits, key=lambda e: at(e.range.start), reverse=True):
        text = text[:at(edit.range.start)] + edit.new_text + text[at(edit.range.end):]
    return text


def _end(text: str) -> types.Position:
    return types.Position(line=text.count("\n"), character=len(text) - (text.rfind("\n") + 1))


def test_navigation_works_in_a_file_past_the_agent_limit(run):
    text = "team t {\n" + "".join(
        f"    agent a{i}: MathSolver {{{f' after: a{i - 1}' if i else ''} }}\n"
        for i in range(70)) + "}\n"

    async def scenario(session: Session):
        uri = session.open(ROOT / "too-many.lemon", text)
        found = await session.diagnostics_for(uri, session.versions[uri])
        hover = await session.client.text_document_hover_async(types.HoverParams(
            text_document=ident(uri), position=position(text, "MathSolver", 69, 2)))
        where = await session.client.text_document_definition_async(types.DefinitionParams(
            text_document=ident(uri), position=position(text, "after: a68", 0, 8)))
        return found, hover, where

    found, hover, where = run(scenario)
    assert [d.code for d in found] == ["E0902"]
    assert hover.contents.value.startswith("**role MathSolver** (standard library")
    assert where.range.start == position(text, "a68:")


def test_positions_are_counted_in_utf16_units_as_lsp_says(run):
    text = 'team t { goal: "😀 é" agent a: MathSolvr {} }\n'
    python_column = text.index("MathSolvr")
    utf16_column = len(text[:python_column].encode("utf-16-le")) // 2

    async def scenario(session: Session):
        uri = session.open(ROOT / "emoji.lemon", text)
        found = await session.diagnostics_for(uri, session.versions[uri])
        hover = await session.client.text_document_hover_async(types.HoverParams(
            text_document=ident(uri), position=types.Position(line=0, character=utf16_column - 3)))
        return found, hover

    found, hover = run(scenario)
    assert utf16_column == python_column + 1  # the emoji is two UTF-16 units
    assert [d.code for d in found] == ["E0301"]
    assert (found[0].range.start.character, found[0].range.end.character) == (
        utf16_column, utf16_column + len("MathSolvr"))
    assert hover.contents.value.startswith("**agent a**")


def test_hover_and_definition_keep_working_while_a_new_agent_is_half_typed(run):
    text = GSM8K.read_text(encoding="utf-8")
    cut = text.index("    agent checker")
    typing = text[:cut] + "    agent half: Ma\n\n" + text[cut:]  # does not parse

    async def scenario(session: Session):
        uri = session.open(GSM8K)
        await session.diagnostics_for(uri, session.versions[uri])
        version = session.change(uri, typing)
        found = await session.diagnostics_for(uri, version)
        hover = await session.client.text_document_hover_async(types.HoverParams(
            text_document=ident(uri), position=position(typing, "checker: Inspector", 0, 2)))
        where = await session.client.text_document_definition_async(types.DefinitionParams(
            text_document=ident(uri), position=position(typing, "after: analyst, solver", 0, 17)))
        inside = await session.client.text_document_hover_async(types.HoverParams(
            text_document=ident(uri), position=position(typing, "half", 0, 2)))
        return found, hover, where, inside

    found, hover, where, inside = run(scenario)
    assert [d.code for d in found] == ["E0001"]
    assert hover.contents.value.startswith("**agent checker**: Inspector")
    assert hover.range.start == position(typing, "checker: Inspector")  # in the new text
    assert where.range.start == position(typing, "solver: MathSolver")
    assert inside is None  # the edit itself has no meaning yet


def test_incremental_changes_are_applied_before_checking(run):
    text = GSM8K.read_text(encoding="utf-8")
    start = position(text, "solver", 2)  # in `after: analyst, solver`

    async def scenario(session: Session):
        uri = session.open(GSM8K)
        await session.diagnostics_for(uri, session.versions[uri])
        session.versions[uri] += 1
        session.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(
                uri=uri, version=session.versions[uri]),
            content_changes=[types.TextDocumentContentChangePartial(
                range=types.Range(start=start, end=types.Position(
                    line=start.line, character=start.character + len("solver"))),
                text="solvr")]))
        return await session.diagnostics_for(uri, session.versions[uri])

    found = run(scenario)
    assert [(d.code, d.range.start) for d in found] == [("E0302", start)]


def test_the_outline_lists_roles_teams_and_their_agents(run):
    text = 'role Planner { description: "Plan." }\nteam t {\n    agent p: Planner {}\n' \
           "    agent q: Critic { after: p }\n}\n"

    async def scenario(session: Session):
        uri = session.open(ROOT / "outline.lemon", text)
        return await session.client.text_document_document_symbol_async(
            types.DocumentSymbolParams(text_document=ident(uri)))

    role, team = run(scenario)
    assert (role.name, role.kind, role.selection_range.start) == (
        "Planner", types.SymbolKind.Class, position(text, "Planner"))
    assert (team.name, team.kind) == ("t", types.SymbolKind.Module)
    assert [(a.name, a.detail) for a in team.children] == [("p", "Planner"), ("q", "Critic")]
    assert team.children[1].range.start == position(text, "agent q")
