"""The real embedded SmolLM2-135M writes a valid team, untrained (slow: select with
`-m embedded`)."""

import pytest

from lemonspec.orchestrator import Scope, check_spec, orchestrator_prompt, sample_specs

pytestmark = pytest.mark.embedded


def test_the_embedded_model_writes_valid_formatted_teams():
    from lemonspec.runtime.embedded import load_embedded_model

    model, tokenizer = load_embedded_model()
    prompt = orchestrator_prompt("Tom has 3 apples and buys 4 more. How many apples?",
                                 family="math")
    samples = sample_specs(model, tokenizer, [prompt], num_samples=2, seed=0, temperature=0.7,
                           top_p=0.95, scope=Scope.for_family("math"))
    for sample in samples:
        check = check_spec(sample.text)
        assert check.ok and check.formatted, (sample.text, check.codes)
        assert "".join(sample.text[a:b] for a, b in sample.token_offsets) == sample.text
