"""Serving engines side by side, interleaved chunk by chunk in one run:

1. orchestrator sampling throughput (teams/min, share of teams that pass every check):
   the in-process sampler (transformers + llguidance masks) vs a vLLM server decoding under
   the same static grammar, at the same G and the same batch (one prompt's G samples at once);
2. bench items/min for the same team (examples/gsm8k.lemon, three agents) on the same
   questions: the embedded in-process provider vs a vLLM server vs a llama.cpp server.

Servers are given by URL (start them first: `lemonc serve --port 8011` for vLLM,
`python -m llama_cpp.server --model GGUF --model_alias smollm2 --port 8012` for llama.cpp);
an engine without a URL is left out.

    python perf/serving.py --vllm http://127.0.0.1:8011 --vllm-model smollm2-135m \
        --llama http://127.0.0.1:8012 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

QUESTIONS = [
    ('Natalia sold clips to 48 of her friends in April, and then she sold half as many clips'
     ' in May. How many clips did Natalia sell altogether in April and May?'),
    ('Weng earns $12 an hour for babysitting. Yesterday, she just did 50 minutes of '
     'babysitting. How much did she earn?'),
    ('Betty is saving money for a new wallet which costs $100. Betty has only half of the '
     'money she needs. Her parents decided to give her $15 for that purpose, and her '
     'grandparents twice as much as her parents. How much more money does Betty need to buy '
     'the wallet?'),
    ('James writes a 3-page letter to 2 different friends twice a week. How many pages does '
     'he write a year?'),
]
TEAM = Path(__file__).resolve().parents[1] / "examples" / "gsm8k.lemon"


def orchestrator_round(engines: dict, tokenizer, model, scope, g: int, seed: int) -> dict:
    from lemonspec.orchestrator.decoding import sample_specs
    from lemonspec.orchestrator.prompt import orchestrator_prompt
    from lemonspec.orchestrator.served import sample_served
    from lemonspec.orchestrator.validity import check_spec

    prompt = [orchestrator_prompt(QUESTIONS[seed % len(QUESTIONS)], family="math")]
    out = {}
    for name, engine in engines.items():
        start = time.perf_counter()
        if engine is None:
            samples = sample_specs(model, tokenizer, prompt, num_samples=g, scope=scope,
                                   seed=seed, batch_size=g)
        else:
            samples = sample_served(engine, tokenizer, prompt, num_samples=g, scope=scope,
                                    seed=seed)
        seconds = time.perf_counter() - start
        valid = sum(check_spec(s.text).ok for s in samples)
        out[name] = (len(samples), valid, seconds, sum(len(s.token_ids) for s in samples))
    return out


def bench_round(profiles: dict, ir, question: str) -> dict:
    from lemonspec.runtime.executor import run_team_sync

    out = {}
    for name, profile in profiles.items():
        start = time.perf_counter()
        result = run_team_sync(ir, question, profile=profile)
        seconds = time.perf_counter() - start
        out[name] = (seconds, (result.completion_tokens or 0), result.ok)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vllm", help="vLLM base URL (no /v1)")
    parser.add_argument("--vllm-model", default="smollm2-135m")
    parser.add_argument("--llama", help="llama.cpp server base URL (no /v1)")
    parser.add_argument("--llama-model", default="smollm2")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("-g", type=int, default=4, help="samples per prompt (G) = batch")
    parser.add_argument("--skip", choices=["orchestrator", "bench"], action="append", default=[])
    args = parser.parse_args()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

    import torch

    from lemonspec.compiler.driver import compile_file
    from lemonspec.orchestrator.scope import Scope
    from lemonspec.orchestrator.served import ServedEngine
    from lemonspec.runtime.embedded import load_embedded_model
    from lemonspec.runtime.profiles import parse_profile

    torch.set_num_threads(1)  # a vLLM CPU server decodes on one core here: like with like
    model, tokenizer = load_embedded_model()
    print(f"load average at start: {os.getloadavg()[0]:.1f}")

    if "orchestrator" not in args.skip:
        engines = {"in-process": None}
        if args.vllm:
            engines["vllm"] = ServedEngine(args.vllm, args.vllm_model)
        scope = Scope.for_family("math")
        totals = {name: [0, 0, 0.0, 0] for name in engines}
        for r in range(args.rounds):
            for name, (n, valid, seconds, tokens) in orchestrator_round(
                    engines, tokenizer, model, scope, args.g, seed=r).items():
                total = totals[name]
                total[0] += n
                total[1] += valid
                total[2] += seconds
                total[3] += tokens
                print(f"  round {r} {name}: {n} teams, {valid} valid, {seconds:.1f} s")
        print(f"orchestrator sampling, G = batch = {args.g}, {args.rounds} rounds interleaved:")
        for name, (n, valid, seconds, tokens) in totals.items():
            print(f"  {name:11s} {60 * n / seconds:6.2f} teams/min  {tokens / seconds:6.1f} tok/s"
                  f"  valid {valid}/{n}")
        if "vllm" in totals:
            ratio = (totals["vllm"][0] / totals["vllm"][2]) / (
                totals["in-process"][0] / totals["in-process"][2])
            print(f"  vllm / in-process teams/min: {ratio:.2f}x")

    if "bench" not in args.skip:
        profiles = {"embedded": parse_profile(_profile("embedded/smollm2-135m", None))}
        if args.vllm:
            profiles["vllm"] = parse_profile(
                _profile(f"hosted_vllm/{args.vllm_model}", args.vllm + "/v1"))
        if args.llama:
            profiles["llama.cpp"] = parse_profile(
                _profile(f"openai/{args.llama_model}", args.llama + "/v1"))
        ir = compile_file(str(TEAM))
        totals = {name: [0, 0.0, 0] for name in profiles}
        for r in range(args.rounds):
            question = QUESTIONS[r % len(QUESTIONS)]
            for name, (seconds, tokens, ok) in bench_round(profiles, ir, question).items():
                totals[name][0] += 1
                totals[name][1] += seconds
                totals[name][2] += tokens
                print(f"  item {r} {name}: {seconds:.1f} s, {tokens} completion tokens, ok={ok}")
        print(f"bench items/min, {TEAM.name} (3 agents), {args.rounds} items interleaved:")
        base = totals["embedded"][0] / totals["embedded"][1]
        for name, (n, seconds, tokens) in totals.items():
            rate = n / seconds
            print(f"  {name:9s} {60 * rate:6.2f} items/min  {tokens / seconds:6.1f} tok/s  "
                  f"{rate / base:.2f}x embedded")


def _profile(model: str, api_base: str | None) -> str:
    server = f'api_base = "{api_base}"\n' if api_base else ""
    os.environ.setdefault("OPENAI_API_KEY", "not-needed-for-a-local-server")
    return (f'name = "serving-bench"\nlevels = ["small", "medium", "large"]\n'
            f'default_level = "medium"\nconcurrency = 8\n'
            f'[defaults]\nmodel = "{model}"\n{server}temperature = 0.0\nmax_tokens = 128\n'
            f'timeout = 600\nretries = 1\n'
            '[level.small]\n[level.medium]\n[level.large]\n')


if __name__ == "__main__":
    main()
