"""The localized counterfactual signal: which edit to make, and where its credit goes.

For a valid sampled spec, one edit family is drawn by the adaptive `FamilySampler` among the
families that have a legal application to it, then one of that family's legal applications
uniformly at random (compiler/edits.py); the chosen edit carries the span its credit goes to
(training/alignment.py, `credited_span`). The rollout re-executes the edited spec through the
node cache and computes Delta = R(original) - R(edited); `alignment.token_credit` puts
lambda * Delta on the tokens of that span in the original sample.

The sampler: P(family) = floor + (1 - n * floor) * m_f / sum(m) over the n available
families, where m_f is the family's running mean |Delta| (an exponential moving average).
Every family is therefore tried with probability at least `floor`, and a family never tried
yet counts as the largest mean seen (optimism, so that it gets tried early).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

import attrs

from lemonspec.compiler import ast
from lemonspec.compiler.edits import Edit, legal_edits
from lemonspec.training.alignment import credited_span
from lemonspec.training.config import CounterfactualConfig


class FamilySampler:
    """Adaptive choice of an edit family from the running mean of its |Delta|."""

    def __init__(self, families: Sequence[str], floor: float, decay: float):
        self.families, self.floor, self.decay = tuple(families), floor, decay
        self.means: dict[str, float] = {}
        self.counts: dict[str, int] = {f: 0 for f in self.families}

    @classmethod
    def from_config(cls, config: CounterfactualConfig) -> FamilySampler:
        return cls(config.families, config.floor, config.mean_decay)

    def probabilities(self, available: Sequence[str]) -> dict[str, float]:
        available = [f for f in self.families if f in available]
        if not available:
            return {}
        optimistic = max(self.means.values(), default=1.0) or 1.0
        means = {f: self.means.get(f, optimistic) for f in available}
        total = sum(means.values())
        spare = 1.0 - self.floor * len(available)
        if total <= 0:
            return {f: 1.0 / len(available) for f in available}
        # The share first: spare * mean can round a subnormal mean (a |Delta| of 5e-324)
        # back up to the mean, and the shares then sum past 1 (found by Hypothesis).
        return {f: self.floor + spare * (means[f] / total) for f in available}

    def choose(self, available: Sequence[str], rng: random.Random) -> str | None:
        probabilities = self.probabilities(available)
        if not probabilities:
            return None
        return rng.choices(list(probabilities), weights=list(probabilities.values()))[0]

    def update(self, family: str, delta: float) -> None:
        size = abs(delta)
        previous = self.means.get(family)
        self.means[family] = size if previous is None else (
            self.decay * previous + (1 - self.decay) * size)
        self.counts[family] += 1

    def state_dict(self) -> dict:
        return {"means": dict(self.means), "counts": dict(self.counts)}

    def load_state_dict(self, state: Mapping) -> None:
        self.means = {f: float(v) for f, v in state["means"].items() if f in self.families}
        self.counts = {f: int(state["counts"].get(f, 0)) for f in self.families}


@attrs.frozen
class ChosenEdit:
    family: str
    edit: Edit
    probabilities: Mapping[str, float]  # of each available family when it was chosen
    span: tuple[int, int]  # the characters of the original whose tokens get the credit


def choose_edit(text: str, module: ast.Module, sampler: FamilySampler, rng: random.Random, *,
                levels: Sequence[str]) -> ChosenEdit | None:
    """One legal edit of a valid spec (`module`: its checked module, a single team): a
    family by the sampler, then an application of it uniformly at random. None when no
    enabled family applies (e.g. one agent, no fields)."""
    legal = {f: legal_edits(text, f, levels=tuple(levels), module=module)
             for f in sampler.families}
    available = [f for f, edits in legal.items() if edits]
    probabilities = sampler.probabilities(available)
    family = sampler.choose(available, rng)
    if family is None:
        return None
    edit = rng.choice(legal[family])
    team = module.team(edit.team)
    assert team is not None  # legal_edits only edits the module's own teams
    return ChosenEdit(family, edit, probabilities, credited_span(edit, team))
