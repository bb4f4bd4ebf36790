"""The process-wide settings lemonspec wants, applied only when an entry point asks.

Importing any lemonspec module changes nothing in the process (no environment variables,
warning filters or patches). `configure()` is called by the entry points: `lemonc`'s main,
the first LiteLLM call (`runtime/llm.py`), the embedded model's loader and the GRPO trainer.
A library user who calls lemonspec's functions gets it from those, and may call it first
(before importing torch) to have it all in effect from the start. A user's own environment
values always win (`setdefault`). The proof: tests/test_packaging.py.
"""

from __future__ import annotations

import os
import warnings

_DEFAULTS = {
    # Busy-waiting OpenMP threads collapse torch on shared CPU cores (SmolLM2 fell from ~17 to
    # ~2 tok/s on two shared cores; passive waiting keeps ~15). Read when torch is imported.
    "OMP_WAIT_POLICY": "PASSIVE",
    # Offline, LiteLLM would try (and retry, noisily) to fetch its price map when imported.
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    # The GRPO trainer's rollout_func is marked experimental by TRL, which says so each run.
    "TRL_EXPERIMENTAL_SILENCE": "1",
}
_QUIET = (
    # pydantic warns once, on LiteLLM's first call, about a LiteLLM type: not ours to fix.
    (".*ReadOnly.* qualifier", UserWarning),
    # TRL's configs still take `gradient_checkpointing`, which transformers 5 calls deprecated.
    (".*gradient_checkpointing.* is deprecated", FutureWarning),
)


def configure() -> None:
    """Apply the settings above; safe to call any number of times."""
    for name, value in _DEFAULTS.items():
        os.environ.setdefault(name, value)
    for message, category in _QUIET:
        warnings.filterwarnings("ignore", message=message, category=category)
