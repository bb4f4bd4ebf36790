"""Profiles: shipped TOML files, levels and defaults, env-provided server addresses, --model."""

import pytest

from lemonspec.compiler import compile_text
from lemonspec.runtime import (
    EMBEDDED_MODEL,
    ProfileError,
    available_profiles,
    check_capacities,
    load_profile,
    parse_profile,
)

TWO_LEVELS = """
levels = ["lo", "hi"]
default_level = "lo"
concurrency = 3
[defaults]
temperature = 0.2
api_base_env = "TEST_LEMON_BASE"
api_base = "http://fallback:1/v1"
[level.lo]
model = "hosted_vllm/small"
max_tokens = 100
top_p = 0.9
[level.hi]
model = "hosted_vllm/big"
fallbacks = ["hosted_vllm/small"]
retries = 1
"""


def test_the_shipped_profiles():
    assert {"embedded", "paper-vllm", "openai"} <= set(available_profiles())
    embedded = load_profile()  # the default
    assert embedded.name == "embedded" and embedded.levels == ("small", "medium", "large")
    assert embedded.default_level == "medium"
    budgets = [embedded.config(level).max_tokens for level in embedded.levels]
    assert budgets == sorted(budgets) and len(set(budgets)) == 3  # larger level, more tokens
    assert {embedded.config(level).model for level in embedded.levels} == {EMBEDDED_MODEL}
    paper = load_profile("paper-vllm")
    assert [paper.config(level).model for level in paper.levels] == [
        "hosted_vllm/Qwen/Qwen2.5-7B-Instruct", "hosted_vllm/Qwen/Qwen2.5-14B-Instruct",
        "hosted_vllm/Qwen/Qwen2.5-32B-Instruct"]
    assert load_profile("openai").config("large").model == "openai/gpt-4o"


def test_levels_defaults_and_passthrough_parameters(monkeypatch):
    monkeypatch.delenv("TEST_LEMON_BASE", raising=False)
    profile = parse_profile(TWO_LEVELS, "two")
    assert profile.levels == ("lo", "hi") and profile.default_level == "lo"
    assert profile.concurrency == 3
    lo, hi = profile.config("lo"), profile.config("hi")
    assert lo.request_params() == {"max_tokens": 100, "temperature": 0.2, "top_p": 0.9,
                                   "api_base": "http://fallback:1/v1"}
    assert hi.models == ("hosted_vllm/big", "hosted_vllm/small") and hi.retries == 1


def test_the_server_address_can_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("TEST_LEMON_BASE", "http://gpu:8000/v1")
    assert parse_profile(TWO_LEVELS).config("hi").api_base == "http://gpu:8000/v1"


def test_model_override_keeps_budgets_and_drops_fallbacks():
    profile = parse_profile(TWO_LEVELS).with_model("openai/gpt-4o-mini")
    assert {profile.config(level).model for level in profile.levels} == {"openai/gpt-4o-mini"}
    assert profile.config("hi").fallbacks == () and profile.config("lo").max_tokens == 100


@pytest.mark.parametrize("text, message", [
    ("levels = []", "`levels` must list"),
    ('levels = ["a"]', r"no \[level.a\] table"),
    ('levels = ["a"]\ndefault_level = "b"\n[level.a]\nmodel = "m"', "default_level 'b'"),
    ('levels = ["a"]\n[level.a]\nmax_tokens = 3', "needs a `model`"),
    ("levels = [", "profile bad:"),
])
def test_bad_profiles_say_what_is_wrong(text, message):
    with pytest.raises(ProfileError, match=message):
        parse_profile(text, "bad")


def test_unknown_profile_lists_the_shipped_ones():
    with pytest.raises(ProfileError, match="unknown profile 'nope'.*embedded"):
        load_profile("nope")


def test_the_compiler_checks_levels_against_the_profile_and_so_does_the_runtime():
    profile = parse_profile(TWO_LEVELS)
    spec = "team t { agent a: MathSolver { capacity: hi } agent b: MathSolver { after: a } }"
    ir = compile_text(spec, levels=profile.levels, default_level=profile.default_level)
    assert [a.capacity for a in ir.agents] == ["hi", "lo"]  # b takes the profile's default
    check_capacities(ir, profile)
    with pytest.raises(ProfileError, match="capacity levels hi, lo, which profile 'embedded' does not"):
        check_capacities(ir, load_profile("embedded"))
