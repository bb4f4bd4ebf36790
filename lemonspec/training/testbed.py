"""A SIMULATED testbed where team structure matters. No language model is behind it: every
"worker answer" is drawn from a hand-written probability model over hidden facts.

Hidden facts. Each task family (FAMILIES) is a small plan of steps. A step is owned by one
base role, may be hard, may have a duty that matters, and needs the results of some earlier
steps. The best team for a family has one agent per step (3 to 5 agents), an edge exactly
where a step needs another's result, the large capacity only on the hard step, a duty only
where the family's duty matters, and the final step's agent as the output. The orchestrator
sees only the task text (its family's name and description); the plan stays hidden.

One agent. An agent whose base role owns a step of the task's family answers its step right
with probability

    p = sigmoid(BASE + SKILL[hard][capacity] + DUTY * (duty and the step's duty matters)
                - MISSING * (needed steps with no right result on an incoming edge)
                - DISTRACTION * (incoming edges from agents whose step is not needed))

An agent whose role owns no step is never right. Only the final step's agent can give the
team's answer; any other agent's reply carries its own step's result, a different number.
Tokens: completion = COMPLETION[capacity] (+ DUTY_TOKENS with a duty), times a draw in
[0.9, 1.1); prompt = PROMPT_TOKENS + the completion tokens of every upstream agent it reads.
So an edge that carries needed information pays for itself; any other edge only adds cost;
a duty costs tokens everywhere and pays only where it matters; the large capacity costs
4x the small and pays only on the hard step.

What it reads. The IR the runtime runs, never prompt wording: the rollout sets `RUNNING`
(simulator.py) to (team IR, task input) around each run, and each call names its agent by
the IR node hash the runtime passes in the call's metadata. The agent's base role, whether
it has a duty (not what the duty says), its capacity and its `after` edges come from that
node; an upstream agent's correctness is recomputed from the IR and the common random
numbers, never parsed from its message. Rewording a role description or a duty changes
nothing (tested).

Common random numbers: an agent's draws are keyed by (seed, task, agent name, sample key),
so a counterfactual edit changes the outcome only through the probabilities it changes.

`expected(team, task)` gives the exact expected success, tokens and reward of a team by
enumerating the agents' right/wrong patterns (at most 2^agents); the tests pin each
family's optimum with it and a brute-force search confirms it.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping, Sequence

import attrs

from lemonspec.compiler.ir import TeamIR
from lemonspec.runtime.answers import majority
from lemonspec.runtime.profiles import LevelConfig, Profile
from lemonspec.runtime.scripted import ScriptedCall, ScriptedModel, ScriptedReply
from lemonspec.training import simulator
from lemonspec.training.config import RewardConfig
from lemonspec.training.simulator import LEVELS, sigmoid, uniform

DEFAULT_LEVEL = "small"
ROLES = ("MathAnalyst", "MathSolver", "ProgrammingExpert", "Inspector", "Critic",
         "KnowledgeableExpert")  # the testbed's role pool (sampling.roles)
BASE = 2.5
SKILL = {False: {"small": 0.0, "medium": 0.05, "large": 0.1},
         True: {"small": -3.0, "medium": -2.0, "large": 1.0}}
DUTY = 1.5
MISSING = 4.0
DISTRACTION = 0.3
COMPLETION = {"small": 60, "medium": 120, "large": 240}
DUTY_TOKENS = 30
PROMPT_TOKENS = 40
MAX_RECORDED_CALLS = 1000


@attrs.frozen
class Step:
    role: str
    needs: tuple[str, ...] = ()  # roles of the steps whose results this one needs
    hard: bool = False
    duty_matters: bool = False


@attrs.frozen
class Family:
    name: str
    description: str
    steps: tuple[Step, ...]  # in plan order; the last one gives the answer

    @property
    def final(self) -> str:
        return self.steps[-1].role

    def step(self, role: str) -> Step | None:
        return next((s for s in self.steps if s.role == role), None)


FAMILIES = {f.name: f for f in (
    Family("audit", "an estimate that must be planned, computed and checked", (
        Step("MathAnalyst"),
        Step("MathSolver", needs=("MathAnalyst",), hard=True, duty_matters=True),
        Step("Inspector", needs=("MathSolver",)))),
    Family("pipeline", "a data task that needs facts, a plan, code and a review", (
        Step("KnowledgeableExpert"),
        Step("MathAnalyst"),
        Step("ProgrammingExpert", needs=("KnowledgeableExpert", "MathAnalyst"), hard=True),
        Step("Inspector", needs=("ProgrammingExpert",), duty_matters=True))),
    Family("review", "a modelling question solved two ways and then critiqued", (
        Step("KnowledgeableExpert"),
        Step("MathAnalyst", needs=("KnowledgeableExpert",)),
        Step("MathSolver", needs=("MathAnalyst",)),
        Step("ProgrammingExpert", needs=("MathAnalyst",), hard=True, duty_matters=True),
        Step("Critic", needs=("MathSolver", "ProgrammingExpert"), duty_matters=True))),
)}


@attrs.frozen
class Member:
    """What the testbed reads of one agent (from its IR node)."""

    role: str
    capacity: str
    duty: bool
    after: tuple[int, ...] = ()  # positions of its upstream agents (all earlier)


@attrs.frozen
class Team:
    members: tuple[Member, ...]
    output: tuple[int, ...]  # one position, or the voters'
    vote: bool = False

    @property
    def edges(self) -> int:
        return sum(len(m.after) for m in self.members)


def team_of(ir: TeamIR) -> Team:
    position = {a.name: i for i, a in enumerate(ir.agents)}
    members = tuple(Member(a.role, a.capacity, a.duty is not None,
                           tuple(position[d] for d in a.after)) for a in ir.agents)
    return Team(members, tuple(position[n] for n in ir.output.agents), ir.output.kind == "vote")


@attrs.frozen
class TestbedTask:
    index: int
    family: Family
    answer: int

    @property
    def text(self) -> str:
        """The task as the orchestrator and the workers see it."""
        return (f"[testbed task {self.index}] Solve {self.family.description} "
                f"({self.family.name}). Reply with: Answer: <number>")


@attrs.frozen
class Expected:
    success: float
    tokens: float
    agents: int
    edges: int

    def reward(self, config: RewardConfig) -> float:
        efficiency = min(1.0, max(0.0, 1.0 - self.tokens / config.token_budget))
        structure = config.agent_weight * self.agents + config.edge_weight * self.edges
        return self.success + config.alpha * efficiency - config.beta * structure


def probability(family: Family, member: Member, right: Sequence[bool],
                members: Sequence[Member]) -> float:
    """P(this agent's step is right) given which upstream agents were right."""
    step = family.step(member.role)
    if step is None:
        return 0.0
    fed: dict[str, bool] = {}
    distractions = 0
    for up in member.after:
        role = members[up].role
        if role in step.needs:
            fed[role] = fed.get(role, False) or right[up]
        else:
            distractions += 1
    missing = sum(1 for need in step.needs if not fed.get(need, False))
    logit = (BASE + SKILL[step.hard][member.capacity] - MISSING * missing
             - DISTRACTION * distractions + (DUTY if member.duty and step.duty_matters else 0))
    return sigmoid(logit)


def gives_answer(family: Family, member: Member, right: bool) -> bool:
    return right and member.role == family.final


def completion_mean(member: Member) -> float:
    return COMPLETION[member.capacity] + (DUTY_TOKENS if member.duty else 0)


def expected(team: Team, family: Family) -> Expected:
    """Exact expected success and tokens of a team on a family (see the module docstring)."""
    members = team.members
    success = 0.0
    for pattern in itertools.product((False, True), repeat=len(members)):
        chance = 1.0
        for i, member in enumerate(members):
            p = probability(family, member, pattern, members)
            chance *= p if pattern[i] else 1.0 - p
            if chance == 0.0:
                break
        if chance and team_right(team, family, pattern):
            success += chance
    tokens = sum(PROMPT_TOKENS + completion_mean(m)
                 + sum(completion_mean(members[u]) for u in m.after) for m in members)
    return Expected(success, tokens, len(members), team.edges)


def team_right(team: Team, family: Family, right: Sequence[bool]) -> bool:
    """The runtime's output rule on answers: a wrong agent's answer is its own number."""
    answers = [("right" if gives_answer(family, team.members[i], right[i]) else f"wrong{i}")
               for i in team.output]
    return (majority(answers) if team.vote else answers[0]) == "right"


class Testbed:
    """The environment: its training and held-out tasks, and the workers that answer them."""

    __test__ = False  # not a pytest class, despite the name
    _instances = 0

    def __init__(self, seed: int = 0, tasks: int = 64, families: Sequence[str] | None = None,
                 held_out: int = 30):
        self.seed = seed
        unknown = sorted(set(families or ()) - set(FAMILIES))
        if unknown:
            raise ValueError(f"unknown testbed families {unknown}; known: {sorted(FAMILIES)} "
                             "(set [simulator] task_types to some of them, or leave it out)")
        chosen = [FAMILIES[name] for name in (families or FAMILIES)]
        draw = random.Random(seed)
        every = [TestbedTask(i, chosen[i % len(chosen)], draw.randint(10, 999))
                 for i in range(tasks + held_out)]
        self.tasks, self.held_out = tuple(every[:tasks]), tuple(every[tasks:])
        self._by_text = {t.text: t for t in every}
        Testbed._instances += 1
        self.prefix = f"testbed{Testbed._instances}s{seed}"
        self.models = {level: ScriptedModel(f"{self.prefix}-{level}", self._answer)
                       for level in LEVELS}

    @property
    def profile(self) -> Profile:
        """A runtime profile with one simulated model per capacity level."""
        configs = {level: LevelConfig(model=m.model, max_tokens=2 * COMPLETION[level],
                                      retries=0, timeout=30.0)
                   for level, m in self.models.items()}
        return Profile(name=f"testbed:{self.prefix}", levels=LEVELS,
                       default_level=DEFAULT_LEVEL, configs=configs, concurrency=64,
                       description="simulated workers (structure testbed)")

    def task_of(self, text: str) -> TestbedTask:
        return self._by_text[text]

    # ---- one worker call ------------------------------------------------------------------

    def outcomes(self, ir: TeamIR, task: TestbedTask, key: str) -> list[bool]:
        """Which agents get their step right, in IR order (common random numbers)."""
        team = team_of(ir)
        right: list[bool] = []
        for i, member in enumerate(team.members):
            p = probability(task.family, member, right + [False] * (len(team.members) - i),
                            team.members)
            right.append(uniform(self.seed, task.index, ir.agents[i].name, key, "right") < p)
        return right

    def completion_tokens(self, ir: TeamIR, position: int, task: TestbedTask, key: str) -> int:
        member = team_of(ir).members[position]
        noise = 0.9 + 0.2 * uniform(self.seed, task.index, ir.agents[position].name, key,
                                    "tokens")
        return max(1, round(completion_mean(member) * noise))

    def _answer(self, call: ScriptedCall) -> ScriptedReply:
        level = call.model.rsplit("-", 1)[1]
        model = self.models[level]
        if len(model.calls) > MAX_RECORDED_CALLS:
            model.calls.clear()
        running = simulator.RUNNING.get()
        if running is None:
            raise LookupError("the testbed answers only inside a run the rollout announced "
                              "(simulator.RUNNING is not set)")
        ir, task_input = running
        task = self.task_of(task_input)
        position = next((i for i, a in enumerate(ir.agents)
                         if a.hash == call.metadata.get("agent_hash")), None)
        if position is None:
            raise LookupError(f"agent {call.agent!r} is not a node of the announced team")
        key = simulator.SAMPLE_KEY.get()
        right = self.outcomes(ir, task, key)
        member = team_of(ir).members[position]
        answer = task.answer if gives_answer(task.family, member, right[position]) else (
            task.answer + 1 + position)
        completion = self.completion_tokens(ir, position, task, key)
        prompt = PROMPT_TOKENS + sum(self.completion_tokens(ir, up, task, key)
                                     for up in member.after)
        return ScriptedReply(f"{'step ' * 3}\nAnswer: {answer}", prompt_tokens=prompt,
                             completion_tokens=completion)


# ---- the hidden optimum -----------------------------------------------------------------

def optimum(family: Family) -> Team:
    """The team the hidden facts favour: one agent per step, edges exactly the needs, the
    large capacity on the hard step, a duty where it matters, the final step as output."""
    order = {s.role: i for i, s in enumerate(family.steps)}
    members = tuple(Member(s.role, "large" if s.hard else "small", s.duty_matters,
                           tuple(order[n] for n in s.needs)) for s in family.steps)
    return Team(members, (len(members) - 1,))


def team_text(team: Team, name: str = "t") -> str:
    """A .lemon spec of a team (agents named a, b, ... as the generation grammar names them)."""
    names = [_name(i) for i in range(len(team.members))]
    lines = [f"team {name} {{"]
    for agent, m in zip(names, team.members):
        lines.append(f"  agent {agent}: {m.role} {{")
        lines.append(f"    capacity: {m.capacity}")
        if m.duty:
            lines.append('    duty: "x"')
        if m.after:
            lines.append("    after: " + ", ".join(names[u] for u in m.after))
        lines.append("  }")
    output = ", ".join(names[i] for i in team.output)
    lines.append(f"  output: vote({output})" if team.vote else f"  output: {output}")
    return "\n".join(lines + ["}"]) + "\n"


def _name(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def family_rewards(teams: Mapping[str, Team], config: RewardConfig) -> dict[str, float]:
    return {name: expected(team, FAMILIES[name]).reward(config) for name, team in teams.items()}



def near_optimum(family: Family, rng: random.Random, wrong: float) -> Team:
    """The optimum's agents (roles, order, output) with each structural field of each agent
    independently wrong with probability `wrong`: a needed edge dropped, one unneeded edge
    from an earlier agent added, the duty toggled, the capacity redrawn from the other
    levels. A warm start's data "near but not at the optimum": the edit families act on
    exactly these fields (experiments/README.md, extension 2)."""
    best = optimum(family)
    members = []
    for i, member in enumerate(best.members):
        after = [u for u in member.after if rng.random() >= wrong]
        spare = [u for u in range(i) if u not in member.after]
        if spare and rng.random() < wrong:
            after.append(rng.choice(spare))
        duty = (not member.duty) if rng.random() < wrong else member.duty
        capacity = member.capacity
        if rng.random() < wrong:
            capacity = rng.choice([level for level in LEVELS if level != member.capacity])
        members.append(Member(member.role, capacity, duty, tuple(sorted(after))))
    return Team(tuple(members), best.output)
