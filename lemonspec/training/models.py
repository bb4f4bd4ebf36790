"""The orchestrator model and its tokenizer: the embedded SmolLM2-135M, a tiny randomly
initialised Llama with the SmolLM2 tokenizer (tests and CPU experiments), or any Hugging Face
causal LM (the paper's Qwen2.5-7B-Instruct on a GPU machine)."""

from __future__ import annotations

import contextlib
import copy
import functools
import io
import os
import shutil
import tempfile
from pathlib import Path

from lemonspec.training.config import ConfigError, ModelConfig, show

EMBEDDED = "embedded"
TINY_RANDOM = "tiny-random"


def _cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "lemonspec" / "smollm2-135m-tokenizer"


@functools.cache
def embedded_tokenizer():
    """The SmolLM2 tokenizer without the model. Converting it from the GGUF takes seconds,
    so the converted tokenizer is kept on disk (a cache: delete it at will)."""
    from transformers import AutoTokenizer

    from lemonspec.runtime.embedded import EMBEDDED_GGUF, EMBEDDED_MODEL_DIR

    folder = _cache_dir()
    if (folder / "tokenizer_config.json").exists():
        tokenizer = AutoTokenizer.from_pretrained(folder)
    else:
        with contextlib.redirect_stderr(io.StringIO()):  # the GGUF reader's progress bars
            tokenizer = AutoTokenizer.from_pretrained(EMBEDDED_MODEL_DIR, gguf_file=EMBEDDED_GGUF)
        _save_atomically(tokenizer, folder)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def _save_atomically(tokenizer, folder: Path) -> None:
    """Write the cache beside `folder`, then rename it into place. Other processes (tests of
    other checkouts, rollout workers) read the same cache: save_pretrained writes
    tokenizer_config.json before tokenizer.json, and a reader in between failed to load it."""
    with contextlib.suppress(OSError):
        folder.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
        try:
            tokenizer.save_pretrained(partial)
            os.replace(partial, folder)  # fails if another process got there first: fine
        finally:
            shutil.rmtree(partial, ignore_errors=True)


def tiny_random_model(tokenizer, config: ModelConfig):
    """A small Llama, randomly initialised from config.seed, over the tokenizer's vocabulary."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(config.seed)
    shape = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=config.tiny_hidden_size,
        intermediate_size=2 * config.tiny_hidden_size, num_hidden_layers=config.tiny_layers,
        num_attention_heads=config.tiny_heads, num_key_value_heads=config.tiny_heads,
        max_position_embeddings=4096, tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return LlamaForCausalLM(shape)


def load_orchestrator(config: ModelConfig):
    """(model, tokenizer). The embedded model is copied: the runtime's embedded workers use
    the shared instance, which training must not modify."""
    if config.name == EMBEDDED:
        from lemonspec.runtime.embedded import load_embedded_model

        model, tokenizer = load_embedded_model()
        model = copy.deepcopy(model)
    elif config.name == TINY_RANDOM:
        tokenizer = embedded_tokenizer()
        model = tiny_random_model(tokenizer, config)
    else:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(config.name)
            model = AutoModelForCausalLM.from_pretrained(config.name, dtype="auto")
        except (OSError, ValueError) as exc:
            raise ConfigError(f"[model] name = {show(config.name)}: cannot load it as a model "
                              f'folder or hub id ({_first_line(exc)}); "embedded" and '
                              '"tiny-random" need no download') from None
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
    if config.init_adapter:
        model = _warm_start(model, config)
    model.train()
    return model, tokenizer


def _warm_start(model, config: ModelConfig):
    """Start from a `lemonc train sft` output: a LoRA adapter, or full weights."""
    path = Path(config.init_adapter)
    if not (path / "adapter_config.json").exists() and not (path / "config.json").exists():
        raise ConfigError(f"[model] init_adapter = {show(config.init_adapter)}: no adapter or "
                          "model there (adapter_config.json or config.json); run `lemonc "
                          "train sft` first, or remove init_adapter")
    if (path / "adapter_config.json").exists():
        from peft import PeftModel

        return PeftModel.from_pretrained(model, path, is_trainable=True)
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(path)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__


def lora_config(config: ModelConfig):
    """The peft LoraConfig, or None for full fine-tuning."""
    if not config.lora:
        return None
    from peft import LoraConfig

    return LoraConfig(r=config.lora_r, lora_alpha=config.lora_alpha,
                      lora_dropout=config.lora_dropout,
                      target_modules=list(config.lora_target_modules), task_type="CAUSAL_LM")
