"""Benchmark: grammar-constrained against unconstrained decoding of team specs, side by side,
by the embedded SmolLM2-135M-Instruct with no training.

Tasks come from all six benchmarks, G samples each (GRPO's group). The modes run on the same
chunk of tasks one after the other, chunk by chunk, so that a busy machine slows them alike:

  constrained   the generation grammar with the task's scope and agent binding (the default)
  unconstrained the same loop without the grammar (the spec is taken from the reply)
  unbound       ablation: the grammar with base roles and levels in scope, no agent binding
  unscoped      ablation: the grammar alone (any role, level or agent name)

Reported per mode: per-token decode time (and its ratio to unconstrained, overall and at equal
batch occupancy), the share of the step time spent on grammar work, and over the samples the
share that parse and the share that pass every check. Targets: time ratio <= 1.05; 100% of
constrained samples parse; >= 95% pass the checks.

Run: python perf/orchestrator_decoding.py [--samples 200] [--group 4] [--json out.json]

Static binding (one grammar per scope), measured on a machine at load ~9-24 with
`--samples 32 --modes constrained,unconstrained,unbound --threads 1`, stopped after 16
samples per mode: constrained 78 ms/token (16/16 parse, 16/16 pass every check),
unconstrained 79, unbound 51 (16/16 parse, 2/16 pass). Per-token time here follows batch
occupancy and sequence length (unconstrained replies run to 1024 tokens) more than grammar
work; the equal-occupancy ratio is printed at the end of a full run.
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import time

import torch

from lemonspec.benchmarks.datasets import NAMES, load
from lemonspec.orchestrator import (
    Scope,
    check_spec,
    decode,
    family_of,
    orchestrator_prompt,
    spec_text,
)
from lemonspec.runtime.embedded import load_embedded_model

MODES = ("constrained", "unconstrained", "unbound", "unscoped")


def tasks(count: int, seed: int) -> list[tuple[str, str]]:
    """(benchmark, task text), taken in turn from each of the six benchmarks."""
    per_benchmark = {n: load(n, limit=math.ceil(count / len(NAMES)), seed=seed) for n in NAMES}
    chosen = [(n, items[i].prompt) for i in range(math.ceil(count / len(NAMES)))
              for n, items in per_benchmark.items() if i < len(items)]
    return chosen[:count]


def scope(mode: str, family: str | None) -> Scope:
    return {"constrained": Scope.for_family(family),
            "unbound": Scope.for_family(family, bind_agents=False),
            "unscoped": Scope(bind_agents=False)}.get(mode, Scope())


class Tally:
    """What one mode produced: samples judged, and its decoding steps timed."""

    def __init__(self, mode: str):
        self.mode = mode
        self.samples = self.parsed = self.passed = self.formatted = self.raw_parsed = 0
        self.tokens, self.seconds, self.constraint_seconds = 0, 0.0, 0.0
        self.by_rows: dict[int, list[float]] = collections.defaultdict(list)  # rows -> step s
        self.codes = collections.Counter()
        self.examples: list[str] = []

    def add(self, decoded, constrained: bool, dump=None) -> None:
        for sample in decoded.samples:
            text = sample.text if constrained else spec_text(sample.text)
            check = check_spec(text)
            if dump:
                dump.write(json.dumps({"mode": self.mode, "text": sample.text, "finish": sample.finish_reason,
                                       "tokens": len(sample.token_ids),
                                       "codes": check.codes}) + "\n")
            self.samples += 1
            self.parsed += check.parses
            self.raw_parsed += check_spec(sample.text).parses
            self.formatted += check.formatted
            self.passed += check.ok
            self.codes.update(d.code for d in check.diagnostics if d.is_error)
            if len(self.examples) < 3:
                self.examples.append(sample.text)
        self.tokens += decoded.new_tokens
        for step in decoded.steps:
            self.seconds += step.seconds
            self.constraint_seconds += step.constraint_seconds
            self.by_rows[step.rows].append(step.seconds)

    def per_token_ms(self) -> float:
        return 1000 * self.seconds / max(1, self.tokens)

    def summary(self) -> dict:
        n = max(1, self.samples)
        return {
            "samples": self.samples, "tokens": self.tokens,
            "per_token_ms": round(self.per_token_ms(), 2),
            "grammar_share_of_step_time": round(
                self.constraint_seconds / max(1e-9, self.seconds), 4),
            "parse": round(self.parsed / n, 4), "parse_raw_reply": round(self.raw_parsed / n, 4),
            "formatted": round(self.formatted / n, 4), "pass_checks": round(self.passed / n, 4),
            "errors": dict(self.codes.most_common(8)),
        }


def matched_ratio(mode: Tally, baseline: Tally) -> float | None:
    """Mean step time ratio at equal batch occupancy, weighted by the mode's steps."""
    pairs = [(len(mode.by_rows[r]), sum(mode.by_rows[r]) / len(mode.by_rows[r])
              / (sum(baseline.by_rows[r]) / len(baseline.by_rows[r])))
             for r in mode.by_rows if baseline.by_rows.get(r)]
    weight = sum(w for w, _ in pairs)
    return sum(w * ratio for w, ratio in pairs) / weight if weight else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=200, help="per mode")
    parser.add_argument("--group", type=int, default=4, help="samples per task (G)")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--top-p", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's)")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--dump", help="write every sample (JSONL) here")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    modes = args.modes.split(",")
    started = time.perf_counter()
    model, tokenizer = load_embedded_model()
    print(f"model loaded in {time.perf_counter() - started:.1f}s; torch threads "
          f"{torch.get_num_threads()}; T={args.temperature} top_p={args.top_p} "
          f"G={args.group} batch={args.batch_size}")
    chosen = tasks(math.ceil(args.samples / args.group), args.seed)
    tallies = {mode: Tally(mode) for mode in modes}
    dump = open(args.dump, "w", encoding="utf-8") if args.dump else None  # noqa: SIM115
    if dump:
        dump.reconfigure(line_buffering=True)
    per_chunk = max(1, args.batch_size // args.group)
    for start in range(0, len(chosen), per_chunk):
        chunk = chosen[start:start + per_chunk]
        prompts = [orchestrator_prompt(task, family=family_of(name)) for name, task in chunk]
        for mode in modes:
            constrained = mode != "unconstrained"
            decoded = decode(model, tokenizer, prompts, num_samples=args.group,
                             temperature=args.temperature, top_p=args.top_p,
                             seed=args.seed + start, batch_size=args.batch_size,
                             constrained=constrained,
                             scope=[scope(mode, family_of(name)) for name, _ in chunk])
            tallies[mode].add(decoded, constrained, dump)
        done = min(len(chosen), start + per_chunk) * args.group
        print(f"[{time.perf_counter() - started:7.0f}s] {done} samples per mode: " + "  ".join(
            f"{m} {t.per_token_ms():.0f}ms/tok parse {t.parsed}/{t.samples} "
            f"ok {t.passed}/{t.samples}" for m, t in tallies.items()), flush=True)
    report(tallies, args)


def report(tallies: dict[str, Tally], args) -> None:
    figures = {mode: tally.summary() for mode, tally in tallies.items()}
    baseline = tallies.get("unconstrained")
    for mode, tally in tallies.items():
        if baseline and mode != "unconstrained":
            figures[mode]["time_ratio_vs_unconstrained"] = round(
                tally.per_token_ms() / baseline.per_token_ms(), 3)
            figures[mode]["time_ratio_at_equal_batch"] = round(matched_ratio(tally, baseline), 3)
    print()
    print(f"{'mode':<14}{'samples':>8}{'ms/token':>10}{'ratio':>8}{'ratio@rows':>11}"
          f"{'grammar%':>9}{'parse':>8}{'fmt':>8}{'checks':>8}")
    for mode, f in figures.items():
        print(f"{mode:<14}{f['samples']:>8}{f['per_token_ms']:>10.1f}"
              f"{f.get('time_ratio_vs_unconstrained', 1.0):>8.3f}"
              f"{f.get('time_ratio_at_equal_batch', 1.0):>11.3f}"
              f"{100 * f['grammar_share_of_step_time']:>8.1f}%"
              f"{100 * f['parse']:>7.1f}%{100 * f['formatted']:>7.1f}%"
              f"{100 * f['pass_checks']:>7.1f}%")
    for mode, f in figures.items():
        if f["errors"]:
            print(f"{mode} errors: {f['errors']}")
    for mode, tally in tallies.items():
        print(f"\n--- a {mode} sample ---\n{tally.examples[0] if tally.examples else ''}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"args": vars(args), "figures": figures}, handle, indent=2)


if __name__ == "__main__":
    main()
