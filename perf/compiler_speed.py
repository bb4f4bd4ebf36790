"""Compiler speed, side by side in one run.

1. check + lower of specs with 5, 20 and 100 agents, against `json.loads` + `jsonschema`
   validation of the equivalent JSON document (the path a YAML/JSON spec format takes, which
   checks shape only: no names, no cycles, no did-you-mean). Targets: 20 agents within 3x of
   the JSON path; 100 agents within 6x of the 20-agent time (linear).
(Start-up, `lemonc check` against `python -c pass`, is measured by perf/startup.py.)

Run: python perf/compiler_speed.py
"""

from __future__ import annotations

import gc
import json
import random
import time

import jsonschema

from lemonspec.compiler import Limits, check_text
from lemonspec.compiler.driver import lower

ROLES = ["MathSolver", "MathAnalyst", "Inspector", "ProgrammingExpert"]
LEVELS = ["small", "medium", "large"]

JSON_SCHEMA = {
    "type": "object",
    "required": ["team", "agents"],
    "properties": {
        "team": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
        "goal": {"type": "string"},
        "agents": {"type": "array", "minItems": 1, "maxItems": 128, "items": {
            "type": "object", "required": ["name", "role"], "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
                "role": {"type": "string", "enum": ROLES},
                "duty": {"type": "string", "maxLength": 8000},
                "capacity": {"enum": LEVELS},
                "after": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
            }}},
        "output": {"type": "string"},
    },
}


def team(n: int, seed: int = 0) -> dict:
    rng = random.Random(seed)
    agents = []
    for i in range(n):
        after = sorted(rng.sample(range(i), min(i, rng.randint(0, 3))))
        agents.append({"name": f"agent_{i}", "role": rng.choice(ROLES),
                       "duty": f"Do step {i} carefully and report what you found.",
                       "capacity": rng.choice(LEVELS), "after": [f"agent_{j}" for j in after]})
    return {"team": f"team_{n}", "goal": "Solve the task.", "agents": agents,
            "output": f"agent_{n - 1}"}


def to_lemon(doc: dict) -> str:
    lines = [f"team {doc['team']} {{", f'    goal: "{doc["goal"]}"', ""]
    for a in doc["agents"]:
        lines += [f"    agent {a['name']}: {a['role']} {{", f'        duty: "{a["duty"]}"',
                  f"        capacity: {a['capacity']}"]
        if a["after"]:
            lines.append(f"        after: {', '.join(a['after'])}")
        lines += ["    }", ""]
    lines += [f"    output: {doc['output']}", "}"]
    return "\n".join(lines) + "\n"


def best_times(fns, repeats: int = 15, number: int = 20) -> list[float]:
    """Best time per call of each function, measured interleaved so that load on the
    machine hits all of them alike."""
    times = [[] for _ in fns]
    gc.disable()  # as timeit does: a collection would land on whichever side it happens to
    for _ in range(repeats):
        for fn, samples in zip(fns, times):
            start = time.perf_counter()
            for _ in range(number):
                fn()
            samples.append((time.perf_counter() - start) / number)
    gc.enable()
    return [min(samples) for samples in times]


def compile_speed():
    validator = jsonschema.Draft202012Validator(JSON_SCHEMA)
    limits = Limits(max_agents=128)
    results = {}
    for n in (5, 20, 100):
        doc = team(n)
        text, payload = to_lemon(doc), json.dumps(doc)
        assert check_text(text, limits=limits).ok

        def lemon(text=text):
            lower(check_text(text, limits=limits))

        def json_path(payload=payload):
            validator.validate(json.loads(payload))

        lemon(), json_path()  # warm caches (parser tables, validator)
        results[n] = tuple(best_times([lemon, json_path]))
        ours, theirs = results[n]
        print(f"{n:>4} agents: lemonc check+lower {ours * 1e3:7.2f} ms | json+jsonschema "
              f"{theirs * 1e3:7.2f} ms | ratio {ours / theirs:5.2f}x")
    print(f"20 agents vs JSON path: {results[20][0] / results[20][1]:.2f}x (target <= 3x)")
    print(f"100 agents vs 20 agents: {results[100][0] / results[20][0]:.2f}x (target <= 6x)")


if __name__ == "__main__":
    compile_speed()
