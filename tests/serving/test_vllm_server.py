"""The orchestrator on a real vLLM CPU server (one per session, see conftest.py): the static
generation grammar makes every team valid by construction, samples come back with the ids,
offsets, chosen marks and log-probs the trainer needs, and a LoRA adapter saved by the
trainer is served at run time."""

from __future__ import annotations

import math

import pytest

from lemonspec.orchestrator.decoding import forced_sample
from lemonspec.orchestrator.prompt import chat_prompt, orchestrator_prompt
from lemonspec.orchestrator.scope import Scope
from lemonspec.orchestrator.served import ServedEngine, ServedEngineError, sample_served
from lemonspec.orchestrator.validity import check_spec

pytestmark = pytest.mark.vllm

TASKS = [
    ("Natalia sold clips to 48 of her friends in April, and then she sold half as many clips "
     "in May. How many clips did Natalia sell altogether in April and May?"),
    "A train travels at 60 km per hour for 3 hours. How many kilometres does it travel?",
]


@pytest.fixture(scope="module")
def tokenizer(vllm_server):
    if vllm_server.model_dir:  # the served folder's own tokenizer: the embedded one, saved
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(vllm_server.model_dir)
    from lemonspec.runtime.embedded import load_embedded_model

    return load_embedded_model()[1]


@pytest.fixture(scope="module")
def engine(vllm_server):
    return ServedEngine(vllm_server.base_url, vllm_server.model)


def test_every_team_written_on_the_server_passes_every_check(engine, tokenizer):
    scope = Scope.for_family("math")
    prompts = [orchestrator_prompt(t, family="math") for t in TASKS]
    samples = sample_served(engine, tokenizer, prompts, num_samples=8, scope=scope, seed=3)
    assert len(samples) == 16
    failing = [(s.text, check_spec(s.text).codes) for s in samples if not check_spec(s.text).ok]
    assert failing == []  # unbound names, self-dependencies, duplicate agents: none
    assert all(s.finish_reason == "grammar" for s in samples)


def test_served_samples_carry_what_the_trainer_needs(engine, tokenizer):
    scope = Scope.for_family("math")
    [sample] = sample_served(engine, tokenizer, [orchestrator_prompt(TASKS[0], family="math")],
                             scope=scope, seed=11)
    replayed = forced_sample(tokenizer, sample.token_ids, scope)
    assert sample.text == replayed.text == tokenizer.decode(sample.token_ids)
    assert sample.token_offsets == replayed.token_offsets
    assert sample.chosen == replayed.chosen and any(sample.chosen) and not all(sample.chosen)
    assert len(sample.logprobs) == len(sample.token_ids)
    assert all(math.isfinite(v) and v <= 0.0 for v in sample.logprobs)
    # the exact prompt ids the trainer scores: the chat-formatted orchestrator prompt
    expected = tokenizer.encode(chat_prompt(tokenizer, orchestrator_prompt(TASKS[0],
                                                                           family="math")),
                                add_special_tokens=False)
    assert sample.prompt_token_ids == tuple(expected)


def test_a_trainer_adapter_is_served_at_run_time(engine, tokenizer, vllm_server, tmp_path):
    if vllm_server.model_dir is None:
        pytest.skip("the served model's folder is unknown (LEMONSPEC_VLLM_MODEL_DIR)")
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(vllm_server.model_dir, dtype=torch.float32)
    model = get_peft_model(base, LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj",
                                                                                "v_proj"]))
    model.save_pretrained(tmp_path / "zero")  # B = 0: the adapter changes nothing
    with torch.no_grad():
        for name, weight in model.named_parameters():
            if "lora_B" in name:
                weight.normal_(0.0, 0.5, generator=torch.Generator().manual_seed(0))
    model.save_pretrained(tmp_path / "moved")
    engine.load_adapter("zero", str(tmp_path / "zero"))
    engine.load_adapter("moved", str(tmp_path / "moved"))
    scope = Scope.for_family("math")
    prompt = [orchestrator_prompt(TASKS[1], family="math")]

    def greedy(adapter):
        [sample] = sample_served(engine, tokenizer, prompt, scope=scope, temperature=0.0,
                                 adapter=adapter)
        return sample

    base_sample, zero, moved = greedy(None), greedy("zero"), greedy("moved")
    assert zero.text == base_sample.text
    assert moved.logprobs != base_sample.logprobs  # the adapter's weights are in effect
    assert check_spec(moved.text).ok
    engine.unload_adapter("zero")
    with pytest.raises(ServedEngineError, match="zero"):
        greedy("zero")


def test_a_server_that_is_down_is_named(tokenizer):
    dead = ServedEngine("http://127.0.0.1:9", "nothing", timeout=5.0)
    with pytest.raises(ServedEngineError, match="127.0.0.1:9"):
        sample_served(dead, tokenizer, [orchestrator_prompt(TASKS[0], family="math")],
                      scope=Scope.for_family("math"))
