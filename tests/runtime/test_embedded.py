"""The real embedded SmolLM2-135M, in process: one short run of a shipped example (slow:
loading takes ~20 s on two cores). Select with `-m embedded`, skip with `-m "not embedded"`."""

import asyncio

import pytest

from lemonspec.compiler import compile_file
from lemonspec.runtime import EMBEDDED_MODEL, load_embedded_model, run_team, uniform_profile

from .conftest import EXAMPLES

pytestmark = pytest.mark.embedded


def test_an_example_runs_on_the_embedded_model_with_batched_parallel_agents(tmp_path):
    from lemonspec.runtime.embedded import embedded_batcher

    ir = compile_file(str(EXAMPLES / "mmlu.lemon"))  # three independent agents, then a critic
    profile = uniform_profile(EMBEDDED_MODEL, max_tokens=8, retries=0, timeout=300)

    async def run():
        result = await run_team(ir, "Which planet is the largest? A) Mars B) Jupiter "
                                    "C) Venus D) Earth", profile=profile, extractor="choice")
        return result, embedded_batcher().batch_sizes

    result, batch_sizes = asyncio.run(run())

    assert result.ok, [a.error for a in result.failures]
    assert batch_sizes == [3, 1]  # the three independent agents shared one forward pass
    for agent in result.agents:
        assert agent.output and agent.model == EMBEDDED_MODEL
        assert agent.prompt_tokens > 20 and 1 <= agent.completion_tokens <= 8
    model, tokenizer = load_embedded_model()
    assert load_embedded_model()[0] is model  # loaded once per process
    assert not hasattr(model, "hf_quantizer") and not model.is_quantized  # the trainer needs it
    assert tokenizer.chat_template
