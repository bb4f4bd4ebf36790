"""A real LSP client (pygls's own) driving `lemonc lsp` in a subprocess over stdio."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

ROOT = Path(__file__).parents[2]


class Session:
    """One server process; collects what it publishes and what it logs."""

    def __init__(self) -> None:
        self.client = LanguageClient("lemonspec-tests", "0")
        self.diagnostics: dict[str, types.PublishDiagnosticsParams] = {}
        self.published = asyncio.Event()
        self.versions: dict[str, int] = {}

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: types.PublishDiagnosticsParams):
            self.diagnostics[params.uri] = params
            self.published.set()

    async def start(self, *args: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        await self.client.start_io(sys.executable, "-m", "lemonspec.cli", "lsp", *args,
                                   env=env, cwd=str(ROOT))
        await self.client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=ROOT.as_uri()))
        self.client.initialized(types.InitializedParams())

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()

    def open(self, path: Path, text: str | None = None) -> str:
        """Open a document (again: it then gets a version no earlier publication had)."""
        uri = path.resolve().as_uri()
        self.versions[uri] = self.versions.get(uri, 0) + 1000
        self.diagnostics.pop(uri, None)
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="lemon", version=self.versions[uri],
                text=path.read_text(encoding="utf-8") if text is None else text)))
        return uri

    def change(self, uri: str, text: str) -> int:
        self.versions[uri] += 1
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri,
                                                                version=self.versions[uri]),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
        return self.versions[uri]

    async def diagnostics_for(self, uri: str, version: int | None = None,
                              timeout: float = 20.0) -> list[types.Diagnostic]:
        """The diagnostics published for `uri` (at `version`, when given)."""
        async def wait():
            while True:
                got = self.diagnostics.get(uri)
                if got is not None and (version is None or got.version == version):
                    return got.diagnostics
                self.published.clear()
                await self.published.wait()

        return await asyncio.wait_for(wait(), timeout)


def position(text: str, needle: str, nth: int = 0, delta: int = 0) -> types.Position:
    """The position of the nth occurrence of `needle` (plus delta chars; ASCII text)."""
    offset = -1
    for _ in range(nth + 1):
        offset = text.index(needle, offset + 1)
    offset += delta
    line = text.count("\n", 0, offset)
    return types.Position(line=line, character=offset - (text.rfind("\n", 0, offset) + 1))
