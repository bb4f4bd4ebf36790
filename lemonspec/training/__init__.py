"""The trainer: orchestration-level GRPO on TRL with the localized counterfactual signal.

    lemonc train --config examples/training/simulator.toml [--resume]
    lemonc train sft --config examples/training/sft_smoke.toml

Modules, one concern each: config (TOML -> frozen sections), rewards, alignment (AST span ->
token mask), counterfactual (family sampler, edit choice, per-token credit), simulator (a
documented simulated worker environment), tasks, models, rollout (TRL's rollout_func),
grpo (the GRPOTrainer subclass), callbacks, session (assembly), sft (warm start), cli.
"""
