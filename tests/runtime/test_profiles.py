"""Profiles: shipped TOML files, levels and defaults, env-provided server addresses, --model."""

import pytest

from lemonspec.compiler import compile_text
from lemonspec.runtime import (
    EMBEDDED_MODEL,
    Endpoint,
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
[level.lo.params]
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


def test_the_paper_profile_routes_each_level_to_its_own_servers(monkeypatch):
    for level in ("SMALL", "MEDIUM", "LARGE"):
        monkeypatch.delenv(f"LEMON_VLLM_{level}", raising=False)
    paper = load_profile("paper-vllm")
    servers = [paper.config(level).api_base for level in paper.levels]
    assert len(set(servers)) == 3
    for level in ("medium", "large"):  # a fallback runs on the smaller model's own server
        [fallback] = paper.config(level).fallbacks
        smaller = paper.levels[paper.levels.index(level) - 1]
        assert fallback == paper.config(smaller).primary
    monkeypatch.setenv("LEMON_VLLM_LARGE", "http://gpu-2:8000/v1,http://gpu-3:8000/v1")
    assert load_profile("paper-vllm").config("large").api_base == (
        "http://gpu-2:8000/v1", "http://gpu-3:8000/v1")


def test_levels_defaults_and_passthrough_parameters(monkeypatch):
    monkeypatch.delenv("TEST_LEMON_BASE", raising=False)
    profile = parse_profile(TWO_LEVELS, "two")
    assert profile.levels == ("lo", "hi") and profile.default_level == "lo"
    assert profile.concurrency == 3
    lo, hi = profile.config("lo"), profile.config("hi")
    assert lo.request_params() == {"max_tokens": 100, "temperature": 0.2, "top_p": 0.9,
                                   "api_base": "http://fallback:1/v1"}
    assert hi.models == ("hosted_vllm/big", "hosted_vllm/small") and hi.retries == 1
    assert hi.call_params() == {"max_tokens": 512, "temperature": 0.2}


def test_the_server_address_can_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("TEST_LEMON_BASE", "http://gpu:8000/v1")
    assert parse_profile(TWO_LEVELS).config("hi").api_base == ("http://gpu:8000/v1",)
    monkeypatch.setenv("TEST_LEMON_BASE", "http://a:8000/v1, http://b:8000/v1")  # two servers
    assert parse_profile(TWO_LEVELS).config("hi").api_base == ("http://a:8000/v1",
                                                               "http://b:8000/v1")


def test_model_override_keeps_budgets_and_drops_fallbacks(monkeypatch):
    monkeypatch.delenv("TEST_LEMON_BASE", raising=False)
    profile = parse_profile(TWO_LEVELS).with_model("openai/gpt-4o-mini")
    assert {profile.config(level).model for level in profile.levels} == {"openai/gpt-4o-mini"}
    assert profile.config("hi").fallbacks == () and profile.config("lo").max_tokens == 100
    # another provider: the level's vLLM server is not OpenAI's
    assert profile.config("lo").api_base == () and profile.config("lo").params == {"top_p": 0.9}
    same = parse_profile(TWO_LEVELS).with_model("hosted_vllm/other")  # same provider: same server
    assert same.config("lo").api_base == ("http://fallback:1/v1",)
    assert same.config("hi").retries == 1


def test_a_remote_model_override_of_the_embedded_profile_is_retried_and_given_time():
    embedded = load_profile("embedded")
    assert embedded.config("medium").retries == 0  # an in-process model: nothing transient
    remote = embedded.with_model("openai/gpt-4o-mini").config("medium")
    assert remote.retries == 3 and remote.timeout == 120.0 and remote.backoff_initial > 0
    assert remote.max_tokens == embedded.config("medium").max_tokens  # budgets are kept
    back = load_profile("openai").with_model(EMBEDDED_MODEL).config("medium")
    assert back.retries == 0 and back.timeout == 600.0


def test_each_fallback_has_its_own_server_and_key():
    profile = parse_profile("""
levels = ["x"]
[level.x]
model = "hosted_vllm/qwen"
api_base = "http://vllm:8000/v1"
fallbacks = [
  "openai/gpt-4o-mini",
  {model = "hosted_vllm/qwen-small", api_base = ["http://a:1/v1", "http://b:1/v1"], api_key_env = "SMALL_KEY"},
]
""")
    primary, openai, small = profile.config("x").endpoints
    assert primary == Endpoint("hosted_vllm/qwen", "http://vllm:8000/v1")
    assert openai == Endpoint("openai/gpt-4o-mini")  # OpenAI's own address, not the vLLM URL
    assert small.api_base == ("http://a:1/v1", "http://b:1/v1") and small.api_key_env == "SMALL_KEY"
    assert small.label == "hosted_vllm/qwen-small at http://a:1/v1, http://b:1/v1"


def test_the_default_profile_can_be_chosen_by_environment(monkeypatch, tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('levels = ["x"]\n[level.x]\nmodel = "openai/gpt-4o"\n')
    monkeypatch.setenv("LEMONSPEC_PROFILE", str(path))
    assert load_profile().name == "mine"
    monkeypatch.setenv("LEMONSPEC_PROFILE", "openai")
    assert load_profile().name == "openai" and load_profile("embedded").name == "embedded"


@pytest.mark.parametrize("text, message", [
    ("levels = []", "`levels` must list"),
    ('levels = ["a"]', r"no \[level.a\] table"),
    ('levels = ["a"]\ndefault_level = "b"\n[level.a]\nmodel = "m"', "default_level 'b'"),
    ('levels = ["a"]\n[level.a]\nmax_tokens = 3', "needs a `model`"),
    ("levels = [", "profile bad:"),
    ('levels = ["a"]\n[level.a]\nmodel = "m"\nmax_token = 64',
     r"unknown key `max_token` in \[level.a\] \(did you mean `max_tokens`\?\)"),
    ('levels = ["a"]\n[level.a]\nmodel = "m"\ntop_p = 0.9',
     (r"unknown key `top_p` in \[level.a\]; parameters passed to the provider go in a "
     r"\[level.a.params\] table")),
    ('levels = ["a"]\n[defaults]\nretry = 2\n[level.a]\nmodel = "m"',
     r"`retry` in \[defaults\] \(did you mean `retries`\?\)"),
    ('levels = ["a"]\nconcurency = 3\n[level.a]\nmodel = "m"', r"did you mean `concurrency`"),
    ('levels = ["a"]\n[level.a]\nmodel = "m"\nmax_tokens = "many"',
     r"`max_tokens` must be an integer >= 1, not 'many'"),
    ('levels = ["a"]\n[level.a]\nmodel = "m"\nretries = -1', r"`retries` must be an integer >= 0"),
    ('levels = ["a"]\n[level.a]\nmodel = "m"\nfallbacks = [{model = "x", api_bse = "u"}]',
     r"`api_bse` in \[level.a\] fallback 1 \(did you mean `api_base`\?\)"),
    ('levels = ["a"]\n[level.a]\nmodel = "m"\n[level.b]\nmodel = "m"',
     r"\[level.b\] is not in `levels`"),
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
