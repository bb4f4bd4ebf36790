"""No input raises: arbitrary text and bytes, and mutated valid specs, through check,
compile and fmt (the contract is tests/compiler/fuzzing.py). Seeded and bounded so that CI
is repeatable and takes seconds; perf/fuzz_compiler.py runs the same for minutes."""

from hypothesis import HealthCheck, given, settings

from tests.compiler.fuzzing import assert_well_behaved, inputs

FUZZ = settings(derandomize=True, max_examples=200, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FUZZ
@given(inputs())
def test_no_input_raises_and_every_span_is_valid(data):
    assert_well_behaved(data)


# The crashes the fuzzing of issue 10 found, kept as fixed points.
REPRODUCERS = [
    'use "a\x00b"\nteam t { agent a: MathSolver {} }\n',  # ValueError: embedded null byte
    'team t { agent a: MathSolver { duty: "\ud800" } }\n',  # UnicodeEncodeError in lowering
    "\ufeffteam t { agent a: MathSolver {} }\n",  # a BOM, rejected as a character
    b'team t { agent a: MathSolver { duty: "caf\xe9" } }\n',  # UnicodeDecodeError
    'team t { agent a: MathSolver { duty: "a \\q" } }\n',  # fmt turned E0002 into valid
    'use "/proc/self/environ"\nteam t { agent a: MathSolver {} }\n',
    b"\xff\xfe\x00\x00",
    "",
]


def test_the_reproducers_of_issue_10():
    for data in REPRODUCERS:
        assert_well_behaved(data)
