"""Sampling specs with a tiny random model: the guarantees come from the grammar, not from
the model being good. Over tasks of all six benchmarks and many seeds, every constrained
sample parses, is byte-identical to its `lemonc fmt` output, passes the checks (names bound,
acyclic), and its token offsets reproduce its text."""

import functools

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lemonspec.benchmarks.datasets import NAMES, load
from lemonspec.orchestrator import check_spec, decode, family_of, orchestrator_prompt, sample_specs
from lemonspec.orchestrator.decoding import forced_sample
from tests.orchestrator.conftest import small_scope


@functools.cache
def tasks() -> tuple[tuple[str, str], ...]:
    """(benchmark, task) pairs: three items from each of the six benchmarks."""
    return tuple((name, item.prompt) for name in NAMES for item in load(name, limit=3, seed=1))


def prompt_for(index: int) -> tuple[str, str | None]:
    name, task = tasks()[index % len(tasks())]
    return orchestrator_prompt(task, family=family_of(name)), family_of(name)


def assert_offsets_reproduce_the_text(sample, tokenizer):
    assert "".join(sample.text[a:b] for a, b in sample.token_offsets) == sample.text
    assert [a for a, _ in sample.token_offsets] == [0, *(b for _, b in sample.token_offsets)][:-1]
    assert tokenizer.decode(list(sample.token_ids)) == sample.text
    assert len(sample.logprobs) == len(sample.token_ids)


def test_the_tasks_cover_all_six_benchmarks():
    assert {name for name, _ in tasks()} == set(NAMES) and len(NAMES) == 6


@settings(max_examples=30)
@given(task=st.integers(0, 17), seed=st.integers(0, 2**31 - 1),
       temperature=st.sampled_from([0.0, 0.7, 1.0, 1.5]), top_p=st.sampled_from([0.9, 1.0]))
def test_every_constrained_sample_is_a_valid_formatted_team(tiny_model, tokenizer, task, seed,
                                                             temperature, top_p):
    prompt, family = prompt_for(task)
    samples = sample_specs(tiny_model, tokenizer, [prompt], num_samples=3, seed=seed,
                           temperature=temperature, top_p=top_p, scope=small_scope(family))
    assert len(samples) == 3
    for sample in samples:
        check = check_spec(sample.text)
        assert sample.finish_reason == "grammar" and sample.constrained
        assert check.parses and check.formatted, sample.text
        assert check.ok, (sample.text, check.codes)
        assert_offsets_reproduce_the_text(sample, tokenizer)


def test_the_decoder_marks_each_token_chosen_or_forced_by_the_grammar(tiny_model, tokenizer):
    """Sample.chosen is what the grammar allowed at each step (several tokens: chosen), as
    recorded while sampling in a batch; forced_sample marks given tokens the same way."""
    prompts = [prompt_for(i)[0] for i in (1, 8)]
    samples = sample_specs(tiny_model, tokenizer, prompts, num_samples=2, seed=4,
                           scope=small_scope(), batch_size=3)
    for sample in samples:
        assert len(sample.chosen) == len(sample.token_ids)
        again = forced_sample(tokenizer, sample.token_ids, small_scope())
        assert again.chosen == sample.chosen and again.text == sample.text
        assert any(sample.chosen) and not all(sample.chosen)
        first_name = sample.text.index("    agent a:") + len("    agent ")
        name_tokens = [c for (start, end), c in zip(sample.token_offsets, sample.chosen)
                       if start <= first_name < end]
        assert name_tokens == [False]  # agents are named by position: never a choice


def test_samples_at_the_default_bounds_finish_within_the_default_budget(tiny_model, tokenizer):
    prompt, family = prompt_for(0)
    from lemonspec.orchestrator import Scope

    for sample in sample_specs(tiny_model, tokenizer, [prompt], num_samples=2, seed=3,
                               scope=Scope.for_family(family)):
        check = check_spec(sample.text)
        assert sample.finish_reason == "grammar" and check.ok and check.formatted


def test_without_binding_samples_still_parse_and_are_formatted(tiny_model, tokenizer):
    prompt, family = prompt_for(4)
    scope = small_scope(family, bind_agents=False)
    for sample in sample_specs(tiny_model, tokenizer, [prompt], num_samples=4, seed=5,
                               scope=scope):
        check = check_spec(sample.text)
        assert check.parses and check.formatted


def test_unconstrained_decoding_runs_through_the_same_loop(tiny_model, tokenizer):
    prompts = [prompt_for(1)[0], prompt_for(7)[0]]
    decoded = decode(tiny_model, tokenizer, prompts, num_samples=2, constrained=False,
                     max_new_tokens=24, seed=0)
    assert [s.prompt_index for s in decoded.samples] == [0, 0, 1, 1]
    for sample in decoded.samples:
        assert not sample.constrained and sample.finish_reason in ("eos", "length")
        assert sample.chosen == (True,) * len(sample.token_ids)  # no grammar: all chosen
        assert len(sample.token_ids) <= 24
        # a random model writes anything, multi-byte characters cut between tokens included
        assert "".join(sample.text[a:b] for a, b in sample.token_offsets) == sample.text
    assert decoded.new_tokens == sum(len(s.token_ids) for s in decoded.samples)


def test_logprobs_are_the_models_own_and_survive_batching(tiny_model, tokenizer):
    """Continuous batching (padding, admission, trimming) must not change what the model
    computes: each sample's logprobs equal one forward pass over prompt + sample."""
    prompts = [prompt_for(i)[0] for i in (2, 9, 14)]
    samples = sample_specs(tiny_model, tokenizer, prompts, num_samples=3, seed=11,
                           scope=small_scope(), batch_size=4)
    assert [s.prompt_index for s in samples] == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    for sample in samples:
        ids = torch.tensor([list(sample.prompt_token_ids) + list(sample.token_ids)])
        with torch.inference_mode():
            logits = tiny_model(input_ids=ids).logits[0].float()
        start = len(sample.prompt_token_ids)
        expected = logits[start - 1:-1].log_softmax(-1).gather(
            -1, torch.tensor(sample.token_ids)[:, None]).squeeze(-1)
        assert torch.allclose(torch.tensor(sample.logprobs), expected, atol=1e-4)


def test_the_same_seed_gives_the_same_samples(tiny_model, tokenizer):
    prompt = prompt_for(5)[0]
    first, second = (sample_specs(tiny_model, tokenizer, [prompt], num_samples=2, seed=7,
                                  scope=small_scope()) for _ in range(2))
    assert first == second


def test_greedy_decoding_does_not_depend_on_the_batch(tiny_model, tokenizer):
    prompts = [prompt_for(3)[0], prompt_for(10)[0]]
    options = {"num_samples": 2, "temperature": 0.0, "scope": small_scope()}
    alone = sample_specs(tiny_model, tokenizer, prompts, batch_size=1, **options)
    together = sample_specs(tiny_model, tokenizer, prompts, batch_size=8, **options)
    assert [s.text for s in alone] == [s.text for s in together]


def test_the_models_training_mode_is_restored(tiny_model, tokenizer):
    tiny_model.train()
    try:
        sample_specs(tiny_model, tokenizer, [prompt_for(0)[0]], scope=small_scope())
        assert tiny_model.training
    finally:
        tiny_model.eval()


def test_each_prompt_keeps_its_own_scope(tiny_model, tokenizer):
    from lemonspec.compiler.stdlib import role_pool

    families = ("math", "mmlu", "code")
    scopes = [small_scope(f, levels=("low", "high")) for f in families]
    samples = sample_specs(tiny_model, tokenizer, [prompt_for(0)[0]] * 3, num_samples=2,
                           seed=2, scope=scopes)
    for sample in samples:
        assert check_spec(sample.text, levels=("low", "high")).ok
        roles = {line.split(": ")[1].split(" ")[0] for line in sample.text.splitlines()
                 if line.startswith("    agent ")}
        assert roles <= set(role_pool(families[sample.prompt_index]))
