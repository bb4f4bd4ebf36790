"""Measure: does the counterfactual credit of each legal edit land on a decision?

Over ~60 generated teams (the warm start's synthesized teams: chain, tree, complete and random
DAGs with random capacities), tokenized by the real SmolLM2 tokenizer, for every legal edit of
the three families it reports the share of edits whose credited tokens hold NO token the
model chose among several (the grammar forced them all, so `env_mask` removes them from the
loss and the counterfactual trains nothing), and the share whose credit touches a token of
an unrelated field.

The chosen/forced marks are the decoder's own (`Sample.chosen`, here from
`decoding.forced_sample`, which marks given tokens exactly as the sampler does).
`--rule main` credits the spans main credited before (the edited name, or the whole `after`
field when it held one name), on today's grammar, for comparison.

Run: python benchmarks/credit_coverage.py [--teams 60] [--seed 0] [--rule main]
Before (main at 585fb92, its grammar and rule; this script at 20d1528): drop_dependency
82/189 (43.4%) edits without a chosen token, remove_duty 0/60, lower_capacity 0/131.
"""

from __future__ import annotations

import argparse
import collections
import random

from lemonspec.compiler import check_text
from lemonspec.compiler.edits import FAMILIES, legal_edits
from lemonspec.orchestrator.decoding import forced_sample
from lemonspec.training.alignment import credited_span, field_spans, token_mask
from lemonspec.training.config import parse_config
from lemonspec.training.models import embedded_tokenizer
from lemonspec.training.rollout import make_scope
from lemonspec.training.sft import synthesized_team


def main_rule(edit, team) -> tuple[int, int]:
    """The span main credited: the edited name, or the whole `after` field of one name."""
    if edit.family == "drop_dependency":
        after = team.agent(edit.agent).after
        if len(after.agents) == 1:
            return after.span.start, after.span.end
    return edit.target.start, edit.target.end


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--teams", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rule", choices=("credited_span", "main"), default="credited_span")
    args = parser.parse_args()
    rule = main_rule if args.rule == "main" else credited_span
    config = parse_config({})
    tokenizer = embedded_tokenizer()
    scope = make_scope(config)
    rng = random.Random(args.seed)
    edits = collections.Counter()
    creditless = collections.Counter()
    unrelated = collections.Counter()
    for _ in range(args.teams):
        text = synthesized_team(config, rng)
        sample = forced_sample(tokenizer, tokenizer.encode(text, add_special_tokens=False), scope)
        assert sample.text == text and sample.finish_reason == "grammar"
        offsets, chosen = sample.token_offsets, sample.chosen
        team = check_text(text, levels=config.sampling.levels).module.teams[0]
        fields = field_spans(team)
        for family in FAMILIES:
            for edit in legal_edits(text, family, levels=config.sampling.levels):
                span = rule(edit, team)
                mask = token_mask(*span, offsets)
                edits[family] += 1
                creditless[family] += not any(m and c for m, c in zip(mask, chosen))
                others = [f for f in fields if not (f[0] <= edit.target.start < f[1])]
                unrelated[family] += any(
                    m and any(token_mask(*f, [offsets[i]])[0] for f in others)
                    for i, m in enumerate(mask))
    print(f"{args.teams} synthesized teams (seed {args.seed}), SmolLM2 tokenizer, "
          f"credit rule {args.rule}")
    print(f"{'family':<18}{'edits':>7}{'no chosen token':>18}{'unrelated field':>18}")
    for family in FAMILIES:
        n = edits[family]
        print(f"{family:<18}{n:>7}{creditless[family]:>8} ({100 * creditless[family] / max(1, n):4.1f}%)"
              f"{unrelated[family]:>8} ({100 * unrelated[family] / max(1, n):4.1f}%)")


if __name__ == "__main__":
    main()
