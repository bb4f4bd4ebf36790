"""Save the orchestrator as training starts, untrained, so `lemonc bench --orchestrator`
can evaluate it like the trained ones (experiments/loop/run.sh).

    python experiments/loop/untrained.py experiments/loop/sft.toml runs/loop/untrained

The model is the one `lemonc train sft` starts from with this configuration ([model]: the
tiny randomly initialised Llama, seeded), saved with the scope it would be trained in.
"""

from __future__ import annotations

import sys


def main(config_path: str, folder: str) -> None:
    from lemonspec.orchestrator.scope import save_scope
    from lemonspec.training.config import load_config
    from lemonspec.training.models import load_orchestrator
    from lemonspec.training.rollout import make_scope
    from lemonspec.training.sft import warm_start_model

    config = load_config(config_path)
    model, tokenizer = load_orchestrator(warm_start_model(config))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    save_scope(make_scope(config), folder)
    print(f"saved the untrained orchestrator of {config_path} in {folder}")


if __name__ == "__main__":
    main(*sys.argv[1:])
