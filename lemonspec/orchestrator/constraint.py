"""The grammar constraint of one sample: an llguidance matcher over the generation grammar
(grammar/variants.py), which gives the tokens allowed next and says when the team is done.

Scope binding goes beyond what one context-free grammar can say: names must be bound and the
graph acyclic. Each time the sample declares an agent, its matcher is replaced by one for
the grammar specialised to the agents declared so far (in which `after` can name only
earlier agents), fast-forwarded over the tokens already generated. That happens a few times
per sample and costs about a millisecond each.
"""

from __future__ import annotations

import functools
import re

import attrs
import llguidance
import llguidance.hf
import torch

from lemonspec.compiler.stdlib import role_pool, standard_roles
from lemonspec.compiler.unit import DEFAULT_LEVELS
from lemonspec.grammar.layout import INDENT, KEYWORDS
from lemonspec.grammar.variants import DEFAULT_BOUNDS, GenerationBounds, generation_grammar

# An agent declaration as the canonical layout prints it, complete once its `:` is written.
AGENT_DECLARATION = re.compile(
    rf"^{INDENT}{KEYWORDS['AGENT']}([A-Za-z_][A-Za-z0-9_]*):", re.MULTILINE)


_optional_tuple = attrs.converters.optional(tuple)


@attrs.frozen
class Scope:
    """What a generated team may name. None admits any name; bind_agents makes references
    name only agents declared before them (so samples are acyclic and fully bound)."""

    base_roles: tuple[str, ...] | None = attrs.field(default=None, converter=_optional_tuple)
    levels: tuple[str, ...] | None = attrs.field(default=None, converter=_optional_tuple)
    bind_agents: bool = True
    bounds: GenerationBounds = DEFAULT_BOUNDS

    @classmethod
    def for_family(cls, family: str | None, levels=DEFAULT_LEVELS, **options) -> Scope:
        """The family's role pool (every standard role for None) and `levels`."""
        roles = role_pool(family) if family else tuple(standard_roles())
        return cls(roles, levels, **options)

    def grammar(self, declared: tuple[str, ...] | None = None) -> str:
        """The generation grammar; `declared` (the agents so far) only when binding."""
        return generation_grammar(base_roles=self.base_roles, levels=self.levels,
                                  declared_agents=declared, bounds=self.bounds)

    def max_tokens(self) -> int:
        """Enough new tokens for any sentence to finish (a token is at least one byte)."""
        return self.bounds.max_bytes(base_roles=self.base_roles, levels=self.levels)


UNRESTRICTED = Scope()  # any names, agents bound


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
    """Fresh matchers for one scope, each grammar compiled once and then copied."""

    def __init__(self, vocab: Vocabulary, scope: Scope):
        self.vocab, self.scope = vocab, scope
        self._compiled: dict[tuple[str, ...] | None, llguidance.LLMatcher] = {}

    def matcher(self, declared: tuple[str, ...] | None) -> llguidance.LLMatcher:
        if declared not in self._compiled:
            grammar = llguidance.LLMatcher.grammar_from_lark(_cached_grammar(self.scope, declared))
            compiled = llguidance.LLMatcher(self.vocab.ll_tokenizer, grammar, log_level=0)
            if compiled.is_error():
                raise ValueError(f"the generation grammar does not compile: {compiled.get_error()}")
            self._compiled[declared] = compiled
        return self._compiled[declared].deep_copy()


@functools.lru_cache(maxsize=256)
def _cached_grammar(scope: Scope, declared: tuple[str, ...] | None) -> str:
    return scope.grammar(declared)


class GrammarConstraint:
    """The matcher of one sample; rebuilt at each agent declaration when binding names."""

    def __init__(self, factory: MatcherFactory):
        self._factory = factory
        self._binding = factory.scope.bind_agents
        self._declared: tuple[str, ...] = ()
        self._tokens: list[int] = []
        self._matcher = factory.matcher(self._declared if self._binding else None)

    @property
    def done(self) -> bool:
        """The team is complete: the grammar admits nothing more."""
        return self._matcher.is_stopped()

    def fill_mask(self, bitmask: torch.Tensor, row: int) -> None:
        row_mask = bitmask[row]
        self._matcher.unsafe_compute_mask_ptr(row_mask.data_ptr(), row_mask.numel() * 4)

    def consume(self, token: int, text: str, piece: str) -> None:
        """Advances over `token`; `text` is the sample so far and `piece` the characters
        this token completed."""
        self._tokens.append(token)
        if not self._matcher.consume_token(token):
            raise RuntimeError(f"token {token} was masked out: {self._matcher.get_error()}")
        if self._binding and ":" in piece:
            declared = tuple(AGENT_DECLARATION.findall(text))
            if declared != self._declared:
                self._rebind(declared)

    def _rebind(self, declared: tuple[str, ...]) -> None:
        matcher = self._factory.matcher(declared)
        if not matcher.consume_tokens(self._tokens):
            raise RuntimeError(f"scope grammar rejects the sample so far: {matcher.get_error()}")
        self._matcher, self._declared = matcher, declared
