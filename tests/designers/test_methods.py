"""The designers learn what they are rewarded for.

Two kinds of tests. On a scripted environment (a test double whose reward is a known rule
over the design, no workers), each method's optimizer must find the rule: this checks the
learning itself, noise-free, in a fraction of a second. On the simulator, each method trains
with its default settings on the train split and its teams for the 48 held-out tasks must
beat the Random baseline's there, compared by the simulator's exact expected success
(`simulated.expected_success`), not by a few dozen 0/1 draws: the designs are the ones
`lemonc bench --designer` writes (same prompts, same per-item seeds), the workers' luck is
integrated out, so the comparison cannot be won or lost by a lucky draw.
"""

import attrs
import pytest

from lemonspec.compiler import compile_text
from lemonspec.designers import simulated
from lemonspec.designers.base import load_method
from lemonspec.designers.environment import BudgetExhausted, Environment, Spend
from lemonspec.designers.space import Design, Space, render

pytest.importorskip("torch")

TINY = {
    "agentprune": {"iterations": 2, "batch_size": 2},
    "agentdropout": {"node_iterations": 1, "edge_iterations": 1, "batch_size": 2},
    "gdesigner": {"iterations": 2, "batch_size": 2},
    "aflow": {"max_rounds": 2, "validation_tasks": 2},
    "argdesigner": {"rounds": 1, "tasks_per_round": 2, "samples_per_task": 2, "epochs": 2},
    "ofamas": {"pretrain_samples": 1, "pretrain_epochs": 1, "finetune_epochs": 1},
}
SOLVER, PROGRAMMER, INSPECTOR = 1, 2, 3  # positions in the math lineup


def space() -> Space:
    profile = simulated.profile()
    return Space.for_dataset("simulator", profile.levels, profile.default_level)


@attrs.frozen
class Query:
    input: str

    @property
    def id(self) -> str:
        return self.input


class ScriptedEnvironment:
    """A test double of Environment: the reward of a design is `rule(design, query)`."""

    def __init__(self, rule, queries=("a query",), budget=None):
        self.space, self.rule, self.budget = space(), rule, budget
        self.tasks = tuple(Query(q) for q in queries)
        self.spent = Spend()

    def score(self, jobs):
        if self.budget is not None and self.spent.runs >= self.budget:
            raise BudgetExhausted("scripted budget")
        self.spent.runs += len(jobs)
        self.spent.calls += sum(d.size for d, _ in jobs)
        return [float(self.rule(design, task.input)) for design, task in jobs]

    def batches_of(self, size, rng):
        return [rng.choice(self.tasks) for _ in range(size)]


def test_agentprune_keeps_the_rewarded_edge_after_pruning():
    method = load_method("agentprune", {"iterations": 20, "prune_every": 5})
    env = ScriptedEnvironment(lambda d, q: (SOLVER, INSPECTOR) in d.edges)
    params = method.train(env, seed=0).params
    assert params["mask"][SOLVER][INSPECTOR] == 1
    assert sum(map(sum, params["mask"])) < 12  # pruned from the complete graph's 12
    best = max((params["logits"][i][j], (i, j)) for i in range(4) for j in range(4) if i != j)
    assert best[1] == (SOLVER, INSPECTOR)


def test_agentdropout_drops_the_agent_whose_edges_cost_reward():
    def rule(design, query):
        programmer = design.roles.index("ProgrammingExpert") if "ProgrammingExpert" in \
            design.roles else None
        return programmer is None or sum(programmer in e for e in design.edges) <= 1

    params = load_method("agentdropout", {"node_iterations": 15, "edge_iterations": 2}) \
        .train(ScriptedEnvironment(rule), seed=0).params
    assert PROGRAMMER not in params["kept"] and INSPECTOR in params["kept"]


def test_gdesigner_topology_depends_on_the_query_and_training_changes_the_network():
    """The query reaches the edge probabilities (two queries, two distributions), and
    training updates the network. It does NOT learn the rewarded edge at this scale
    (the code's min-max normalisation keeps every edge probability in [0.27, 0.73]):
    docs/baselines.md says so."""
    rule = lambda design, query: (SOLVER, INSPECTOR) in design.edges
    queries = ("an arithmetic question", "a long computation best done with code")

    method = load_method("gdesigner", {"iterations": 30, "batch_size": 8, "lr": 0.05})
    untrained = method.train(ScriptedEnvironment(rule, queries, budget=0), seed=0).params
    trained = method.train(ScriptedEnvironment(rule, queries), seed=0).params
    import torch

    from lemonspec.designers.gdesigner import _inputs, _network

    network = _network(method.settings.dim, method.settings.hidden)
    network.load_state_dict({k: torch.tensor(v) for k, v in untrained["weights"].items()})
    with torch.no_grad():
        first, second = (network(*_inputs(space().lineup, q, method.settings.dim, space()))
                         for q in queries)
    assert not torch.allclose(first, second, atol=1e-4)
    assert trained["weights"] != untrained["weights"]


def test_aflow_search_finds_the_rewarded_workflow():
    def rule(design, query):  # two agents (half the reward), the output raised (all)
        return (design.size == 2) * (0.5 + 0.5 * (design.levels[design.answerer] != "small"))

    trained = load_method("aflow", {"max_rounds": 40, "validation_tasks": 1,
                                    "convergence_rounds": 40}) \
        .train(ScriptedEnvironment(rule), seed=0)
    assert trained.params["score"] == 100.0
    best = trained.params["best"]
    assert len(best["roles"]) == 2 and best["levels"][best["output"]] != "small"


def test_argdesigner_learns_to_write_the_smallest_solving_team():
    def rule(design, query):  # any team with a MathSolver answering solves it
        return design.roles[design.answerer] == "MathSolver"

    method = load_method("argdesigner", {"rounds": 8, "samples_per_task": 6})
    params = method.train(ScriptedEnvironment(rule), seed=0).params
    design = method.design(params, space(), "a query", seed=0)
    assert design.roles == ("MathSolver",) and not design.edges


def test_ofamas_one_generator_writes_what_each_kind_of_query_rewards():
    """One model for two kinds of query: teams answered by a MathSolver solve the first
    kind, teams answered by a ProgrammingExpert the second. Fine-tuned on the validated
    configurations, the generator ends teams with each kind's role more often for that
    kind than for the other (the query reaches the role choice through the experts' gate,
    as in the code; at this scale the preference is clear but not strong)."""
    queries = ("an arithmetic question", "a long computation best done with code")
    wanted = {queries[0]: "MathSolver", queries[1]: "ProgrammingExpert"}

    def rule(design, query):
        return design.roles[design.answerer] == wanted[query]

    # One data pass: both queries see the same nine configurations, so the examples differ
    # only by which solved (with two queries, more passes would give each its own roles).
    method = load_method("ofamas", {"passes": 1})
    trained = method.train(ScriptedEnvironment(rule, queries), seed=0)
    assert trained.history[-1]["examples"] > 0
    endings = {query: [method.design(trained.params, space(), query, seed=i).roles[-1]
                       for i in range(40)] for query in queries}
    first, second = queries
    assert endings[first].count("MathSolver") > endings[second].count("MathSolver") + 5
    assert (endings[second].count("ProgrammingExpert")
            > endings[first].count("ProgrammingExpert") + 5), endings


def random_design() -> Design:
    return simulated.random_baseline()


@pytest.mark.parametrize("name", sorted(TINY))
def test_each_designer_trains_on_the_simulator_and_writes_valid_teams(name):
    method = load_method(name, TINY[name])
    env = Environment(space(), simulated.training_tasks("train"), simulated.profile(),
                      budget=60, seed=0)
    trained = method.train(env, seed=0)
    assert 0 < env.spent.calls and trained.history
    for i, task in enumerate(simulated.training_tasks("test")[:3]):
        text = render(method.design(trained.params, env.space, task.input, seed=i), env.space)
        compile_text(text, "<designed>", levels=env.space.levels, default_level="small")


def expected_held_out(method, params, samples: int = 4) -> float:
    """The mean exact expected success, over the 48 held-out items, of the teams the
    designer writes for them as `lemonc bench --designer` does (the item's prompt, the
    item's seed for run seeds 0..samples-1)."""
    from lemonspec.benchmarks.orchestrated import item_seed

    items = simulated.items("test")
    values = [simulated.expected_success(
        method.design(params, space(), item.prompt, item_seed(run, item.id)),
        simulated.task_index(item.id)) for item in items for run in range(samples)]
    return sum(values) / len(values)


def random_expected() -> float:
    items = simulated.items("test")
    return sum(simulated.expected_success(random_design(), simulated.task_index(i.id))
               for i in items) / len(items)


@pytest.mark.parametrize("name", ["agentprune", "agentdropout", "aflow", "argdesigner",
                                  "ofamas"])
def test_designer_beats_random_on_held_out_tasks(name):
    """Default settings, seed 0, the whole train split (as experiments/designers/run.sh).
    OFA-MAS beats it at seeds 0, 1 and 3 but not 2: docs/baselines.md gives the measured
    values and the reasons. G-Designer has its own test below."""
    method = load_method(name)
    env = Environment(space(), simulated.training_tasks("train"), simulated.profile(), seed=0)
    trained = method.train(env, seed=0)
    designed, baseline = expected_held_out(method, trained.params), random_expected()
    assert designed > baseline + 0.01, (designed, baseline)


def test_gdesigner_voting_teams_beat_random_over_seeds():
    """G-Designer with its default decision, the code's FinalMajorVote: over seeds 0-3 the
    mean exact value of its held-out teams beats Random by a point. One seed alone can
    fall to Random's level, and most of the gain is the vote, not the learning (untrained
    networks score about 31 %): docs/baselines.md gives the values and why."""
    method = load_method("gdesigner")
    assert method.settings.decision == "vote"
    trained, untrained = [], []
    for seed in range(4):
        for budget, values in ((None, trained), (0, untrained)):
            env = Environment(space(), simulated.training_tasks("train"),
                              simulated.profile(), budget=budget, seed=seed)
            values.append(expected_held_out(method, method.train(env, seed=seed).params))
    baseline = random_expected()
    mean, start = sum(trained) / len(trained), sum(untrained) / len(untrained)
    assert mean > baseline + 0.01, (trained, baseline)
    # And the learning adds to the vote (measured: 32.3 % against 31.1 % untrained).
    assert mean > start + 0.005, (trained, untrained)


def test_gdesigner_refer_decision_answers_by_the_last_agent():
    """`decision = "refer"` (the code's FinalRefer, played by the lineup's last agent): one
    answering agent that no edge leaves; `vote`: every agent votes and edges may join any
    two agents."""
    refer, vote = load_method("gdesigner", {"decision": "refer"}), load_method("gdesigner")
    env = Environment(space(), simulated.training_tasks("train")[:4], simulated.profile(),
                      budget=0, seed=0)
    query = simulated.training_tasks("test")[0].input
    last = len(space().lineup) - 1
    for seed in range(8):
        answered = refer.design(refer.train(env, seed=0).params, space(), query, seed)
        assert answered.output == (last,) and all(a != last for a, _ in answered.edges)
        voted = vote.design(vote.train(env, seed=0).params, space(), query, seed)
        assert voted.output == tuple(range(len(space().lineup)))
        assert "output: vote(" in render(voted, space()) and "answer: number" in render(
            voted, space())


def test_budget_counts_paid_calls_and_stops_the_search():
    env = Environment(space(), simulated.training_tasks("train")[:2], simulated.profile(),
                      budget=4, seed=0)
    design = random_design()
    env.score([(design, env.tasks[0])])
    paid = env.spent.calls
    assert paid == design.size
    env2 = Environment(space(), env.tasks, simulated.profile(), seed=0)
    env2.score([(design, env.tasks[0]), (design, env.tasks[0])])  # the second is all hits
    assert env2.spent.calls == design.size and env2.spent.runs == 2
    with pytest.raises(BudgetExhausted):
        env.score([(design, env.tasks[1])])
