"""The VS Code grammar (editors/vscode/syntaxes/lemon.tmLanguage.json), run by VS Code's own
engine (vscode-textmate + vscode-oniguruma, from `npm ci` in editors/vscode), gives every name
the compiler knows the scope of what it is: agents declared and referenced, base roles,
capacity levels, strings with their escapes, comments and keywords."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from lemonspec.compiler import check_text
from lemonspec.compiler.parser import parse
from lemonspec.compiler.source import Source
from lemonspec.lsp.analysis import symbols

ROOT = Path(__file__).parents[2]
PACKAGE = ROOT / "editors/vscode"
EXAMPLES = sorted((ROOT / "examples").glob("*.lemon")) + [ROOT / "examples/roles/math.lemon"]
EXPECTED = {  # what the compiler calls a name -> the scope the grammar must give it
    ("agent", True): "entity.name.function.agent.lemon",
    ("agent", False): "variable.other.agent.lemon",
    ("role", True): "entity.name.type.role.lemon",
    ("role", False): "entity.other.inherited-class.role.lemon",
    ("level", False): "constant.language.capacity.lemon",
    ("use", False): "string.quoted.double.lemon",
}
TRICKY = '''# a comment with "quotes" and team keywords
role Quoter {
    description: "Say \\"hi\\"\\tthen \\\\ and\\nmore; # not a comment"
}
team t {  # trailing comment
    goal: """Three "quoted" lines, \\"escaped\\" ""two"" \\x
    keep going
    """
    agent a: Quoter { capacity: small }
    agent b: Quoter { after: a }
    output: vote(a, b)
    answer: label("yes", "no #")  # labels are strings
}
'''


def tokenize(files: list[Path]) -> dict[str, list]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (the grammar test runs VS Code's engine on node)")
    if not (PACKAGE / "node_modules/vscode-textmate").is_dir():
        pytest.skip("run `npm ci` in editors/vscode first (vscode-textmate, vscode-oniguruma)")
    done = subprocess.run([node, "test/tokenize.js", *map(str, files)], cwd=PACKAGE,
                          capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def scope_map(tokens: list) -> dict[tuple[int, int], list[str]]:
    """(1-based line, 1-based column) -> the scopes of the character there."""
    chars = {}
    for line, start, end, scopes in tokens:
        for column in range(start, end):
            chars[line, column + 1] = scopes
    return chars


def scopes_over(chars, span) -> list[list[str]]:
    assert span.line == span.end_line
    return [chars[span.line, c] for c in range(span.column, span.end_column)]


@pytest.fixture(scope="module")
def tokenized(tmp_path_factory) -> dict[Path, dict]:
    tricky = tmp_path_factory.mktemp("grammar") / "tricky.lemon"
    tricky.write_text(TRICKY, encoding="utf-8")
    files = [*EXAMPLES, tricky]
    found = tokenize(files)
    return {f: scope_map(found[str(f)]) for f in files}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_name_the_compiler_knows_has_its_scope(tokenized, path: Path):
    chars = tokenized[path]
    module, _ = parse(Source(str(path), path.read_text(encoding="utf-8")))
    checked = 0
    for symbol in symbols(module):
        expected = EXPECTED[symbol.kind, symbol.declaration]
        for scopes in scopes_over(chars, symbol.span):
            assert expected in scopes, (symbol, scopes)
        checked += 1
    assert checked >= 2


@pytest.mark.parametrize("path", [*EXAMPLES, "tricky"], ids=lambda p: getattr(p, "name", p))
def test_strings_comments_and_nothing_else_are_coloured_so(tokenized, path):
    path = next(p for p in tokenized if p.name == "tricky.lemon") if path == "tricky" else path
    chars = tokenized[path]
    text = path.read_text(encoding="utf-8")
    source = Source(str(path), text)
    module, _ = parse(source)
    inside = set()
    for string in module.strings():
        kind = "string.quoted.triple.lemon" if string.is_long else "string.quoted.double.lemon"
        for offset in range(string.span.start, string.span.end):
            if text[offset] != "\n":
                line, column = source.position(offset)
                assert kind in chars[line, column], (string.raw, offset)
                inside.add((line, column))
    for comment in module.comments:
        for scopes in scopes_over(chars, comment.span):
            assert "comment.line.number-sign.lemon" in scopes
            inside.add(True)
    for (line, column), scopes in chars.items():
        if (line, column) not in inside and any(s.startswith("string.") for s in scopes):
            raise AssertionError(f"{path.name}:{line}:{column} is no string but {scopes}")
    assert not [s for scopes in chars.values() for s in scopes if s.startswith("invalid")
                and path.name != "tricky.lemon"]


def test_escapes_keywords_and_a_bad_escape_in_the_tricky_file(tokenized):
    chars = next(v for k, v in tokenized.items() if k.name == "tricky.lemon")
    lines = TRICKY.splitlines()

    def at(line_no: int, needle: str, nth: int = 0) -> list[str]:
        column = -1
        for _ in range(nth + 1):
            column = lines[line_no - 1].index(needle, column + 1)
        return chars[line_no, column + 1]

    assert "constant.character.escape.lemon" in at(3, '\\"')
    assert "constant.character.escape.lemon" in at(3, "\\t")
    assert "constant.character.escape.lemon" in at(3, "\\\\")
    assert "constant.character.escape.lemon" in at(3, "\\n")
    assert "comment.line.number-sign.lemon" not in at(3, "# not")
    assert "invalid.illegal.escape.lemon" in at(6, "\\x")  # the compiler's E0002 too
    assert [d.code for d in check_text(TRICKY).diagnostics] == ["E0002"]
    assert "string.quoted.triple.lemon" in at(6, '""two""')
    assert "string.quoted.triple.lemon" in at(7, "keep")
    for line, word, scope in ((2, "role", "storage.type.role.lemon"),
                              (5, "team", "storage.type.team.lemon"),
                              (9, "agent", "storage.type.agent.lemon"),
                              (11, "vote", "support.function.vote.lemon"),
                              (12, "answer", "variable.other.property.field.lemon"),
                              (12, "label", "support.type.answer.lemon"),
                              (12, "no #", "string.quoted.double.lemon"),
                              (12, "# labels", "comment.line.number-sign.lemon"),
                              (5, "# trailing", "comment.line.number-sign.lemon")):
        assert scope in at(line, word), (word, at(line, word))
    assert "storage.type.team.lemon" not in at(1, "team")  # inside a comment


def test_the_extension_manifest_points_at_files_that_exist_and_parse():
    manifest = json.loads((PACKAGE / "package.json").read_text(encoding="utf-8"))
    contributes = manifest["contributes"]
    (language,) = contributes["languages"]
    assert language["id"] == "lemon" and language["extensions"] == [".lemon"]
    configuration = json.loads((PACKAGE / language["configuration"]).read_text(encoding="utf-8"))
    assert configuration["comments"] == {"lineComment": "#"}
    (grammar,) = contributes["grammars"]
    assert grammar["scopeName"] == "source.lemon"
    assert json.loads((PACKAGE / grammar["path"]).read_text(encoding="utf-8"))[
        "scopeName"] == "source.lemon"
    assert contributes["configuration"]["properties"]["lemon.server.command"]["default"] == [
        "lemonc", "lsp"]
    lock = json.loads((PACKAGE / "package-lock.json").read_text(encoding="utf-8"))
    assert {"vscode-textmate", "vscode-oniguruma", "vscode-languageclient"} <= {
        name.removeprefix("node_modules/") for name in lock["packages"]}
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: extension.js not syntax-checked")
    subprocess.run([node, "--check", str(PACKAGE / manifest["main"])], check=True, timeout=60)
