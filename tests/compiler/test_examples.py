"""Every example spec checks clean, is already formatted, and lowers to schema-valid IR."""

from pathlib import Path

import jsonschema
import pytest

from lemonspec.compiler import check_file, compile_file, format_text
from lemonspec.compiler.ir import json_schema

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.lemon"))
BENCHMARKS = {"gsm8k", "svamp", "multiarith", "aqua", "mmlu", "humaneval"}


def test_one_example_per_benchmark():
    assert BENCHMARKS <= {p.stem for p in EXAMPLES}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_is_clean_formatted_and_compiles(path):
    result = check_file(path)
    assert result.diagnostics == ()
    text = path.read_text()
    assert format_text(text) == text
    ir = compile_file(path)
    jsonschema.validate(ir.to_json(), json_schema())
