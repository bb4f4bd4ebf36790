"""Remote orchestrators through LiteLLM: the grammar rides along to servers that take one;
elsewhere the reply is decoded freely and the compiler judges it (here: a scripted model)."""

import random

import llguidance
import numpy as np
import pytest

from lemonspec.grammar.variants import GenerationBounds
from lemonspec.orchestrator import Scope, check_spec, sample_remote, spec_text
from lemonspec.orchestrator.remote import accepts_grammar, grammar_body, server_grammar
from lemonspec.runtime import ScriptedModel
from tests.llguidance_bytes import BYTES

REPLY = "Here is the team:\n```lemon\nteam t {\n    agent a: MathSolver {}\n}\n```\nDone."


def test_vllm_servers_get_the_generation_grammar_in_both_spellings():
    body = grammar_body(Scope.for_family("math"))
    grammar = body["structured_outputs"]["grammar"]
    assert body["guided_grammar"] == grammar
    assert grammar.startswith("%llguidance {}\n")  # read as Lark, never as GBNF
    assert '"MathSolver"' in grammar
    assert llguidance.LLMatcher.validate_grammar(
        llguidance.grammar_from("grammar", grammar)) == ""


def server_walk(grammar: str, rng: random.Random) -> str:
    """A sentence drawn byte by byte under the grammar as a server reads it
    (`llguidance.grammar_from("grammar", ...)`, what vLLM's guidance backend calls)."""
    matcher = llguidance.LLMatcher(BYTES, llguidance.grammar_from("grammar", grammar),
                                   log_level=0)
    assert not matcher.is_error(), matcher.get_error()
    text = bytearray()
    while not matcher.is_stopped():
        mask = np.frombuffer(matcher.compute_bitmask(), dtype=np.uint8)
        allowed = np.flatnonzero(np.unpackbits(mask, bitorder="little")[:256])
        byte = int(rng.choice(allowed))
        assert matcher.consume_token(byte)
        text.append(byte)
    return text.decode()


@pytest.mark.parametrize("family", ["math", None])
def test_a_server_decoding_under_the_grammar_can_only_write_valid_teams(family):
    """The exact text sent to a server binds names statically: every team it can write
    parses, is formatted and passes every check (random walks take every branch often)."""
    scope = Scope.for_family(family, bounds=GenerationBounds(4, 8, 12))
    grammar = server_grammar(scope)
    assert grammar_body(scope)["guided_grammar"] == grammar
    assert llguidance.LLMatcher.validate_grammar(llguidance.grammar_from("grammar",
                                                                         grammar)) == ""
    rng = random.Random(family)
    for _ in range(40):
        text = server_walk(grammar, rng)
        check = check_spec(text)
        assert check.ok and check.formatted, (text, check.codes)


def test_only_grammar_servers_are_sent_a_grammar():
    assert accepts_grammar("hosted_vllm/Qwen/Qwen2.5-7B-Instruct")
    assert not accepts_grammar("openai/gpt-4o-mini")


def test_a_remote_reply_is_checked_by_the_compiler():
    calls = []
    fake = ScriptedModel("orchestrator-remote", rule=lambda call: calls.append(call) or REPLY)
    samples = sample_remote(fake.model, ["task one", "task two"], num_samples=2, seed=3)
    assert [s.prompt_index for s in samples] == [0, 0, 1, 1]
    assert not any(s.constrained for s in samples)  # a fake server takes no grammar
    assert "extra_body" not in calls[0].params
    assert sorted(c.params["seed"] for c in calls) == [3, 4, 5, 6]  # samples differ
    check = check_spec(spec_text(samples[0].text))
    assert check.ok and check.formatted


def test_the_grammar_is_passed_through_when_asked():
    calls = []
    fake = ScriptedModel("orchestrator-grammar", rule=lambda call: calls.append(call) or REPLY)
    [sample] = sample_remote(fake.model, ["task"], constrained=True, scope=Scope())
    assert sample.constrained
    assert calls[0].params["extra_body"] == grammar_body(Scope())


def test_spec_text_finds_the_team_in_a_chatty_reply():
    assert spec_text("Sure! team t {\n    agent a: X {}\n} Hope it helps") == \
        "team t {\n    agent a: X {}\n}\n"
    assert spec_text("no team here") == "no team here"


def test_a_remote_sampler_reports_progress_after_each_reply():
    fake = ScriptedModel("orchestrator-progress", rule=lambda call: REPLY)
    seen = []
    sample_remote(fake.model, ["task"], num_samples=3, on_progress=seen.append)
    assert [p.finished for p in seen] == [1, 2, 3] and {p.total for p in seen} == {3}
    # the scripted model reports usage, so the counts grow with each reply
    assert seen[0].new_tokens > 0 and seen[-1].new_tokens == 3 * seen[0].new_tokens
