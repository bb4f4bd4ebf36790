"""Helpers for the trainer tests: a tiny configuration (a randomly initialised Llama with
the SmolLM2 tokenizer as orchestrator, the simulator as workers) that trains in seconds."""

from __future__ import annotations

import pytest
import torch

from lemonspec.training.config import Config, parse_config

torch.set_num_threads(1)  # small models on a shared CPU: one thread is much faster


def tiny_config(output_dir, **sections) -> Config:
    """A two-task-per-step simulator run on a tiny model; `sections` override tables."""
    base = {
        "model": {"name": "tiny-random", "lora": False, "tiny_hidden_size": 32,
                  "tiny_layers": 1, "tiny_heads": 2, "seed": 0},
        "data": {"dataset": "simulator"},
        "simulator": {"seed": 0, "tasks": 8},
        "sampling": {"num_generations": 4, "max_agents": 3, "max_name_chars": 1,
                     "max_string_chars": 1},
        "workers": {"profile": "simulator"},
        "reward": {"alpha": 0.3, "beta": 0.03, "token_budget": 2000},
        "counterfactual": {"enabled": True, "lam": 1.0},
        "train": {"output_dir": str(output_dir), "max_steps": 2, "tasks_per_step": 2,
                  "learning_rate": 5e-3, "save_steps": 1, "seed": 0},
        "trl": {"beta": 0.0},
    }
    for name, table in sections.items():
        base[name] = {**base.get(name, {}), **table}
    return parse_config(base)


@pytest.fixture(scope="session")
def tokenizer():
    from lemonspec.training.models import embedded_tokenizer

    return embedded_tokenizer()
