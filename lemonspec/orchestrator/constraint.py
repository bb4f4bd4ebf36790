"""The grammar constraint of one sample: an llguidance matcher over the generation grammar
(grammar/variants.py), which gives the tokens allowed next and says when the team is done.

The grammar binds names statically (agents are named by position, references can only name
earlier agents), so one grammar serves a whole sample: it is compiled once per scope and
each sample starts from a copy of that matcher.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import attrs
import llguidance
import llguidance.hf
import numpy as np
import torch

from lemonspec.compiler.stdlib import role_pool, standard_roles
from lemonspec.compiler.unit import DEFAULT_LEVELS
from lemonspec.grammar.variants import DEFAULT_BOUNDS, GenerationBounds, generation_grammar

_optional_tuple = attrs.converters.optional(tuple)


@attrs.frozen
class Scope:
    """What a generated team may name. None admits any base role or level; bind_agents names
    agents by position and lets references name only agents declared before them (so samples
    are acyclic and fully bound); without it agents take any name (an ablation)."""

    base_roles: tuple[str, ...] | None = attrs.field(default=None, converter=_optional_tuple)
    levels: tuple[str, ...] | None = attrs.field(default=None, converter=_optional_tuple)
    bind_agents: bool = True
    bounds: GenerationBounds = DEFAULT_BOUNDS

    @classmethod
    def for_family(cls, family: str | None, levels=DEFAULT_LEVELS, **options) -> Scope:
        """The family's role pool (every standard role for None) and `levels`."""
        roles = role_pool(family) if family else tuple(standard_roles())
        return cls(roles, levels, **options)

    def grammar(self) -> str:
        """The generation grammar of this scope (Lark text for llguidance), cached."""
        return _grammar(self)

    def max_tokens(self) -> int:
        """Enough new tokens for any sentence to finish (a token is at least one byte)."""
        return self.bounds.max_bytes(base_roles=self.base_roles, levels=self.levels)

    def to_json(self) -> dict:
        return attrs.asdict(self, value_serializer=lambda _, __, v: list(v)
                            if isinstance(v, tuple) else v)

    @classmethod
    def from_json(cls, data: dict) -> Scope:
        """The scope `to_json` wrote; a file edited by hand or corrupted raises ValueError or
        TypeError naming the field (a string is not a list of roles, "false" is not false)."""
        def names(key: str) -> tuple[str, ...] | None:
            value = data[key]
            if value is not None and not (isinstance(value, list) and value and all(
                    isinstance(name, str) and name.isidentifier() for name in value)):
                raise ValueError(f"{key} must be null or a list of names, not {value!r}")
            return None if value is None else tuple(value)

        if not isinstance(data["bind_agents"], bool):
            raise TypeError(f"bind_agents must be true or false, not {data['bind_agents']!r}")
        bounds = data["bounds"]
        known = attrs.fields_dict(GenerationBounds)
        if not isinstance(bounds, dict) or set(bounds) - set(known):
            raise ValueError(f"bounds must be an object with keys among {sorted(known)}")
        for key, value in bounds.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"bounds.{key} must be a whole number >= 1, not {value!r}")
        return cls(names("base_roles"), names("levels"), data["bind_agents"],
                   GenerationBounds(**bounds))


UNRESTRICTED = Scope()  # any base role or level; agents bound

# Beside a trained orchestrator's weights: the scope it was trained to write in. A policy
# trained under narrow bounds (one-character names, four agents) is evaluated under them
# too; under wider ones it meets choices it never learned.
SCOPE_FILE = "lemon_scope.json"


def save_scope(scope: Scope, folder) -> Path:
    path = Path(folder, SCOPE_FILE)
    path.write_text(json.dumps(scope.to_json(), indent=1) + "\n", encoding="utf-8")
    return path


def saved_scope(folder) -> Scope | None:
    """The scope a saved orchestrator was trained in (None: the folder does not say).
    Raises ValueError, naming the file, for one that cannot be read."""
    path = Path(folder, SCOPE_FILE)
    if not path.is_file():
        return None
    try:
        return Scope.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{path}: not a readable scope ({type(exc).__name__}: {exc})"
                         ) from None


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


@functools.lru_cache(maxsize=64)
def _grammar(scope: Scope) -> str:
    return generation_grammar(base_roles=scope.base_roles, levels=scope.levels,
                              bind_agents=scope.bind_agents, bounds=scope.bounds)


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
