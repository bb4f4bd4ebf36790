"""Does localized counterfactual credit help? Plain GRPO vs GRPO + counterfactual, on the
structure testbed (lemonspec/training/testbed.py, SIMULATED workers), pre-registered in
experiments/README.md.

    python experiments/credit_testbed.py run --budget 120 --seeds 0 1 2 3 4 5 6 7
    python experiments/credit_testbed.py run --arms cf-lam0.25 --budget 120 --seeds 0 1 2 3
    python experiments/credit_testbed.py report --name main

`run` trains each (arm, seed) in sequence in THIS process (the start-up of torch/TRL is paid
once), each to the same budget of worker calls (counterfactual re-runs count; cache hits do
not). A run with `done.json` is skipped, a killed one restarts from its last checkpoint.
Per run, in runs/experiments/credit_testbed/<arm>-seed<s>/: metrics.jsonl (TRL's per-step
log), edits.jsonl (every counterfactual edit: family, Delta, the exact expected Delta the
testbed's hidden model gives, whether its credit held a chosen token), heldout.json (the final
policy's teams on held-out tasks, scored by the testbed's exact expectation, no worker calls).
`report` writes experiments/results/<name>/: summary.md (table, bootstrap 95% CIs of the
ratios to plain GRPO), runs.csv, curves.png (mean with a 95% band over seeds), deltas.png.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import time
from pathlib import Path

from reporting import (
    bootstrap_mean,
    bootstrap_ratio,
    draw_reward_curves,
    first_reaching,
    moving_average,
    read_jsonl,
    training_rows,
)

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "examples" / "training" / "simulator_testbed.toml"
RUNS = ROOT / "runs" / "experiments" / "credit_testbed"
RESULTS = ROOT / "experiments" / "results"
DONE = "done.json"
TARGET = 0.80  # pre-registered (README): training reward, moving average over WINDOW steps
HELD_OUT_TASKS = 9  # 3 per family
HELD_OUT_SAMPLES = 2
EDIT_FAMILIES = ("drop_dependency", "remove_duty", "lower_capacity")
# Extension 2 (README): the warm start, per seed, before GRPO.
WARM_WRONG = 0.25  # P(a field of the optimum is wrong) in the warm start's teams
WARM_PER_TASK = 4  # warm-start teams per training task
WARM_SEED = 0  # one warm start, shared by every run (README, extension 2)
WARM_SFT = {"steps": 150, "learning_rate": 5e-3, "batch_size": 8}

# Each arm is the counterfactual table it sets (and, for the mask ablation, sampling's).
MAIN = {"grpo": {"enabled": False}, "grpo+cf": {"enabled": True},
        "grpo+cf25": {"enabled": True, "edit_fraction": 0.25}}
ABLATIONS = {
    "cf-lam0.25": {"enabled": True, "lam": 0.25},
    "cf-lam4": {"enabled": True, "lam": 4.0},
    "cf-rawdelta": {"enabled": True, "normalize": False},
    "cf-nomask": {"enabled": True},  # + sampling.mask_forced_tokens = false
    "cf-uniform": {"enabled": True, "floor": 1 / 3},  # P(f) = 1/3 for each family
    **{f"cf-only-{f}": {"enabled": True, "families": [f]} for f in EDIT_FAMILIES},
}
ARMS = {**MAIN, **ABLATIONS}


def arm_config(arm: str, seed: int, budget: int, folder: Path, config_path: Path,
               warm: Path | None = None, learning_rate: float | None = None):
    from lemonspec.training.config import load_config

    sampling = {"mask_forced_tokens": False} if arm == "cf-nomask" else {}
    model = {"seed": seed, **({"init_adapter": str(warm)} if warm else {})}
    train = {"seed": seed, "output_dir": str(folder), "max_worker_calls": budget,
             **({"learning_rate": learning_rate} if learning_rate else {})}
    return load_config(config_path).evolve(
        counterfactual=ARMS[arm], model=model, sampling=sampling, train=train)


# ---- the warm start (extension 2) ------------------------------------------------------------

def warm_examples(config, seed: int) -> list:
    """WARM_PER_TASK teams per training task, each the task family's optimum with every
    field wrong with probability WARM_WRONG (testbed.near_optimum), in the generation
    layout; the ones the constrained sampler could not write are an error, not dropped."""
    from lemonspec.grammar.variants import agent_names
    from lemonspec.training.session import workers
    from lemonspec.training.sft import Example, generation_text
    from lemonspec.training.tasks import load_tasks
    from lemonspec.training.testbed import near_optimum

    _, bed = workers(config)
    rng = random.Random(seed)
    examples = []
    for task in load_tasks(config, bed):
        family = bed.task_of(task.input).family
        for _ in range(WARM_PER_TASK):
            team = near_optimum(family, rng, WARM_WRONG)
            names = agent_names(len(team.members))
            agents = [(names[i], m.role, "x" if m.duty else None, m.capacity,
                       [names[u] for u in m.after]) for i, m in enumerate(team.members)]
            text = generation_text(name="lemon"[:config.sampling.max_name_chars], goal=None,
                                   agents=agents, output=names[team.output[0]])
            examples.append(Example(task.prompt, text))
    return examples


def warm_start(seed: int, folder: Path, config_path: Path) -> dict:
    """The warm start: the tiny model initialised from `seed`, fine-tuned (full weights) on
    warm_examples; saved in `folder` for [model] init_adapter. Why not sft.train_sft (TRL's
    SFTTrainer): it computes the 49k-way logits of every prompt position too (~700 prompt
    tokens, 64 completion tokens), which measured 120 s per step of 8 on this loaded machine;
    `fit` asks the model for the completion's logits only (logits_to_keep), as TRL's GRPO
    does. The loss is the same: cross-entropy on the completion tokens."""
    from lemonspec.orchestrator.prompt import chat_prompt
    from lemonspec.training.config import load_config
    from lemonspec.training.models import load_orchestrator
    from lemonspec.training.sft import scope_checker

    if (folder / DONE).exists():
        return json.loads((folder / DONE).read_text())
    folder.mkdir(parents=True, exist_ok=True)
    config = load_config(config_path).evolve(model={"seed": seed})
    started = time.time()
    examples = warm_examples(config, seed)
    model, tokenizer = load_orchestrator(config.model)
    fits = scope_checker(tokenizer, config)
    outside = [e.completion for e in examples if not fits(e.completion)]
    if outside:
        raise ValueError(f"{len(outside)} warm-start teams are outside the sampling scope, "
                         f"e.g.\n{outside[0]}")
    pairs = [(tokenizer.encode(chat_prompt(tokenizer, e.prompt), add_special_tokens=False),
              tokenizer.encode(e.completion, add_special_tokens=False)) for e in examples]
    losses = fit(model, pairs, seed=seed, **WARM_SFT)
    model.save_pretrained(folder)
    done = {"examples": len(examples), "seconds": time.time() - started,
            "first_loss": losses[0], "last_loss": losses[-1], **WARM_SFT}
    (folder / DONE).write_text(json.dumps(done, indent=1))
    return done


def fit(model, pairs, *, steps: int, learning_rate: float, batch_size: int,
        seed: int) -> list[float]:
    """AdamW on the mean token cross-entropy of the completions, `batch_size` (prompt,
    completion) pairs a step drawn without replacement (reshuffled each epoch)."""
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    rng = random.Random(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)
    model.train()
    order: list[int] = []
    losses = []
    for _ in range(steps):
        if len(order) < batch_size:
            order += rng.sample(range(len(pairs)), len(pairs))
        batch, order = order[:batch_size], order[batch_size:]
        optimizer.zero_grad()
        total = 0.0
        for index in batch:
            prompt, completion = pairs[index]
            ids = torch.tensor([prompt + completion])
            logits = model(ids, logits_to_keep=len(completion) + 1).logits[0, :-1]
            loss = torch.nn.functional.cross_entropy(logits, torch.tensor(completion))
            (loss / len(batch)).backward()
            total += loss.item() / len(batch)
        optimizer.step()
        losses.append(total)
    model.eval()
    return losses


# ---- one run --------------------------------------------------------------------------------

def train_one(arm: str, seed: int, budget: int, folder: Path, config_path: Path,
              warm: Path | None = None, learning_rate: float | None = None) -> str:
    from lemonspec.training.session import build, latest_checkpoint

    if (folder / DONE).exists():
        return f"{folder.name}: done already"
    folder.mkdir(parents=True, exist_ok=True)
    config = arm_config(arm, seed, budget, folder, config_path, warm, learning_rate)
    checkpoint = latest_checkpoint(str(folder))
    step = int(checkpoint.rsplit("-", 1)[1]) if checkpoint else 0
    started = time.time()
    session = build(config, resume_step=step)
    testbed = on_testbed(config)
    if testbed:  # the exact expected Delta needs the testbed's hidden model
        EditLog(session, folder / "edits.jsonl", resumed_at=step).attach()
    (folder / "lemon_config.json").write_text(json.dumps(config.to_dict(), indent=1))
    start = warm / f"heldout-seed{seed}.json" if warm and testbed else None
    if start and not start.exists():  # the warm start itself, as the runs' held-out sees it
        start.write_text(json.dumps(held_out(session, seed), indent=1))
    session.trainer.train(resume_from_checkpoint=checkpoint)
    held = held_out(session, seed) if testbed else evaluated(folder)
    (folder / "heldout.json").write_text(json.dumps(held, indent=1))
    done = {"steps": session.trainer.state.global_step, "seconds": time.time() - started,
            **session.rollout.stats.state_dict()}
    (folder / DONE).write_text(json.dumps(done, indent=1))
    return f"{folder.name}: {done['steps']} steps, {done['seconds']:.0f} s"


class EditLog:
    """Records every counterfactual edit of every step with what the hidden model says about
    it: the exact expected Delta (testbed.expected of the original and edited teams)."""

    def __init__(self, session, path: Path, resumed_at: int):
        self.session, self.path, self.resumed_at = session, path, resumed_at
        if resumed_at == 0 and path.exists():
            path.unlink()

    def attach(self) -> None:
        rollout = self.session.rollout
        original = rollout.evaluate

        def evaluate(tasks, samples, keys, **options):  # options: e.g. share (rollout.py)
            outcomes = original(tasks, samples, keys, **options)
            self.record(tasks, samples, outcomes)
            return outcomes
        rollout.evaluate = evaluate  # an instance attribute: LemonRollout.__call__ finds it

    def record(self, tasks, samples, outcomes) -> None:
        from lemonspec.compiler.driver import check_text, lower
        from lemonspec.compiler.edits import legal_edits
        from lemonspec.training.alignment import token_mask
        from lemonspec.training.testbed import expected, team_of

        bed, reward = self.session.simulator, self.session.config.reward
        levels, default = bed.profile.levels, bed.profile.default_level
        step = self.session.trainer.state.global_step
        rows = []
        for task, sample, outcome in zip(tasks, samples, outcomes):
            if outcome.edit is None:
                continue
            family = bed.task_of(task.input).family
            checked = check_text(sample.text, levels=levels, default_level=default)
            edit = next(e for e in legal_edits(sample.text, outcome.edit.family, levels=levels,
                                               module=checked.module)
                        if e.detail == outcome.edit.detail)
            before = expected(team_of(lower(checked)), family)
            after = expected(team_of(lower(check_text(edit.text, levels=levels,
                                                      default_level=default))), family)
            inside = token_mask(*outcome.edit.span, sample.token_offsets)
            chosen = sum(1 for i, c in zip(inside, sample.chosen or ()) if i and c)
            rows.append({"step": step, "task_family": family.name,
                         "family": outcome.edit.family, "detail": outcome.edit.detail,
                         "delta": outcome.edit.delta,
                         "exact_delta": before.reward(reward) - after.reward(reward),
                         "exact_success_delta": before.success - after.success,
                         "credited_tokens": sum(inside), "chosen_tokens": chosen})
        with self.path.open("a") as handle:
            for row in rows:
                handle.write(json.dumps(row) + "\n")


def on_testbed(config) -> bool:
    return config.workers.profile == "simulator" and config.simulator.kind == "testbed"


def evaluated(folder: Path) -> dict:
    """Off the testbed (real workers, a benchmark): the held-out figures are the run's last
    orchestrated evaluation ([eval] in the config, training/evaluation.py), read from its
    metrics.jsonl in the same keys as held_out's."""
    rows = [r for r in read_jsonl(folder / "metrics.jsonl") if "eval/accuracy" in r]
    if not rows:
        raise ValueError(f"{folder}: no eval/* row in metrics.jsonl; a config off the testbed "
                         "needs an [eval] table (see experiments/gpu/)")
    last = rows[-1]
    return {"reward": last["eval/reward"], "success": last["eval/accuracy"],
            "tokens": last["eval/tokens_per_query/workers"],
            "agents": last.get("eval/agents", 0.0), "valid": last["eval/valid"],
            "by_family": {}}


def held_out(session, seed: int) -> dict:
    """The final policy on held-out tasks: HELD_OUT_SAMPLES teams per task at the training
    temperature, each scored by the testbed's exact expectation (no worker calls)."""
    from lemonspec.compiler.driver import check_text, lower
    from lemonspec.orchestrator.prompt import orchestrator_prompt
    from lemonspec.training.testbed import expected, team_of

    bed, config, rollout = session.simulator, session.config, session.rollout
    families = sorted({t.family.name for t in bed.held_out})
    tasks = [t for name in families
             for t in [t for t in bed.held_out if t.family.name == name][:HELD_OUT_TASKS
                                                                          // len(families)]]
    prompts = [orchestrator_prompt(t.text, family=config.data.family or "math")
               for t in tasks for _ in range(HELD_OUT_SAMPLES)]
    model = session.trainer.accelerator.unwrap_model(session.trainer.model)
    samples = rollout.sample(model, prompts, seed=10_000 + seed)
    rows = []
    for prompt_index, sample in enumerate(samples):
        task = tasks[prompt_index // HELD_OUT_SAMPLES]
        checked = check_text(sample.text, levels=bed.profile.levels,
                             default_level=bed.profile.default_level)
        if not checked.ok:
            rows.append({"family": task.family.name, "valid": False,
                         "reward": config.reward.invalid_penalty, "success": 0.0,
                         "tokens": 0.0, "agents": 0})
            continue
        e = expected(team_of(lower(checked)), task.family)
        rows.append({"family": task.family.name, "valid": True, "reward": e.reward(config.reward),
                     "success": e.success, "tokens": e.tokens, "agents": e.agents,
                     "edges": e.edges})
    mean = lambda key, rs=rows: sum(r[key] for r in rs) / len(rs)
    return {"reward": mean("reward"), "success": mean("success"), "tokens": mean("tokens"),
            "agents": mean("agents"), "valid": mean("valid"),
            "by_family": {f: {k: mean(k, [r for r in rows if r["family"] == f])
                              for k in ("reward", "success", "tokens", "agents")}
                          for f in families}}


# ---- the report -----------------------------------------------------------------------------

def load_runs(runs: Path) -> dict:
    out = {}
    for folder in sorted(p for p in runs.iterdir() if (p / DONE).exists()):
        arm, seed = folder.name.rsplit("-seed", 1)
        out[(arm, int(seed))] = {"rows": training_rows(folder),
                                 "edits": read_jsonl(folder / "edits.jsonl"),
                                 "held": json.loads((folder / "heldout.json").read_text()),
                                 "done": json.loads((folder / DONE).read_text())}
    return out


def summarize(run: dict, target: float) -> dict:
    rows = run["rows"]
    smooth = moving_average([r["reward"] for r in rows])
    hit = first_reaching(smooth, target)
    total_calls = rows[-1]["workers/total_calls"] if rows else 0
    last = rows[-max(1, len(rows) // 5):]
    return {
        "steps": len(rows), "seconds": run["done"]["seconds"],
        "worker_calls": total_calls,
        "reached": hit is not None,
        # not reached: censored at the run's length (a lower bound)
        "steps_to_target": (rows[hit]["step"] if hit is not None else len(rows) + 1),
        "calls_to_target": (rows[hit]["workers/total_calls"] if hit is not None
                            else total_calls + 1),
        "train_reward_last20pct": sum(r["reward"] for r in last) / len(last),
        "heldout_reward": run["held"]["reward"], "heldout_success": run["held"]["success"],
        "heldout_tokens": run["held"]["tokens"], "heldout_agents": run["held"]["agents"],
    }


METRICS = [("heldout_reward", "held-out reward", ".3f"),
           ("heldout_success", "held-out accuracy", ".3f"),
           ("heldout_tokens", "held-out tokens/query", ".0f"),
           ("heldout_agents", "held-out agents", ".2f"),
           ("steps_to_target", "steps to target*", ".1f"),
           ("calls_to_target", "worker calls to target*", ".0f"),
           ("train_reward_last20pct", "training reward (last 20% of steps)", ".3f"),
           ("steps", "steps in budget", ".1f"),
           ("seconds", "seconds per run", ".0f")]


def committed_summaries(path: Path, arms: list[str]) -> dict:
    """Per-run summaries of `arms` from a committed runs.csv (an earlier report's), for runs
    whose folders are gone: the tables and ratios use them; curves and edits cannot."""
    out = {}
    with path.open() as handle:
        for row in csv.DictReader(handle):
            if row["arm"] in arms:
                out[(row["arm"], int(row["seed"]))] = {
                    k: (v == "True" if k == "reached" else int(v) if k == "steps" else float(v))
                    for k, v in row.items() if k not in ("arm", "seed")}
    return out


def report(runs_dir: Path, name: str, target: float, baseline: Path | None = None) -> None:
    runs = load_runs(runs_dir)
    out = RESULTS / name
    out.mkdir(parents=True, exist_ok=True)
    summaries = {key: summarize(run, target) for key, run in runs.items()}
    if baseline:  # plain GRPO as committed, when its runs are not in runs_dir
        summaries = {**committed_summaries(baseline, ["grpo"]), **summaries}
    arms = [a for a in ARMS if any(k[0] == a for k in summaries)]
    by_arm = {a: [s for (arm, _), s in sorted(summaries.items()) if arm == a] for a in arms}
    lines = [f"# Results: {name}", "",
             (f"Runs: {', '.join(f'{a} x{len(v)}' for a, v in by_arm.items())}. Budget: "
             f"{max(s['worker_calls'] for s in summaries.values())} worker calls at most per run "
             "(a run stops at the first step that reaches its budget)."), "",
             "## Per arm (mean over seeds, bootstrap 95% CI)", "",
             "| metric | " + " | ".join(arms) + " |", "|---|" + "---|" * len(arms)]
    for key, label, spec in METRICS:
        cells = []
        for a in arms:
            m, lo, hi = bootstrap_mean([s[key] for s in by_arm[a]])
            cells.append(f"{m:{spec}} [{lo:{spec}}, {hi:{spec}}]")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append(f"| runs reaching the target ({target}) | " + " | ".join(
        f"{sum(s['reached'] for s in by_arm[a])}/{len(by_arm[a])}" for a in arms) + " |")
    lines += ["", "\\* not reached: counted at the run's length + 1 (a lower bound).", "",
              "## Ratios to plain GRPO (arm / grpo; bootstrap 95% CI, seeds resampled)", "",
              "| arm | " + " | ".join(label for _, label, _ in METRICS[:6]) + " |",
              "|---|" + "---|" * 6]
    for a in arms:
        if a == "grpo" or "grpo" not in by_arm:
            continue
        cells = []
        for key, _, _ in METRICS[:6]:
            r, lo, hi = bootstrap_ratio([s[key] for s in by_arm[a]],
                                        [s[key] for s in by_arm["grpo"]])
            cells.append(f"{r:.2f} [{lo:.2f}, {hi:.2f}]")
        lines.append(f"| {a} | " + " | ".join(cells) + " |")
    lines += edit_tables(runs, arms)
    lines += ["", "## Per run", "", ("| arm | seed | steps | calls | held-out reward | "
              "held-out accuracy | held-out tokens | agents | reached |"), "|---|" + "---|" * 8]
    for (a, seed), s in sorted(summaries.items()):
        lines.append(f"| {a} | {seed} | {s['steps']} | {s['worker_calls']} | "
                     f"{s['heldout_reward']:.3f} | {s['heldout_success']:.3f} | "
                     f"{s['heldout_tokens']:.0f} | {s['heldout_agents']:.2f} | "
                     f"{'yes' if s['reached'] else 'no'} |")
    (out / "summary.md").write_text("\n".join(lines) + "\n")
    with (out / "runs.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        fields = list(next(iter(summaries.values())))
        writer.writerow(["arm", "seed", *fields])
        for (a, seed), s in sorted(summaries.items()):
            writer.writerow([a, seed, *(s[f] for f in fields)])
    plot_curves(out / "curves.png", runs, arms, target)
    plot_deltas(out / "deltas.png", runs, arms)
    print((out / "summary.md").read_text())


def edit_tables(runs: dict, arms: list[str]) -> list[str]:
    lines = ["", "## The counterfactual edits (all seeds pooled)", "",
             ("Delta = R(original) - R(edited) as the run measured it (noisy: one draw); exact = "
             "the same difference under the testbed's exact expectation. A *real decision*: "
             "the edited field changes the exact expected reward (tokens count, so almost every "
             "edit does); *changes expected success*: it changes the exact success probability. "
             "*Success flipped on the draw*: the edited team's success (0/1) differed from the "
             "original's on the same draw, the only way Delta says more than a token count. "
             "*Sign right*: Delta has the "
             "sign of the exact difference (among real decisions with Delta != 0)."), "",
             ("| arm | edit family | edits | mean abs Delta | share Delta = 0 | "
             "real decisions | changes expected success | success flipped on the draw | "
             "sign right | mean abs exact | credit holds a chosen token |"), "|---|" + "---|" * 10]
    for a in arms:
        edits = [e for (arm, _), run in runs.items() if arm == a for e in run["edits"]]
        for family in EDIT_FAMILIES:
            es = [e for e in edits if e["family"] == family]
            if not es:
                continue
            real = [e for e in es if abs(e["exact_delta"]) > 1e-9]
            success = [e for e in es if abs(e.get("exact_success_delta", 0.0)) > 1e-6]
            # the draw's success changed: Delta minus its (nearly deterministic) cost part
            flipped = [e for e in es if abs(e["delta"] - (e["exact_delta"] - e.get(
                "exact_success_delta", 0.0))) > 0.5]
            signed = [e for e in real if e["delta"] != 0]
            right = [e for e in signed if (e["delta"] > 0) == (e["exact_delta"] > 0)]
            lines.append(
                f"| {a} | {family} | {len(es)} | "
                f"{sum(abs(e['delta']) for e in es) / len(es):.3f} | "
                f"{sum(e['delta'] == 0 for e in es) / len(es):.0%} | "
                f"{len(real) / len(es):.0%} | {len(success) / len(es):.0%} | "
                f"{len(flipped) / len(es):.0%} | "
                f"{(len(right) / len(signed)) if signed else float('nan'):.0%} | "
                f"{sum(abs(e['exact_delta']) for e in es) / len(es):.3f} | "
                f"{sum(e['chosen_tokens'] > 0 for e in es) / len(es):.0%} |")
    return lines


def plot_curves(path: Path, runs: dict, arms: list[str], target: float) -> None:
    draw_reward_curves(path, {key: run["rows"] for key, run in runs.items()}, arms, target,
                       title="Structure testbed (simulated workers): mean over seeds, 95% band")


def plot_deltas(path: Path, runs: dict, arms: list[str]) -> None:
    """Per edit family: mean |Delta| per step (pooled over seeds) of the arms with edits."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with_edits = [a for a in arms if any(run["edits"] for (arm, _), run in runs.items()
                                         if arm == a)]
    if not with_edits:
        return
    figure, axes = plt.subplots(1, len(with_edits), figsize=(6 * len(with_edits), 4),
                                squeeze=False)
    for axis, a in zip(axes[0], with_edits):
        edits = [e for (arm, _), run in runs.items() if arm == a for e in run["edits"]]
        for family in EDIT_FAMILIES:
            by_step: dict[int, list[float]] = {}
            for e in edits:
                if e["family"] == family:
                    by_step.setdefault(e["step"], []).append(abs(e["delta"]))
            if by_step:
                steps = sorted(by_step)
                axis.plot(steps, [sum(by_step[s]) / len(by_step[s]) for s in steps],
                          marker=".", label=family)
        axis.set_title(f"{a}: mean |Delta| per step")
        axis.set_xlabel("optimizer step")
        axis.legend()
        axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="train arms x seeds in sequence, resumable")
    run.add_argument("--arms", nargs="+", choices=list(ARMS), default=list(MAIN))
    run.add_argument("--seeds", type=int, nargs="+", default=list(range(8)))
    run.add_argument("--budget", type=int, default=120, help="worker calls per run")
    run.add_argument("--config", type=Path, default=CONFIG)
    run.add_argument("--warm", action="store_true",
                     help="extension 2: start every run from the near-optimum warm start")
    run.add_argument("--warm-start", type=Path,
                     help="the warm start's folder (default: <runs>-warm-start beside --runs)")
    run.add_argument("--learning-rate", type=float,
                     help="override [train] learning_rate (extension 2b)")
    rep = commands.add_parser("report")
    rep.add_argument("--name", default="main", help="experiments/results/<name>/")
    rep.add_argument("--target", type=float, default=TARGET)
    rep.add_argument("--baseline", type=Path,
                     help="a committed runs.csv whose grpo rows are the baseline (same target)")
    for sub in (run, rep):
        sub.add_argument("--runs", type=Path, default=RUNS)
    args = parser.parse_args()
    if args.command == "run":
        args.runs.mkdir(parents=True, exist_ok=True)
        warm = (args.warm_start or args.runs.parent / f"{args.runs.name}-warm-start"
                if args.warm else None)
        if warm:
            print(f"warm start: {warm_start(WARM_SEED, warm, args.config)}", flush=True)
        for seed in args.seeds:  # seed-major: every arm of a seed before the next seed
            for arm in args.arms:
                folder = args.runs / f"{arm}-seed{seed}"
                print(train_one(arm, seed, args.budget, folder, args.config, warm,
                                args.learning_rate), flush=True)
    else:
        report(args.runs, args.name, args.target, args.baseline)


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
