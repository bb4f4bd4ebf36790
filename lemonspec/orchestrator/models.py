"""Which model writes the specs: the embedded SmolLM2, a local transformers model, or a LoRA
adapter saved by the trainer. Anything else is a LiteLLM model string (remote.py)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

LOCAL = "local"  # the embedded SmolLM2-135M-Instruct


def is_local(model: str) -> bool:
    """Whether `model` names a model this process runs (else: a LiteLLM model string)."""
    return model == LOCAL or Path(model).is_dir()


def load_orchestrator(model: str = LOCAL):
    """(model, tokenizer) for `local`, a transformers model folder or a peft adapter folder."""
    from lemonspec.runtime.embedded import load_embedded_model

    if model == LOCAL:
        return load_embedded_model()
    folder = Path(model)
    adapter = folder / "adapter_config.json"
    if adapter.is_file():
        return _load_adapter(folder, json.loads(adapter.read_text()))
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(folder), AutoTokenizer.from_pretrained(folder)


def _load_adapter(folder: Path, config: dict):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from lemonspec.runtime.embedded import EMBEDDED_MODEL_DIR, load_embedded_model

    base_name = config.get("base_model_name_or_path")
    if base_name and Path(base_name).is_dir() and Path(base_name) != Path(EMBEDDED_MODEL_DIR or ""):
        base, tokenizer = (AutoModelForCausalLM.from_pretrained(base_name),
                           AutoTokenizer.from_pretrained(base_name))
    else:  # trained on the embedded model (its GGUF folder, or a name with no local copy)
        shared, tokenizer = load_embedded_model()
        base = copy.deepcopy(shared)  # the adapter must not change the runtime's model
    if (folder / "tokenizer_config.json").is_file():
        tokenizer = AutoTokenizer.from_pretrained(folder)
    return PeftModel.from_pretrained(base, folder), tokenizer
