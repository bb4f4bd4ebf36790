"""Measure: does the counterfactual credit of each legal edit land on a decision?

Over ~60 generated teams (the warm start's synthesized teams: chain, tree, complete and random
DAGs with random capacities), tokenized by the real SmolLM2 tokenizer, for every legal edit of
the three families it reports the share of edits whose credited tokens hold NO token the
model chose among several (the grammar forced them all, so `env_mask` removes them from the
loss and the counterfactual trains nothing), and the share whose credit touches a token of
an unrelated field.

Run: python benchmarks/credit_coverage.py [--teams 60] [--seed 0]
"""

from __future__ import annotations

import argparse
import collections
import random

from lemonspec.compiler import check_text
from lemonspec.compiler.edits import FAMILIES, legal_edits
from lemonspec.orchestrator.constraint import MatcherFactory, vocabulary
from lemonspec.orchestrator.decoding import Sample
from lemonspec.training.alignment import credited_span, field_spans, token_mask
from lemonspec.training.config import parse_config
from lemonspec.training.models import embedded_tokenizer
from lemonspec.training.rollout import decision_mask, make_scope
from lemonspec.training.sft import synthesized_team


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--teams", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    config = parse_config({})
    tokenizer = embedded_tokenizer()
    vocab = vocabulary(tokenizer)
    factory = MatcherFactory(vocab, make_scope(config))
    rng = random.Random(args.seed)
    edits = collections.Counter()
    creditless = collections.Counter()
    unrelated = collections.Counter()
    for _ in range(args.teams):
        text = synthesized_team(config, rng)
        ids = tuple(tokenizer.encode(text, add_special_tokens=False))
        from lemonspec.orchestrator.offsets import assemble

        rebuilt, offsets = assemble(vocab.token_bytes[i] for i in ids)
        assert rebuilt == text
        chosen = decision_mask(Sample(text, ids, offsets, (), True, "grammar"), factory)
        team = check_text(text, levels=config.sampling.levels).module.teams[0]
        fields = field_spans(team)
        for family in FAMILIES:
            for edit in legal_edits(text, family, levels=config.sampling.levels):
                span = credited_span(edit, team)
                mask = token_mask(*span, offsets)
                edits[family] += 1
                creditless[family] += not any(m and c for m, c in zip(mask, chosen))
                others = [f for f in fields if not (f[0] <= edit.target.start < f[1])]
                unrelated[family] += any(
                    m and any(token_mask(*f, [offsets[i]])[0] for f in others)
                    for i, m in enumerate(mask))
    print(f"{args.teams} synthesized teams (seed {args.seed}), SmolLM2 tokenizer")
    print(f"{'family':<18}{'edits':>7}{'no chosen token':>18}{'unrelated field':>18}")
    for family in FAMILIES:
        n = edits[family]
        print(f"{family:<18}{n:>7}{creditless[family]:>8} ({100 * creditless[family] / max(1, n):4.1f}%)"
              f"{unrelated[family]:>8} ({100 * unrelated[family] / max(1, n):4.1f}%)")


if __name__ == "__main__":
    main()
