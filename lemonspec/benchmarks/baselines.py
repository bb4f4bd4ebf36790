"""The LEMON paper's prompting and fixed-topology baselines, written as `.lemon` specs.

One set per benchmark, each drawing on its benchmark's role pool (`stdlib.role_pool`):

    vanilla    one agent answers directly
    cot        one agent thinks step by step
    sc_cot     five chain-of-thought samples and a majority vote (needs temperature > 0)
    chain      the pool's agents in a line, each reading the one before
    tree       a binary tree: children report to their parent, the root answers
    complete   every agent reads every agent declared before it
    random     a seeded random DAG over the same agents (`random_team`)

The multi-agent baselines share one lineup of agents per role pool, so that they differ only
in topology, which is what the paper's fixed-structure baselines compare. The committed files
in examples/baselines/ are this module's output (`lemonc baselines write`); a test keeps the
two in step.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from pathlib import Path

import attrs

from lemonspec.benchmarks.datasets import NAMES
from lemonspec.benchmarks.errors import Error
from lemonspec.compiler.fmt import format_text
from lemonspec.compiler.strings import encode_short

BASELINES = ("vanilla", "cot", "sc_cot", "chain", "tree", "complete", "random")
SC_COT_SAMPLES = 5
RANDOM_EDGE_PROBABILITY = 0.5
RANDOM_SEED = 0  # the seed of the committed random.lemon files

# The prompting baselines ask a plain model, so they use a neutral local role rather than a
# pool role whose description already prescribes a way of working.
ASSISTANT = ("Assistant", "You are a helpful assistant.")

FAMILY = {"gsm8k": "math", "svamp": "math", "multiarith": "math", "aqua": "math",
          "mmlu": "mmlu", "humaneval": "code"}

# The agents of the multi-agent baselines, in pipeline order; the last one decides.
LINEUPS = {
    "math": ("MathAnalyst", "MathSolver", "ProgrammingExpert", "Inspector"),
    "mmlu": ("Historian", "Doctor", "Mathematician", "KnowledgeableExpert", "Critic"),
    "code": ("ProjectManager", "AlgorithmDesigner", "ProgrammingExpert", "TestAnalyst",
             "BugFixer"),
}

_NUMBER = "Give the final answer as a single number on the last line: Answer: <number>"
_CODE = "Return the complete function, signature included, in one ```python code block."


@attrs.frozen
class Task:
    """What a benchmark asks of a team: its goal and the form of the final answer."""

    benchmark: str
    goal: str
    answer_format: str  # the duty line that makes an output agent's answer scorable
    answer: str  # the team's answer type, as written after `answer:`

    @property
    def family(self) -> str:
        return FAMILY[self.benchmark]

    @property
    def lineup(self) -> tuple[str, ...]:
        return LINEUPS[self.family]


TASKS = {
    "gsm8k": Task("gsm8k", "Solve the grade-school math word problem.", _NUMBER, "number"),
    "svamp": Task("svamp", "Solve the arithmetic word problem.", _NUMBER, "number"),
    "multiarith": Task("multiarith", "Solve the multi-step arithmetic problem.", _NUMBER,
                       "number"),
    "aqua": Task("aqua", "Solve the algebra problem and choose one of the options A-E.",
                 "End with the letter of the option you choose: Answer: <letter A-E>",
                 "choice(A, B, C, D, E)"),
    "mmlu": Task("mmlu", "Answer the multiple-choice question.",
                 "End with the letter of the option you choose: Answer: <letter A-D>",
                 "choice(A, B, C, D)"),
    "humaneval": Task("humaneval", "Complete the Python function so that its tests pass.",
                      _CODE, "code"),
}


@attrs.frozen
class Agent:
    name: str
    role: str
    duty: str | None = None
    after: tuple[str, ...] = ()


@attrs.frozen
class Team:
    name: str
    goal: str
    agents: tuple[Agent, ...]
    output: tuple[str, ...]  # one agent, or the voters of `vote(...)`
    header: str  # the comment at the top of the file
    roles: tuple[tuple[str, str], ...] = ()  # local role declarations: (name, description)
    answer: str | None = None  # the answer type, as written after `answer:`


# ---- the baselines ----


def baseline(name: str, benchmark: str, *, seed: int = RANDOM_SEED,
             agents: int | None = None) -> Team:
    """The baseline `name` for `benchmark`; `seed` and `agents` only shape `random`."""
    task = _task(benchmark)
    if name == "random":
        return random_team(benchmark, agents=agents, seed=seed)
    builders = {"vanilla": _vanilla, "cot": _cot, "sc_cot": _sc_cot, "chain": _chain,
                "tree": _tree, "complete": _complete}
    if name not in builders:
        raise Error(f"unknown baseline {name!r}; the baselines are {', '.join(BASELINES)}")
    return attrs.evolve(builders[name](task), answer=task.answer)


def _vanilla(task: Task) -> Team:
    duty = f"Answer directly, without explanation. {task.answer_format}"
    return Team("vanilla", task.goal, (Agent("answerer", ASSISTANT[0], duty),), ("answerer",),
                f"Vanilla: one plain model answers the {task.benchmark} task directly.",
                (ASSISTANT,))


def _cot_duty(task: Task) -> str:
    return f"Think step by step and show your working. Then: {task.answer_format}"


def _cot(task: Task) -> Team:
    return Team("cot", task.goal, (Agent("reasoner", ASSISTANT[0], _cot_duty(task)),),
                ("reasoner",), f"CoT: one model reasons step by step on the {task.benchmark} "
                "task.", (ASSISTANT,))


def _sc_cot(task: Task) -> Team:
    names = tuple(f"sample_{i}" for i in range(1, SC_COT_SAMPLES + 1))
    agents = tuple(Agent(name, ASSISTANT[0], _cot_duty(task)) for name in names)
    header = (f"SC-CoT: {SC_COT_SAMPLES} chain-of-thought samples on the {task.benchmark} task "
              "and a majority vote.\nThe samples differ only by sampling: run with a "
              "temperature above 0 (lemonc bench --temperature 0.7),\nor all five give the "
              "same answer.")
    return Team("sc_cot", task.goal, agents, names, header, (ASSISTANT,))


def _chain(task: Task) -> Team:
    roles = task.lineup
    after = {i: (i - 1,) if i else () for i in range(len(roles))}
    return _topology("chain", task, roles, after,
                     "Chain: each agent reads the one before it; the last one answers.")


def _tree(task: Task) -> Team:
    roles = task.lineup
    # Heap order from the decider: position k (lineup[-1 - k]) reads positions 2k+1, 2k+2.
    position = {i: len(roles) - 1 - i for i in range(len(roles))}
    index = {k: i for i, k in position.items()}
    after = {i: tuple(index[c] for c in (2 * position[i] + 1, 2 * position[i] + 2)
                      if c < len(roles)) for i in range(len(roles))}
    return _topology("tree", task, roles, after,
                     "Tree: a binary tree; each agent reads its children, the root answers.")


def _complete(task: Task) -> Team:
    roles = task.lineup
    after = {i: tuple(range(i)) for i in range(len(roles))}
    return _topology("complete", task, roles, after,
                     "Complete: every agent reads every agent declared before it.")


def random_team(benchmark: str, *, agents: int | None = None, seed: int = RANDOM_SEED,
                edge_probability: float = RANDOM_EDGE_PROBABILITY) -> Team:
    """A seeded random DAG over the benchmark's lineup (the decider last, the other agents
    shuffled and, when `agents` asks for more, repeated). Each forward pair is an edge with
    `edge_probability`; an agent nobody reads is then read by the decider, so every agent
    reaches the answer. Edges only go forward, so the graph is acyclic by construction."""
    task = _task(benchmark)
    size = len(task.lineup) if agents is None else agents
    if not 1 <= size <= 64:
        raise Error(f"a random team needs 1 to 64 agents, not {size}")
    rng = random.Random(seed)
    workers = [task.lineup[i % (len(task.lineup) - 1)] for i in range(size - 1)]
    rng.shuffle(workers)
    after = {j: tuple(i for i in range(j) if rng.random() < edge_probability)
             for j in range(size)}
    read = {i for deps in after.values() for i in deps}
    last = size - 1
    after[last] = tuple(sorted({*after[last], *(i for i in range(last) if i not in read)}))
    header = (f"Random: a seeded random DAG (seed {seed}, {size} agents, edge probability "
              f"{edge_probability}).\nRegenerate with: lemonc baselines random --benchmark "
              f"{benchmark} --agents {size} --seed {seed}")
    return attrs.evolve(_topology("random", task, (*workers, task.lineup[-1]), after, header),
                        answer=task.answer)


def _topology(name: str, task: Task, roles: tuple[str, ...], after: dict[int, tuple[int, ...]],
              header: str) -> Team:
    """Agents with the given roles and edges (by position); the last one answers."""
    names = role_agent_names(roles)
    last = len(roles) - 1
    agents = tuple(
        Agent(names[i], role, _duty(task, role, is_output=i == last),
              tuple(names[d] for d in after[i]))
        for i, role in enumerate(roles)
    )
    return Team(name, task.goal, agents, (names[last],), f"{header}\nBenchmark: "
                f"{task.benchmark}; role pool: {task.family}.")


def _duty(task: Task, role: str, *, is_output: bool) -> str | None:
    """Agents act as their base role alone; the answering agent is told the answer's form.
    The shared ProgrammingExpert role is written for math, so on code it is told to code."""
    if is_output:
        return task.answer_format
    if task.family == "code" and role == "ProgrammingExpert":
        return f"Implement the function. {_CODE}"
    return None


def role_agent_names(roles: Sequence[str]) -> list[str]:
    """MathSolver -> math_solver; a repeated role gets _2, _3, ..."""
    seen: dict[str, int] = {}
    names = []
    for role in roles:
        base = re.sub(r"(?<!^)(?=[A-Z])", "_", role).lower()
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base}_{seen[base]}")
    return names


def _task(benchmark: str) -> Task:
    if benchmark not in TASKS:
        raise Error(f"unknown benchmark {benchmark!r}; known: {', '.join(NAMES)}")
    return TASKS[benchmark]


# ---- writing .lemon text ----


def render(team: Team) -> str:
    """The team as a canonically formatted `.lemon` file."""
    lines = [f"# {line}".rstrip() for line in team.header.splitlines()]
    for role, description in team.roles:
        lines += ["", f"role {role} {{", f"description: {encode_short(description)}", "}"]
    lines += ["", f"team {team.name} {{", f"goal: {encode_short(team.goal)}"]
    if team.answer is not None:
        lines.append(f"answer: {team.answer}")
    for agent in team.agents:
        lines += [f"agent {agent.name}: {agent.role} {{"]
        if agent.duty is not None:
            lines.append(f"duty: {encode_short(agent.duty)}")
        if agent.after:
            lines.append(f"after: {', '.join(agent.after)}")
        lines.append("}")
    output = team.output[0] if len(team.output) == 1 else f"vote({', '.join(team.output)})"
    lines += [f"output: {output}", "}"]
    return format_text("\n".join(lines) + "\n")


def baseline_path(root: str | Path, benchmark: str, name: str) -> Path:
    return Path(root) / benchmark / f"{name}.lemon"


def write_all(root: str | Path) -> list[Path]:
    """Write every baseline of every benchmark under `root` (examples/baselines)."""
    written = []
    for benchmark in TASKS:
        for name in BASELINES:
            path = baseline_path(root, benchmark, name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render(baseline(name, benchmark)), encoding="utf-8")
            written.append(path)
    return written
