"""Batched sampling of specs from any Hugging Face causal LM, with or without the grammar.

One loop serves both modes: each prompt is prefilled once and its KV cache copied for its
group of samples (GRPO samples G specs per task); each step runs the model on the last token
of every unfinished sample, masks the logits with each sample's grammar constraint
(constrained mode), applies temperature and top-p, and samples. The grammar's masks for the
next step are computed in a second thread while the model runs (llguidance releases the
GIL), so grammar work stays off the step's critical path. Each token is marked chosen (the
grammar allowed several) or forced (one) on the Sample. A constrained sample stops
the moment its grammar admits nothing more, so it is always a complete, formatted team;
an unconstrained one stops at an end-of-sequence token or the token budget. A finished
sample's place in the batch goes to the next waiting one (batch.py).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import attrs
import numpy as np
import torch

from lemonspec.display import SamplingProgress
from lemonspec.orchestrator.batch import Batch, prefill
from lemonspec.orchestrator.constraint import (
    GrammarConstraint,
    MatcherFactory,
    Vocabulary,
    allowed_tokens,
    matcher_factory,
    vocabulary,
)
from lemonspec.orchestrator.offsets import TextAssembler
from lemonspec.orchestrator.prompt import chat_prompt
from lemonspec.orchestrator.scope import UNRESTRICTED, Scope

UNCONSTRAINED_MAX_TOKENS = 1024  # the budget of an unconstrained sample unless given
DEFAULT_BATCH_SIZE = 8  # on a CPU, larger batches add little throughput


@attrs.frozen
class Sample:
    """One generated spec and what the trainer needs to credit its tokens."""

    text: str
    token_ids: tuple[int, ...]
    token_offsets: tuple[tuple[int, int], ...]  # character span of each token in `text`
    prompt_token_ids: tuple[int, ...]
    constrained: bool
    finish_reason: str  # "grammar" (team complete), "eos" or "length"
    prompt_index: int = 0  # which of the prompts it answers
    # The model's own log-probability of each token (raw logits, no mask, temperature 1):
    # what a trainer recomputes for the same tokens.
    logprobs: tuple[float, ...] | None = None
    # chosen[i]: the grammar allowed several tokens at step i, so token i was a decision of
    # the model; False: the grammar forced it (the only token allowed). Unconstrained
    # samples chose every token. What the trainer's loss mask is made of (no replay).
    chosen: tuple[bool, ...] | None = None


@attrs.frozen
class Step:
    rows: int  # samples decoded in this step
    seconds: float
    # Grammar work on the step's critical path: waiting for masks (those computed while the
    # model ran cost nothing here), applying them, advancing the matchers.
    constraint_seconds: float


@attrs.frozen
class Decoded:
    samples: tuple[Sample, ...]
    prefill_seconds: float
    steps: tuple[Step, ...]

    @property
    def decode_seconds(self) -> float:
        return sum(s.seconds for s in self.steps)

    @property
    def new_tokens(self) -> int:
        return sum(len(s.token_ids) for s in self.samples)


def sample_specs(model, tokenizer, prompts: Sequence[str], *, num_samples: int = 1,
                 temperature: float = 1.0, top_p: float = 1.0,
                 max_new_tokens: int | None = None, constrained: bool = True,
                 scope: Scope | Sequence[Scope] = UNRESTRICTED, seed: int = 0, chat: bool = True,
                 batch_size: int = DEFAULT_BATCH_SIZE,
                 on_progress: Callable[[SamplingProgress], None] | None = None) -> list[Sample]:
    """`num_samples` specs per prompt, prompt-major: samples[i * num_samples + j] answers
    prompts[i]. See `decode` for the arguments."""
    return list(decode(model, tokenizer, prompts, num_samples=num_samples,
                       temperature=temperature, top_p=top_p, max_new_tokens=max_new_tokens,
                       constrained=constrained, scope=scope, seed=seed, chat=chat,
                       batch_size=batch_size, on_progress=on_progress).samples)


def decode(model, tokenizer, prompts: Sequence[str], *, num_samples: int = 1,
           temperature: float = 1.0, top_p: float = 1.0, max_new_tokens: int | None = None,
           constrained: bool = True, scope: Scope | Sequence[Scope] = UNRESTRICTED, seed: int = 0,
           chat: bool = True, batch_size: int = DEFAULT_BATCH_SIZE,
           on_progress: Callable[[SamplingProgress], None] | None = None) -> Decoded:
    """Samples specs and times the work.

    prompts: user messages (orchestrator_prompt), put in the chat format when `chat`.
    temperature: 0 decodes greedily. max_new_tokens: by default, constrained samples get
    what the longest team in scope needs (so they always finish), unconstrained ones
    UNCONSTRAINED_MAX_TOKENS. scope: what constrained samples may name, for every prompt or
    one per prompt. batch_size: how many samples decode together; a finished sample's place
    goes to the next one waiting. on_progress: called with a SamplingProgress after every step.
    """
    vocab = vocabulary(tokenizer)
    scopes = [scope] * len(prompts) if isinstance(scope, Scope) else list(scope)
    if len(scopes) != len(prompts):
        raise ValueError(f"{len(scopes)} scopes for {len(prompts)} prompts")
    if max_new_tokens is None:
        max_new_tokens = (max(s.max_tokens() for s in scopes) if constrained
                          else UNCONSTRAINED_MAX_TOKENS)
    texts = [chat_prompt(tokenizer, p) if chat else p for p in prompts]
    prompt_ids = [tokenizer.encode(t, add_special_tokens=False) for t in texts]
    factories = {s: matcher_factory(vocab, s) for s in scopes} if constrained else {}
    waiting = _Waiting(prompt_ids, num_samples, [factories.get(s) for s in scopes])
    masks = ThreadPoolExecutor(1, thread_name_prefix="grammar-masks")
    sampler = _Sampler(vocab, vocab.eos_ids | _eos_ids(model), temperature, top_p,
                       max_new_tokens, torch.Generator().manual_seed(seed), masks)
    batch, rows, steps = Batch(), [], []
    total, started = len(prompt_ids) * num_samples, time.perf_counter()
    with _inference(model), masks:
        while waiting or batch.rows:
            waiting.admit(model, batch, rows, batch_size)
            steps.append(sampler.step(model, batch, rows))
            if on_progress is not None:
                on_progress(SamplingProgress(len(rows) - len(batch.rows), total,
                                     sum(len(r.tokens) for r in rows),
                                     time.perf_counter() - started))
    samples = tuple(row.sample(prompt_ids[row.prompt_index], constrained) for row in rows)
    return Decoded(samples, waiting.prefill_seconds, tuple(steps))


def forced_sample(tokenizer, token_ids: Sequence[int], scope: Scope = UNRESTRICTED) -> Sample:
    """The constrained Sample the decoder would return had the model chosen `token_ids`
    (with their `chosen` marks as the decoder records them); no model runs. For tests and
    measurements over given texts; raises RuntimeError on a token the grammar rejects."""
    vocab = vocabulary(tokenizer)
    row = _Row(0, GrammarConstraint(matcher_factory(vocab, scope)))
    for token in token_ids:
        [allowed] = allowed_tokens([row.constraint], vocab.size)
        row.add(token, 0.0, vocab.token_bytes[token], bool(allowed.sum() > 1))
    return attrs.evolve(row.sample([], True), logprobs=None)


class _Waiting:
    """The samples not yet decoding, prompt by prompt; a prompt is prefilled when its first
    sample is admitted and dropped when its last one is."""

    def __init__(self, prompt_ids: list[list[int]], copies: int,
                 factories: list[MatcherFactory | None]):
        self.prompt_ids, self.copies, self.factories = prompt_ids, copies, factories
        self.queue = list(range(len(prompt_ids) * copies))  # sample ids; prompt = id // copies
        self.prefilled: dict[int, object] = {}
        self.prefill_seconds = 0.0

    def __bool__(self) -> bool:
        return bool(self.queue)

    def admit(self, model, batch: Batch, rows: list[_Row], batch_size: int) -> None:
        """Moves samples into the batch while it has room."""
        while self.queue and len(batch) < batch_size:
            started = time.perf_counter()
            index = self.queue[0] // self.copies
            if index not in self.prefilled:
                self.prefilled = {index: prefill(model, self.prompt_ids[index])}
            admitted = [r for r in self.queue[:batch_size - len(batch)]
                        if r // self.copies == index]
            del self.queue[:len(admitted)]
            factory = self.factories[index]
            rows += [_Row(index, GrammarConstraint(factory) if factory else None)
                     for _ in admitted]
            batch.admit(self.prefilled[index], admitted)
            self.prefill_seconds += time.perf_counter() - started


@contextlib.contextmanager
def _inference(model):
    """Eval mode (no dropout) and no autograd for the duration; the mode is restored."""
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            yield
    finally:
        model.train(was_training)


def _eos_ids(model) -> set[int]:
    config = getattr(model, "generation_config", None)
    eos = getattr(config, "eos_token_id", None)
    return set(eos if isinstance(eos, (list, tuple)) else [eos]) - {None}


class _Row:
    """One sample while it is decoded."""

    def __init__(self, prompt_index: int, constraint: GrammarConstraint | None):
        self.prompt_index = prompt_index
        self.constraint = constraint
        self.tokens: list[int] = []
        self.logprobs: list[float] = []
        self.chosen: list[bool] = []
        self.assembler = TextAssembler()
        self.finish_reason: str | None = None
        # The tokens the grammar admits next, being computed while the model runs: (future
        # of the masks of a group of rows, this row's index in it).
        self.next_allowed: tuple[Future, int] | None = None

    def add(self, token: int, logprob: float, data: bytes, chosen: bool) -> None:
        self.tokens.append(token)
        self.logprobs.append(logprob)
        self.chosen.append(chosen)
        self.assembler.add(data)
        if self.constraint:
            self.constraint.consume(token)
            if self.constraint.done:
                self.finish_reason = "grammar"

    def sample(self, prompt_ids: list[int], constrained: bool) -> Sample:
        text, offsets = self.assembler.finish()
        return Sample(text, tuple(self.tokens), offsets, tuple(prompt_ids), constrained,
                      self.finish_reason or "length", self.prompt_index, tuple(self.logprobs),
                      tuple(self.chosen))


@attrs.frozen
class _Sampler:
    vocab: Vocabulary
    stop_ids: frozenset[int]
    temperature: float
    top_p: float
    max_new_tokens: int
    generator: torch.Generator
    masks: ThreadPoolExecutor  # computes the next grammar masks while the model runs

    def step(self, model, batch: Batch, rows: list[_Row]) -> Step:
        """Samples one token for every row of the batch and runs the model on them."""
        started = time.perf_counter()
        active = [rows[r] for r in batch.rows]
        logits = batch.logits
        normaliser = logits.logsumexp(-1)  # of the model's own distribution, for logprobs
        logits[:, self.vocab.size:] = float("-inf")  # embedding rows past the vocabulary
        constrained, constraint_seconds = active[0].constraint is not None, 0.0
        choices = [True] * len(active)  # without a grammar every token is the model's choice
        if constrained:
            masking = time.perf_counter()
            allowed = self._allowed(active)
            choices = (allowed.sum(1) > 1).tolist()
            mask = torch.zeros(logits.shape, dtype=torch.bool)
            mask[:, :self.vocab.size] = torch.from_numpy(allowed)
            logits = logits.masked_fill(~mask, float("-inf"))
            constraint_seconds += time.perf_counter() - masking
        tokens = _sample(logits, self.temperature, self.top_p, self.generator)
        logprobs = (batch.logits.gather(-1, tokens[:, None]).squeeze(-1) - normaliser).tolist()
        adding = time.perf_counter()
        kept = [position for position, (row, token, logprob, chosen)
                in enumerate(zip(active, tokens.tolist(), logprobs, choices))
                if self._add(row, token, logprob, chosen)]
        constraint_seconds += time.perf_counter() - adding if constrained else 0.0
        decoded = len(active)
        batch.keep(kept)
        if batch.rows:
            if constrained:  # the grammar's next masks, computed while the model runs
                going_on = [active[k] for k in kept]
                future = self.masks.submit(allowed_tokens, [r.constraint for r in going_on],
                                           self.vocab.size)
                for index, row in enumerate(going_on):
                    row.next_allowed = (future, index)
            batch.advance(model, tokens[kept])
        return Step(decoded, time.perf_counter() - started, constraint_seconds)

    def _allowed(self, active: list[_Row]) -> np.ndarray:
        """(rows, vocab) bool: what each row's grammar admits next; computed during the last
        model step, or now for a row just admitted."""
        allowed = np.empty((len(active), self.vocab.size), dtype=bool)
        fresh = []
        for position, row in enumerate(active):
            if row.next_allowed is None:
                fresh.append(position)
                continue
            future, index = row.next_allowed
            allowed[position] = future.result()[index]
            row.next_allowed = None
        if fresh:
            allowed[fresh] = allowed_tokens([active[p].constraint for p in fresh],
                                            self.vocab.size)
        return allowed

    def _add(self, row: _Row, token: int, logprob: float, chosen: bool) -> bool:
        """Adds the token to the row; whether the row goes on."""
        if row.constraint is None and token in self.stop_ids:
            row.finish_reason = "eos"
            return False
        row.add(token, logprob, self.vocab.token_bytes[token], chosen)
        return row.finish_reason is None and len(row.tokens) < self.max_new_tokens


def _sample(logits: torch.Tensor, temperature: float, top_p: float, generator) -> torch.Tensor:
    if temperature <= 0:
        return logits.argmax(-1)
    logits = logits / temperature
    if top_p < 1.0:
        logits = _nucleus(logits, top_p)
    return _categorical(logits.softmax(-1), generator)


def _categorical(probs: torch.Tensor, generator) -> torch.Tensor:
    """One token per row by inverse transform sampling: 20 times faster than
    torch.multinomial on a CPU. A zero-probability token is never drawn."""
    cumulative = probs.double().cumsum(-1)
    draw = torch.rand((len(probs), 1), generator=generator, dtype=torch.float64)
    tokens = torch.searchsorted(cumulative, draw * cumulative[:, -1:], right=True).squeeze(-1)
    past_the_end = tokens >= probs.shape[-1]  # rounding at the very top of the range
    if bool(past_the_end.any()):
        tokens = torch.where(past_the_end, probs.argmax(-1), tokens)
    return tokens


_NUCLEUS_CANDIDATES = 64


def _nucleus(logits: torch.Tensor, top_p: float) -> torch.Tensor:
    """Keeps the most likely tokens whose probabilities sum to top_p (at least one).

    The nucleus of a language model is nearly always within its few most likely tokens, so
    those are ranked first (linear time); the whole vocabulary is sorted only when they do
    not reach top_p. The result is exact either way."""
    probs = logits.softmax(-1)
    candidates = min(_NUCLEUS_CANDIDATES, logits.shape[-1])
    top, order = probs.topk(candidates, dim=-1)
    if bool((top.sum(-1) < top_p).any()):
        top, order = probs.sort(-1, descending=True)
    outside = top.cumsum(-1) - top > top_p
    kept = torch.full_like(logits, float("-inf"))
    return kept.scatter(-1, order, logits.gather(-1, order).masked_fill(outside, float("-inf")))
