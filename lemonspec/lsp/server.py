"""`lemonc lsp`: the language server over stdio (pygls).

Diagnostics are `check_text`'s (the codes and messages of `lemonc check`, imported files
included) and are published for every file they point into. A check runs off the event loop
and only for the newest text: a burst of keystrokes costs one check per idle moment, never a
queue of stale ones. Hover, definition, rename and formatting read the newest check; in a
file that does not parse, hover and definition read the last check that did wherever the
edit left the text in place, and completion reads the tokens before the cursor.

Tested end to end over stdio by tests/lsp/test_server.py.
"""

from __future__ import annotations

import asyncio
import functools
from urllib.parse import unquote, urlparse

import attrs
from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path

from lemonspec.compiler import (
    CheckResult,
    Diagnostic,
    Limits,
    Severity,
    ast,
    check_text,
    format_text,
)
from lemonspec.compiler.diagnostics import CompileError
from lemonspec.compiler.source import Source, Span
from lemonspec.lsp import analysis

SEVERITIES = {Severity.ERROR: types.DiagnosticSeverity.Error,
              Severity.WARNING: types.DiagnosticSeverity.Warning,
              Severity.NOTE: types.DiagnosticSeverity.Information}
COMPLETION_KINDS = {"role": types.CompletionItemKind.Class,
                    "agent": types.CompletionItemKind.Variable,
                    "level": types.CompletionItemKind.EnumMember,
                    "field": types.CompletionItemKind.Field,
                    "keyword": types.CompletionItemKind.Keyword}
# Navigation in a file that only breaks a size limit (e.g. a 100-agent team) still works.
NAVIGATION_LIMITS = Limits(max_agents=100_000, max_string_chars=10**7, max_name_chars=10**4)


@attrs.frozen
class Checked:
    version: int | None
    text: str
    result: CheckResult


class LemonServer(LanguageServer):
    def __init__(self, profile=None):
        super().__init__("lemonc-lsp", _version())
        self.profile = profile
        self.levels = profile.levels if profile is not None else ("small", "medium", "large")
        self.checked: dict[str, Checked] = {}  # uri -> the newest check
        self.roles: dict[str, dict] = {}  # uri -> roles in scope at the last check that had a unit
        self.last_good: dict[str, Checked] = {}  # uri -> the last check whose text parsed
        self.published: dict[str, set[str]] = {}  # uri -> other files' uris it published to
        self.running: dict[str, asyncio.Task] = {}

    def path_of(self, uri: str) -> str:
        parsed = urlparse(uri)
        return unquote(parsed.path) if parsed.scheme == "file" else uri

    def schedule(self, uri: str):
        """Check the document's newest text, unless a check is already running: that one
        checks again when it ends if the text has changed meanwhile."""
        task = self.running.get(uri)
        if task is None or task.done():
            self.running[uri] = asyncio.get_running_loop().create_task(self._check_loop(uri))

    async def _check_loop(self, uri: str):
        try:
            await self._check_newest(uri)
        except Exception as exc:  # noqa: BLE001 - a bug must be seen, not end the server
            self.window_log_message(types.LogMessageParams(
                type=types.MessageType.Error, message=f"lemonc lsp: checking {uri} failed: "
                                                      f"{exc!r}"))

    async def _check_newest(self, uri: str):
        loop = asyncio.get_running_loop()
        while uri in self.workspace.text_documents:  # closed meanwhile: nothing to publish
            document = self.workspace.get_text_document(uri)
            version, text = document.version, document.source
            done = self.checked.get(uri)
            if done is not None and done.version == version and done.text == text:
                return
            check = functools.partial(check_text, text, self.path_of(uri), levels=self.levels,
                                      default_level=self._default_level())
            result = await loop.run_in_executor(None, check)
            self.checked[uri] = Checked(version, text, result)
            if result.unit is not None:
                self.roles[uri] = result.unit.roles
                self.last_good[uri] = self.checked[uri]
            self.publish(uri, result)

    def recheck_all(self):
        """Check every open document again (imports are read from disk at each check)."""
        self.checked.clear()
        for uri in list(self.workspace.text_documents):
            self.schedule(uri)

    def _default_level(self):
        return self.profile.default_level if self.profile is not None else None

    def publish(self, uri: str, result: CheckResult):
        by_path: dict[str, list[Diagnostic]] = {result.path: []}
        for d in result.diagnostics:
            by_path.setdefault(d.path, []).append(d)
        others = set()
        for path, found in by_path.items():
            target = uri if path == result.path else from_fs_path(path)
            if target is None or path.startswith("<"):
                continue
            if target != uri:
                others.add(target)
            source = result.sources.get(path) or Source(path, "")
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                uri=target, version=self.checked[uri].version if target == uri else None,
                diagnostics=[self.to_lsp(d, source, result) for d in found]))
        for stale in self.published.get(uri, set()) - others:
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=stale, diagnostics=[]))
        self.published[uri] = others

    def to_lsp(self, d: Diagnostic, source: Source, result: CheckResult) -> types.Diagnostic:
        message = d.message + (f"\nhelp: {d.help}" if d.help else "")
        related = [types.DiagnosticRelatedInformation(
            location=types.Location(uri=from_fs_path(label.path or d.path) or "",
                                    range=self.range(label.span, result.sources.get(
                                        label.path or d.path, source))),
            message=label.message) for label in d.labels]
        return types.Diagnostic(range=self.range(d.span, source), message=message,
                                severity=SEVERITIES[d.severity], code=d.code, source="lemonc",
                                related_information=related or None)

    def range(self, span: Span, source: Source) -> types.Range:
        return types.Range(start=self.position(source, span.start),
                           end=self.position(source, span.end))

    def position(self, source: Source, offset: int) -> types.Position:
        """A string offset as the client counts (UTF-16 code units unless negotiated)."""
        line, column = source.position(offset)
        text = source.line_text(line)[: column - 1]
        units = self.workspace.position_codec.client_num_units(text)
        return types.Position(line=line - 1, character=units)

    def offset(self, uri: str, position: types.Position) -> int:
        return self.workspace.get_text_document(uri).offset_at_position(position)

    def navigation(self, uri: str, position: types.Position):
        """(check result, offset in its text, span -> Range in the current text or None)
        for hover and definition. In a file that does not parse they read the last check
        that did, wherever the edit since then left its text in place."""
        done = self.current(uri)
        offset = self.offset(uri, position)
        now = Source(done.result.path, done.text)
        if done.result.module is not None:
            self.last_good[uri] = done
            return done.result, offset, lambda span: self.range(span, now)
        good = self.last_good.get(uri)
        if good is None:
            return done.result, None, None
        shift = analysis.Shift.between(good.text, done.text)

        def to_range(span: Span):
            moved = shift.to_new(span.start, span.end)
            return None if moved is None else self.range(now.span(*moved), now)

        return good.result, shift.to_old(offset), to_range

    def current(self, uri: str) -> Checked:
        """The check of the document's current text (checked now if the last one is stale)."""
        document = self.workspace.get_text_document(uri)
        done = self.checked.get(uri)
        if done is None or done.text != document.source:
            result = check_text(document.source, self.path_of(uri), levels=self.levels,
                                default_level=self._default_level())
            done = Checked(document.version, document.source, result)
        if done.result.unit is None:
            # A broken size limit (or a syntax error) stops the checker before scopes exist;
            # past a limit, navigation still works on a check without those limits.
            relaxed = check_text(done.text, self.path_of(uri), levels=self.levels,
                                 limits=NAVIGATION_LIMITS)
            done = attrs.evolve(done, result=relaxed)
        return done


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lemonspec")
    except PackageNotFoundError:
        return "0"


def build_server(profile=None) -> LemonServer:
    server = LemonServer(profile)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: LemonServer, params: types.DidOpenTextDocumentParams):
        ls.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: LemonServer, params: types.DidChangeTextDocumentParams):
        ls.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: LemonServer, params: types.DidSaveTextDocumentParams):
        ls.recheck_all()  # the saved file may be imported by the others

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def files_changed(ls: LemonServer, params: types.DidChangeWatchedFilesParams):
        ls.recheck_all()  # an imported file changed on disk

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: LemonServer, params: types.DidCloseTextDocumentParams):
        uri = params.text_document.uri
        ls.checked.pop(uri, None)
        for target in {uri, *ls.published.pop(uri, set())}:
            ls.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=target, diagnostics=[]))

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: LemonServer, params: types.HoverParams):
        result, offset, to_range = ls.navigation(params.text_document.uri, params.position)
        text = None if offset is None else analysis.hover(result, offset, ls.profile)
        if text is None:
            return None
        where = to_range(analysis.symbol_at(result.module, offset).span)
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown,
                                                        value=text), range=where)

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: LemonServer, params: types.DefinitionParams):
        uri = params.text_document.uri
        result, offset, to_range = ls.navigation(uri, params.position)
        found = None if offset is None else analysis.definition(result, offset)
        if found is None:
            return None
        if found.path == result.path:
            where = to_range(found.span) if found.span is not None else None
            return None if where is None else types.Location(uri=uri, range=where)
        start = types.Position(line=0, character=0)
        where = (types.Range(start=start, end=start) if found.span is None
                 else ls.range(found.span, _source(result, found.path)))
        return types.Location(uri=from_fs_path(found.path), range=where)

    @server.feature(types.TEXT_DOCUMENT_COMPLETION,
                    types.CompletionOptions(trigger_characters=[":", ",", "(", " "]))
    def completion(ls: LemonServer, params: types.CompletionParams):
        uri = params.text_document.uri
        document = ls.workspace.get_text_document(uri)
        roles = ls.roles.get(uri) or _standard_scope()
        found = analysis.completions(document.source, ls.offset(uri, params.position), roles,
                                     ls.levels)
        return types.CompletionList(is_incomplete=False, items=[
            types.CompletionItem(label=c.label, kind=COMPLETION_KINDS[c.kind],
                                 detail=c.detail or None) for c in found])

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def outline(ls: LemonServer, params: types.DocumentSymbolParams):
        """The outline: roles, and each team with its agents (of the last text that parsed)."""
        result, _, to_range = ls.navigation(params.text_document.uri,
                                            types.Position(line=0, character=0))
        if result.module is None:
            return []

        def symbol(name, kind, whole, detail=None, children=None):
            selected, full = to_range(name.span), to_range(whole)
            if selected is None or full is None:
                return None
            return types.DocumentSymbol(name=name.text, kind=kind, range=full,
                                        selection_range=selected, detail=detail,
                                        children=[c for c in children or () if c])

        found = []
        for item in result.module.items:
            if isinstance(item, ast.Role):
                found.append(symbol(item.name, types.SymbolKind.Class, item.span, "role"))
            elif isinstance(item, ast.Team):
                agents = [symbol(a.name, types.SymbolKind.Object, a.span, a.base_role.text)
                          for a in item.agents]
                found.append(symbol(item.name, types.SymbolKind.Module, item.span, "team",
                                    agents))
        return [s for s in found if s]

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: LemonServer, params: types.DocumentFormattingParams):
        uri = params.text_document.uri
        document = ls.workspace.get_text_document(uri)
        text = document.source
        try:
            formatted = format_text(text, ls.path_of(uri))
        except CompileError:
            return None  # the diagnostics already say why it does not parse
        if formatted == text:
            return []
        source = Source(uri, text)
        return [types.TextEdit(range=ls.range(source.span(0, len(text)), source),
                               new_text=formatted)]

    @server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
    def prepare_rename(ls: LemonServer, params: types.PrepareRenameParams):
        uri = params.text_document.uri
        done = ls.current(uri)
        offset = ls.offset(uri, params.position)
        try:
            analysis.rename_spans(done.result, offset)
        except analysis.RenameError as exc:
            raise _request_failed(str(exc)) from None
        symbol = analysis.symbol_at(done.result.module, offset)
        return types.PrepareRenamePlaceholder(
            range=ls.range(symbol.span, done.result.sources[done.result.path]),
            placeholder=symbol.text)

    @server.feature(types.TEXT_DOCUMENT_RENAME)
    def rename(ls: LemonServer, params: types.RenameParams):
        uri = params.text_document.uri
        done = ls.current(uri)
        try:
            spans = analysis.rename_spans(done.result, ls.offset(uri, params.position),
                                          params.new_name)
        except analysis.RenameError as exc:
            raise _request_failed(str(exc)) from None
        source = done.result.sources[done.result.path]
        edits = [types.TextEdit(range=ls.range(s, source), new_text=params.new_name)
                 for s in spans]
        return types.WorkspaceEdit(changes={uri: edits})

    return server


REQUEST_FAILED = -32803  # LSP's RequestFailed: a valid request the server cannot carry out


def _request_failed(message: str):
    from pygls.exceptions import JsonRpcException

    return JsonRpcException(message, code=REQUEST_FAILED)


def _source(result: CheckResult, path: str) -> Source:
    if path in result.sources:
        return result.sources[path]
    try:
        with open(path, encoding="utf-8") as handle:
            return Source(path, handle.read())
    except (OSError, UnicodeDecodeError):
        return Source(path, "")


@functools.cache
def _standard_scope():
    """The roles always in scope, for completion before a document's first clean check."""
    from lemonspec.compiler.stdlib import standard_role_nodes
    from lemonspec.compiler.unit import RoleDef

    return {name: RoleDef(name, r.description.value, "std", "<std>", r.name.span)
            for name, r in standard_role_nodes().items()}


def serve(profile_name: str | None = None) -> None:
    from lemonspec.runtime.profiles import load_profile

    profile = load_profile(profile_name)
    build_server(profile).start_io()
