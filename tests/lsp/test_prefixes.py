"""The language server never dies on a half-typed file: keystroke states (every other prefix
of the example files, and every prefix next to a quote, escape, brace, colon, comma,
parenthesis, comment or newline) are checked, hovered and completed in process, and a sample
of them is served over stdio by a real server that must answer every request without an
error."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

pytest.importorskip("pygls", reason="the language server needs pygls (extra `lsp`)")

from lsprotocol import types

from lemonspec.compiler import check_text
from lemonspec.lsp import analysis

from .client import ROOT, Session

EXAMPLES = sorted((ROOT / "examples").glob("*.lemon")) + [ROOT / "examples/roles/math.lemon"]
TRICKY = set('"\\:{},()#\n')  # prefixes that end just before or after one of these


def prefixes(text: str, step: int):
    """Every `step`-th prefix plus every prefix that ends next to a tricky character."""
    for end in range(len(text) + 1):
        near = any(c in TRICKY for c in text[max(0, end - 1): end + 1])
        if end % step == 0 or near or text[end - 3: end] == '"""':
            yield text[:end]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_prefix_is_analysed_without_an_exception(path: Path):
    text = path.read_text(encoding="utf-8")
    levels = ("small", "medium", "large")
    roles = check_text(text, str(path)).unit.roles
    started, served = time.perf_counter(), 0
    for prefix in prefixes(text, step=2):
        result = check_text(prefix, str(path))
        assert all(d.span.start <= len(prefix) for d in result.diagnostics)
        analysis.completions(prefix, len(prefix), roles, levels)
        for offset in (len(prefix), max(0, len(prefix) - 3)):
            analysis.hover(result, offset)
            analysis.definition(result, offset)
            try:
                analysis.rename_spans(result, offset, "renamed")
            except analysis.RenameError:
                pass
        served += 1
    assert served > 0.5 * len(text)
    assert time.perf_counter() - started < 60


def test_a_server_answers_every_sampled_prefix_over_stdio():
    path = ROOT / "examples/gsm8k.lemon"
    text = path.read_text(encoding="utf-8")

    async def main():
        session = Session()
        logged: list[str] = []
        session.client.feature(types.WINDOW_LOG_MESSAGE)(
            lambda params: logged.append(params.message)
            if params.type == types.MessageType.Error else None)
        session.client.feature(types.WINDOW_SHOW_MESSAGE)(
            lambda params: logged.append(params.message))
        await session.start()
        uri = session.open(path, "")
        sampled = list(prefixes(text, step=5))[::6]
        for prefix in sampled:
            session.change(uri, prefix)
            end = _end(prefix)
            ident = types.TextDocumentIdentifier(uri=uri)
            await session.client.text_document_completion_async(
                types.CompletionParams(text_document=ident, position=end))
            await session.client.text_document_hover_async(
                types.HoverParams(text_document=ident, position=end))
            await session.client.text_document_definition_async(
                types.DefinitionParams(text_document=ident, position=end))
            await session.client.text_document_formatting_async(types.DocumentFormattingParams(
                text_document=ident, options=types.FormattingOptions(4, True)))
        version = session.change(uri, text)
        final = await session.diagnostics_for(uri, version)
        await session.stop()
        return sampled, final, logged

    sampled, final, logged = asyncio.run(main())
    assert len(sampled) > 25
    assert list(final) == [] and logged == []


def _end(text: str) -> types.Position:
    line = text.count("\n")
    return types.Position(line=line, character=len(text) - (text.rfind("\n") + 1))
