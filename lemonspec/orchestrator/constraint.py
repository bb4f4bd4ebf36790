"""The grammar constraint of one sample: an llguidance matcher over the generation grammar
(grammar/variants.py), which gives the tokens allowed next and says when the team is done.

The grammar binds names statically (agents are named by position, references can only name
earlier agents), so one grammar serves a whole sample: it is compiled once per scope and
each sample starts from a copy of that matcher.
"""

from __future__ import annotations

import functools

import attrs
import llguidance
import llguidance.hf
import numpy as np
import torch

from lemonspec.orchestrator.scope import Scope


@attrs.frozen(eq=False)
class Vocabulary:
    """What decoding needs to know about a tokenizer, built once per tokenizer."""

    tokenizer: object
    ll_tokenizer: llguidance.LLTokenizer
    token_bytes: tuple[bytes, ...]  # by token id; special tokens as their literal text
    eos_ids: frozenset[int]

    @property
    def size(self) -> int:
        return len(self.token_bytes)


_vocabularies: dict[int, Vocabulary] = {}


def vocabulary(tokenizer) -> Vocabulary:
    """The Vocabulary of a (fast) Hugging Face tokenizer, cached: building one takes ~1 s."""
    found = _vocabularies.get(id(tokenizer))
    if found is None or found.tokenizer is not tokenizer:
        ll_tokenizer = llguidance.hf.from_tokenizer(tokenizer)
        token_bytes = tuple(ll_tokenizer.decode_bytes([i]) for i in range(ll_tokenizer.vocab_size))
        eos = {tokenizer.eos_token_id, *ll_tokenizer.eos_tokens} - {None}
        found = Vocabulary(tokenizer, ll_tokenizer, token_bytes, frozenset(eos))
        _vocabularies[id(tokenizer)] = found
    return found


class MatcherFactory:
    """Fresh matchers for one scope: its grammar is compiled once, then copied."""

    def __init__(self, vocab: Vocabulary, scope: Scope):
        self.vocab, self.scope = vocab, scope
        grammar = llguidance.LLMatcher.grammar_from_lark(scope.grammar())
        self._compiled = llguidance.LLMatcher(vocab.ll_tokenizer, grammar, log_level=0)
        if self._compiled.is_error():
            raise ValueError(f"the generation grammar does not compile: "
                             f"{self._compiled.get_error()}")

    def matcher(self) -> llguidance.LLMatcher:
        return self._compiled.deep_copy()


@functools.lru_cache(maxsize=64)
def matcher_factory(vocab: Vocabulary, scope: Scope) -> MatcherFactory:
    """The MatcherFactory of a scope, compiled once per process."""
    return MatcherFactory(vocab, scope)


class GrammarConstraint:
    """The matcher of one sample."""

    def __init__(self, factory: MatcherFactory):
        self._matcher = factory.matcher()

    @property
    def done(self) -> bool:
        """The team is complete: the grammar admits nothing more."""
        return self._matcher.is_stopped()

    def fill_mask(self, bitmask: torch.Tensor, row: int) -> None:
        row_mask = bitmask[row]
        self._matcher.unsafe_compute_mask_ptr(row_mask.data_ptr(), row_mask.numel() * 4)

    def consume(self, token: int) -> None:
        if not self._matcher.consume_token(token):
            raise RuntimeError(f"token {token} was masked out: {self._matcher.get_error()}")


def allowed_tokens(constraints, vocab_size: int) -> np.ndarray:
    """(rows, vocab_size) bool: the tokens each constraint's grammar admits next."""
    bitmask = torch.zeros((len(constraints), (vocab_size + 31) // 32), dtype=torch.int32)
    for row, constraint in enumerate(constraints):
        constraint.fill_mask(bitmask, row)
    # Token t is bit t % 32 of word t // 32; words are little-endian int32.
    bits = np.unpackbits(bitmask.numpy().view(np.uint8), axis=1, bitorder="little")
    return bits[:, :vocab_size].astype(bool)
