"""The IR: order, stages, instructions, hashes that follow the dependencies, JSON, schema."""

import json

import jsonschema
import pytest

from lemonspec.compiler import TeamIR, compile_text
from lemonspec.compiler.edits import set_field
from lemonspec.compiler.ir import json_schema

SPEC = """team t {
    agent analyst: MathAnalyst { duty: "List facts." capacity: small }
    agent solver: MathSolver { after: analyst capacity: large }
    agent coder: ProgrammingExpert { after: analyst }
    agent checker: Inspector { after: solver, coder }
    output: checker
}"""


@pytest.fixture
def ir():
    return compile_text(SPEC, "t.lemon")


def test_topological_order_and_parallel_stages(ir):
    assert [a.name for a in ir.agents] == ["analyst", "solver", "coder", "checker"]
    assert ir.stages == (("analyst",), ("solver", "coder"), ("checker",))


def test_instructions_are_the_role_description_then_the_duty(ir):
    analyst = ir.agent("analyst")
    assert analyst.instructions == analyst.role_description + "\n\nList facts."
    assert ir.agent("solver").instructions == ir.agent("solver").role_description


def test_absent_capacity_takes_the_profile_default(ir):
    assert ir.agent("coder").capacity == "medium"
    other = compile_text(SPEC, levels=("low", "small", "medium", "large"), default_level="low")
    assert other.agent("coder").capacity == "low"


def test_implicit_output_is_the_only_sink():
    ir = compile_text("team t { agent a: MathSolver {} agent b: Inspector { after: a } }")
    assert (ir.output.kind, ir.output.agents) == ("agent", ("b",))


def test_json_round_trip_and_schema(ir):
    data = json.loads(ir.dumps())
    jsonschema.validate(data, json_schema())
    assert TeamIR.from_json(data) == ir


def test_hash_is_stable_and_changes_exactly_downstream_of_an_edit(ir):
    assert compile_text(SPEC, "t.lemon") == ir
    edited = compile_text(set_field(SPEC, "t", "solver", "duty", "Be careful.").text)
    changed = {a.name for a in ir.agents if a.hash != edited.agent(a.name).hash}
    assert changed == {"solver", "checker"}


def test_same_spec_under_different_names_is_a_different_node(ir):
    assert len({a.hash for a in ir.agents}) == len(ir.agents)


def test_schema_rejects_a_malformed_ir(ir):
    data = ir.to_json()
    data["agents"][0]["stage"] = -1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, json_schema())


def test_the_declared_answer_type_is_in_the_ir_and_its_json():
    from lemonspec.compiler.ir import AnswerType

    typed = compile_text(SPEC.replace("output: checker", 'answer: label("yes", "no")\n'
                                      "    output: checker"))
    assert typed.answer == AnswerType("label", ("yes", "no"))
    assert str(typed.answer) == 'label("yes", "no")'
    data = json.loads(typed.dumps())
    assert data["ir_version"] == 2 and data["answer"] == {"type": "label",
                                                          "options": ["yes", "no"]}
    jsonschema.validate(data, json_schema())
    assert TeamIR.from_json(data) == typed
    assert compile_text(SPEC).answer is None and compile_text(SPEC).to_json()["answer"] is None


def test_declaring_an_answer_type_changes_every_agents_hash(ir):
    """Every agent is told the type's format, so every node's content changes with it."""
    number = compile_text(SPEC.replace("output: checker", "answer: number output: checker"))
    choice = compile_text(SPEC.replace("output: checker", "answer: choice(A, B) output: checker"))
    fewer = compile_text(SPEC.replace("output: checker", "answer: choice(A) output: checker"))
    for agent in ir.agents:
        hashes = {t.agent(agent.name).hash for t in (ir, number, choice, fewer)}
        assert len(hashes) == 4, agent.name
    # Without a declaration the hash is what it was before answer types existed.
    from lemonspec.compiler.ir import node_hash

    analyst = ir.agent("analyst")
    assert analyst.hash == node_hash("analyst", "MathAnalyst", analyst.instructions, "small", [])


@pytest.mark.parametrize("answer", [
    {"type": "choice", "options": []},
    {"type": "choice", "options": ["a"]},
    {"type": "number", "options": ["A"]},
    {"type": "label", "options": ["x", "x"]},
    {"type": "boolean", "options": []},
])
def test_schema_rejects_a_malformed_answer_type(ir, answer):
    data = ir.to_json()
    data["answer"] = answer
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, json_schema())
