"""The model side of batched decoding: a KV cache shared by the unfinished samples, into
which new samples are admitted as others finish (continuous batching).

Samples of very different lengths are the rule (a team of one agent or of six), so a fixed
batch would spend most of its time on its last long sample. Here a prompt is prefilled once;
its cache is copied for each of its samples as they are admitted, left-padded to the batch's
length (positions are given per row, so padding does not shift them); finished rows leave
the cache, and padding columns no row needs any more are trimmed.

It works on a transformers DynamicCache whose layers hold full-attention keys and values
(Llama, Qwen2, SmolLM2, ... and peft wrappers of them).
"""

from __future__ import annotations

import copy
import inspect

import attrs
import torch
import torch.nn.functional as F


@attrs.frozen(eq=False)
class PrefilledPrompt:
    cache: object  # a DynamicCache of one row
    logits: torch.Tensor  # (1, vocab): the distribution of the first new token
    length: int


def prefill(model, prompt_ids: list[int]) -> PrefilledPrompt:
    ids = torch.tensor([prompt_ids])
    extra = {"logits_to_keep": 1} if _keeps_logits(model) else {}
    out = model(input_ids=ids, use_cache=True, **extra)
    _check_cache(out.past_key_values)
    return PrefilledPrompt(out.past_key_values, out.logits[:, -1, :].float(), len(prompt_ids))


def _keeps_logits(model) -> bool:
    """Whether forward() can skip the logits of all but the last position (a large saving
    on a long prompt)."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return "logits_to_keep" in inspect.signature(base.forward).parameters


def _check_cache(cache) -> None:
    layers = getattr(cache, "layers", None)
    if not layers or any(type(layer).__name__ != "DynamicLayer" for layer in layers):
        raise NotImplementedError(
            f"continuous batching needs a DynamicCache of full-attention layers; got {cache!r}")


@attrs.define
class Batch:
    """The unfinished samples: their next-token logits, cache, attention mask, positions."""

    rows: list[int] = attrs.Factory(list)  # sample ids, in batch order
    logits: torch.Tensor | None = None  # (rows, vocab)
    cache: object = None
    attention: torch.Tensor | None = None  # (rows, cached length)
    positions: torch.Tensor | None = None  # (rows,): the position of each row's next token

    def __len__(self) -> int:
        return len(self.rows)

    def admit(self, prompt: PrefilledPrompt, rows: list[int]) -> None:
        """Adds `rows` (samples of `prompt`) to the batch, each with a copy of its cache."""
        copies = len(rows)
        attention = torch.ones((copies, prompt.length), dtype=torch.long)
        positions = torch.full((copies,), prompt.length)
        logits = prompt.logits.expand(copies, -1)
        if not self.rows:
            self.cache = copy.copy(prompt.cache)
            self.cache.layers = [copy.copy(layer) for layer in prompt.cache.layers]
            for layer in self.cache.layers:
                layer.keys = layer.keys.expand(copies, -1, -1, -1).contiguous()
                layer.values = layer.values.expand(copies, -1, -1, -1).contiguous()
            self.rows, self.logits = list(rows), logits.clone()
            self.attention, self.positions = attention, positions
            return
        width = max(self.attention.shape[1], prompt.length)
        old_pad, new_pad = width - self.attention.shape[1], width - prompt.length
        for layer, source in zip(self.cache.layers, prompt.cache.layers):
            layer.keys = torch.cat([_pad_left(layer.keys, old_pad),
                                    _pad_left(source.keys.expand(copies, -1, -1, -1), new_pad)])
            layer.values = torch.cat([
                _pad_left(layer.values, old_pad),
                _pad_left(source.values.expand(copies, -1, -1, -1), new_pad)])
        self.attention = torch.cat([F.pad(self.attention, (old_pad, 0)),
                                    F.pad(attention, (new_pad, 0))])
        self.positions = torch.cat([self.positions, positions])
        self.logits = torch.cat([self.logits, logits])
        self.rows += rows

    def keep(self, kept: list[int]) -> None:
        """Keeps only the batch positions `kept`; trims padding no row needs any more."""
        if len(kept) == len(self.rows):
            return
        self.rows = [self.rows[k] for k in kept]
        if not kept:
            self.logits = self.cache = self.attention = self.positions = None
            return
        index = torch.tensor(kept, dtype=torch.long)
        self.cache.batch_select_indices(index)
        self.attention, self.positions = self.attention[index], self.positions[index]
        self.logits = self.logits[index]
        self._trim()

    def _trim(self) -> None:
        unused = int((self.attention.sum(0) == 0).cumprod(0).sum())  # leading empty columns
        if unused:
            self.attention = self.attention[:, unused:]
            for layer in self.cache.layers:
                layer.keys, layer.values = layer.keys[:, :, unused:], layer.values[:, :, unused:]

    def advance(self, model, tokens: torch.Tensor) -> None:
        """Runs the model on each row's next token; logits are then for the one after."""
        self.attention = F.pad(self.attention, (0, 1), value=1)
        out = model(input_ids=tokens[:, None], attention_mask=self.attention,
                    position_ids=self.positions[:, None], past_key_values=self.cache,
                    use_cache=True)
        self.cache, self.logits = out.past_key_values, out.logits[:, -1, :].float()
        self.positions = self.positions + 1


def _pad_left(states: torch.Tensor, width: int) -> torch.Tensor:
    """(rows, heads, length, dim) with `width` zero columns before `length`."""
    return F.pad(states, (0, 0, width, 0)) if width else states
