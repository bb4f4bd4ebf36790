"""Golden diagnostics: every invalid example gives exactly its expected concise output."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from lemonspec.cli import main

INVALID = Path(__file__).parents[2] / "examples" / "invalid"
CASES = sorted(INVALID.glob("*.lemon"))


def test_there_is_an_invalid_example_for_every_error_code():
    from lemonspec.compiler.diagnostics import CODES

    expected = "".join(p.with_suffix(".expected").read_text() for p in CASES)
    untested = {"E0103", "E0205", "E0305", "E0901", "E0904", "E0905"}  # in pass/file tests
    assert {c for c in CODES if c.startswith("E")} - untested <= {
        c for c in CODES if f"[{c}]" in expected}


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_concise_output_is_exactly_the_expected_one(case, monkeypatch):
    monkeypatch.chdir(INVALID)
    result = CliRunner().invoke(main, ["check", case.name])
    assert result.output == case.with_suffix(".expected").read_text()
    has_errors = "error[" in result.output
    assert result.exit_code == (1 if has_errors else 0)


def test_the_documented_codes_are_exactly_the_codes():
    import re

    from lemonspec.compiler.diagnostics import CODES

    doc = (Path(__file__).parents[2] / "docs" / "diagnostics.md").read_text()
    table = dict(re.findall(r"^\| `(\w\d{4})` \| \w+ \| (.+?) \|$", doc, flags=re.MULTILINE))
    assert table == CODES
