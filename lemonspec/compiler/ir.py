"""The executable IR: one team, checked and lowered, ready for the runtime.

Frozen, JSON-serializable and versioned. Agents come in a topological order with their
parallel stage; each carries resolved instructions and a content hash that also covers the
hashes of the agents it depends on, so a node's hash changes exactly when its own spec or
anything upstream of it changes (the runtime's node cache keys on it). A declared answer
type is part of every agent's hash, since the runtime tells every agent its format.

Version 2 added `answer`, the team's declared answer type (null when the spec declares
none). Proved by tests/compiler/test_ir.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import attrs

IR_VERSION = 2
SCHEMA_FILE = "ir.schema.json"


# The answer types of the language, and whether each takes a list of options.
ANSWER_TYPES = {"number": False, "choice": True, "label": True, "code": False, "text": False}


def label_key(text: str) -> str:
    """What a label is compared by: case, runs of spaces, bold, surrounding quotes and a
    final period do not count. The one key of the checker's duplicate test (E0504) and of
    the judge's label reading (runtime/answers.py)."""
    text = text.replace("**", "").strip().strip("\"'`").strip().removesuffix(".").strip()
    return " ".join(text.casefold().split())


@attrs.frozen
class AnswerType:
    """What kind of answer a team gives: a number, a letter of `options` (choice), one of
    the `options` labels (label), code, or free text. runtime/answers.py reads and votes
    on answers by it."""

    kind: str
    options: tuple[str, ...] = ()

    def __str__(self) -> str:
        """As a spec writes it: `number`, `choice(A, B)`, `label("yes", "no")`."""
        if self.kind == "choice":
            return f"choice({', '.join(self.options)})"
        if self.kind == "label":
            return f"label({', '.join(json.dumps(o, ensure_ascii=False) for o in self.options)})"
        return self.kind

    def to_json(self) -> dict:
        return {"type": self.kind, "options": list(self.options)}

    @classmethod
    def from_json(cls, data: dict) -> AnswerType:
        return cls(data["type"], tuple(data["options"]))


TEXT = AnswerType("text")  # a team's answer type when neither the spec nor the task says


@attrs.frozen
class AgentNode:
    name: str
    role: str
    role_description: str
    duty: str | None
    instructions: str  # what the agent is told: the base role's description, then its duty
    capacity: str
    after: tuple[str, ...]
    stage: int  # 0 for agents with no dependencies, else 1 + the deepest dependency's stage
    hash: str

    def to_json(self) -> dict:
        return {**attrs.asdict(self), "after": list(self.after)}


@attrs.frozen
class OutputRule:
    """The team's answer: one agent's (kind "agent") or the majority of several ("vote")."""

    kind: str
    agents: tuple[str, ...]

    def to_json(self) -> dict:
        return {"kind": self.kind, "agents": list(self.agents)}


@attrs.frozen
class TeamIR:
    team: str
    goal: str | None
    source: str
    capacity_levels: tuple[str, ...]
    agents: tuple[AgentNode, ...]
    output: OutputRule
    answer: AnswerType | None = None  # as declared; None: the task (or text) decides
    ir_version: int = IR_VERSION

    @property
    def stages(self) -> tuple[tuple[str, ...], ...]:
        depth = max((a.stage for a in self.agents), default=-1) + 1
        stages: list[list[str]] = [[] for _ in range(depth)]
        for a in self.agents:
            stages[a.stage].append(a.name)
        return tuple(tuple(s) for s in stages)

    def agent(self, name: str) -> AgentNode:
        return next(a for a in self.agents if a.name == name)

    def dependents(self, name: str) -> tuple[str, ...]:
        return tuple(a.name for a in self.agents if name in a.after)

    def to_json(self) -> dict:
        return {
            "ir_version": self.ir_version,
            "team": self.team,
            "goal": self.goal,
            "source": self.source,
            "capacity_levels": list(self.capacity_levels),
            "agents": [a.to_json() for a in self.agents],
            "stages": [list(s) for s in self.stages],
            "output": self.output.to_json(),
            "answer": None if self.answer is None else self.answer.to_json(),
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, data: dict) -> TeamIR:
        if data.get("ir_version") != IR_VERSION:
            raise ValueError(f"IR version {data.get('ir_version')} is not {IR_VERSION}")
        agents = tuple(
            AgentNode(**{**a, "after": tuple(a["after"])}) for a in data["agents"]
        )
        output = OutputRule(data["output"]["kind"], tuple(data["output"]["agents"]))
        answer = None if data["answer"] is None else AnswerType.from_json(data["answer"])
        return cls(data["team"], data["goal"], data["source"], tuple(data["capacity_levels"]),
                   agents, output, answer)


def node_hash(name: str, role: str, instructions: str, capacity: str,
              after: list[tuple[str, str, str]], answer: AnswerType | None = None) -> str:
    """Content hash of one agent: its own spec plus (name, role, hash) of each dependency,
    in `after` order, and the team's declared answer type, since that is exactly what its
    messages are built from. Without a declared type the payload is what it was before
    types existed, so those hashes (and node caches) are unchanged."""
    import hashlib  # lowering only: not on `lemonc check`'s start-up path

    content: dict[str, object] = {"name": name, "role": role, "instructions": instructions,
                                  "capacity": capacity, "after": after}
    if answer is not None:
        content["answer"] = answer.to_json()
    payload = json.dumps(content, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:24]


def json_schema() -> dict:
    """The published JSON Schema of the IR."""
    text = (Path(__file__).parent / SCHEMA_FILE).read_text(encoding="utf-8")
    return json.loads(text)
