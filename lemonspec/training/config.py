"""The trainer's configuration: frozen attrs sections read from one TOML file.

    [model]           the orchestrator: "embedded" (SmolLM2-135M), "tiny-random", or a HF id
    [data]            the training tasks: a benchmark (gsm8k, ...) or "simulator"
    [sampling]        G constrained samples per task and the decision space they may use
    [workers]         the runtime profile that executes the teams ("simulator" or a profile)
    [reward]          R = success + alpha * efficiency - beta * structure, penalty if invalid
    [counterfactual]  the localized signal: lambda, the family floor, the families
    [simulator]       the simulated environment (only with workers.profile = "simulator")
    [train]           steps, learning rate, checkpoints, the worker-call budget
    [sft]             the optional warm start (lemonc train sft)
    [trl]             passed verbatim to trl.GRPOConfig (vLLM, DeepSpeed, KL beta, ...)

Every key is checked: an unknown key is an error naming the section, not a silent default.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

FAMILIES = ("drop_dependency", "remove_duty", "lower_capacity")


class ConfigError(ValueError):
    """A configuration that cannot be read or does not make sense."""


def _tuple(value):
    return tuple(value) if value is not None else None


@attrs.frozen
class ModelConfig:
    name: str = "embedded"  # "embedded", "tiny-random", or a Hugging Face id or path
    lora: bool = True  # False: full fine-tuning
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.0
    lora_target_modules: tuple[str, ...] = attrs.field(
        default=("q_proj", "k_proj", "v_proj", "o_proj"), converter=tuple)
    init_adapter: str | None = None  # a warm-start (lemonc train sft) output to start from
    # The shape of the "tiny-random" model (a Llama with the SmolLM2 tokenizer).
    tiny_hidden_size: int = 64
    tiny_layers: int = 2
    tiny_heads: int = 4
    seed: int = 0  # initialisation of the tiny model


@attrs.frozen
class DataConfig:
    dataset: str = "gsm8k"  # a benchmark name, or "simulator"
    split: str = "train"
    limit: int | None = 64
    seed: int = 0
    family: str | None = None  # role pool for the prompt; None: the benchmark's own


@attrs.frozen
class SamplingConfig:
    num_generations: int = 4  # G
    temperature: float = 1.0
    top_p: float = 1.0
    max_new_tokens: int | None = None  # None: enough for any team in scope
    constrained: bool = True
    # The decision space: a role pool (math, mmlu, code) or explicit roles; the levels.
    role_pool: str | None = "math"
    roles: tuple[str, ...] | None = attrs.field(default=None, converter=_tuple)
    levels: tuple[str, ...] = attrs.field(default=("small", "medium", "large"),
                                          converter=tuple)
    max_agents: int = 4
    max_name_chars: int = 16
    max_string_chars: int = 120
    # Leave tokens the grammar forced (one allowed token) out of the loss: they are not
    # decisions, and the raw-logit gradient on them is noise (see rollout.decision_masks).
    mask_forced_tokens: bool = True


@attrs.frozen
class WorkersConfig:
    profile: str = "embedded"  # a runtime profile name or TOML path, or "simulator"
    concurrency: int = 8  # model calls in flight across one step's teams


@attrs.frozen
class RewardConfig:
    alpha: float = 0.2  # weight of token efficiency
    beta: float = 0.02  # weight of graph-structure cost
    invalid_penalty: float = -1.0  # the whole reward of a spec the checker rejects
    token_budget: int = 4000  # worker tokens at which efficiency reaches 0
    agent_weight: float = 1.0  # structure cost = agent_weight * agents + edge_weight * edges
    edge_weight: float = 0.5


@attrs.frozen
class CounterfactualConfig:
    enabled: bool = True
    lam: float = 1.0  # lambda: weight of Delta in the edited span's advantage
    floor: float = 0.1  # each available family is chosen with at least this probability
    families: tuple[str, ...] = attrs.field(default=FAMILIES, converter=tuple)
    mean_decay: float = 0.9  # forgetting of the running mean |Delta| (0: last value only)
    # Divide Delta by the std of the step's rewards (at least min_scale), as GRPO divides
    # reward differences by a std; false: lambda * Delta in raw reward units.
    normalize: bool = True
    min_scale: float = 0.1
    # The share of valid samples that get a counterfactual (each independently, seeded):
    # the knob on its worker cost. 1.0: every valid sample, as the paper describes.
    edit_fraction: float = 1.0

    def __attrs_post_init__(self):
        unknown = set(self.families) - set(FAMILIES)
        if unknown:
            raise ConfigError(f"[counterfactual] unknown families {sorted(unknown)}; "
                              f"the families are {', '.join(FAMILIES)}")
        if self.families and not 0 <= self.floor * len(self.families) <= 1:
            raise ConfigError("[counterfactual] floor * number of families must be in [0, 1]")
        if not 0 <= self.mean_decay < 1:
            raise ConfigError("[counterfactual] mean_decay must be in [0, 1)")


@attrs.frozen
class SimulatorConfig:
    seed: int = 0  # the hidden draws (common random numbers) and the task set
    tasks: int = 64
    task_types: tuple[str, ...] | None = attrs.field(default=None, converter=_tuple)
    # "simple" (simulator.py) or "testbed" (testbed.py: families whose best teams have 3-5
    # agents; task_types then names testbed families)
    kind: str = attrs.field(default="simple", validator=attrs.validators.in_(("simple",
                                                                              "testbed")))


@attrs.frozen
class TrainConfig:
    output_dir: str = "runs/train"
    max_steps: int = 100
    tasks_per_step: int = 1  # distinct tasks per optimizer step (each sampled G times)
    learning_rate: float = 1e-4
    save_steps: int = 10
    logging_steps: int = 1
    seed: int = 0
    max_worker_calls: int | None = None  # stop once the workers were called this often
    # torch's intra-op threads; 1 is much faster for small models on a shared CPU
    torch_threads: int | None = None


@attrs.frozen
class SftConfig:
    """The optional warm start (lemonc train sft)."""

    output_dir: str = "runs/sft"
    examples: int = 256  # synthesized (prompt, team) pairs
    max_steps: int = 60
    learning_rate: float = 2e-4
    batch_size: int = 4
    seed: int = 0
    eval_prompts: int = 8  # prompts for the validity measurement before and after


@attrs.frozen
class Config:
    model: ModelConfig = ModelConfig()
    data: DataConfig = DataConfig()
    sampling: SamplingConfig = SamplingConfig()
    workers: WorkersConfig = WorkersConfig()
    reward: RewardConfig = RewardConfig()
    counterfactual: CounterfactualConfig = CounterfactualConfig()
    simulator: SimulatorConfig = SimulatorConfig()
    train: TrainConfig = TrainConfig()
    sft: SftConfig = SftConfig()
    trl: Mapping[str, Any] = attrs.field(factory=dict)

    def evolve(self, **sections: dict) -> Config:
        """A copy with some keys of some sections replaced: evolve(train={"seed": 1})."""
        changes = {}
        for name, values in sections.items():
            current = getattr(self, name)
            changes[name] = ({**current, **values} if name == "trl"
                             else attrs.evolve(current, **values))
        return attrs.evolve(self, **changes)

    def to_dict(self) -> dict:
        return attrs.asdict(self, value_serializer=lambda _, __, v: list(v)
                            if isinstance(v, tuple) else v)


SECTIONS = {f.name: f.type for f in attrs.fields(Config)}


def _section(cls, name: str, table: Mapping[str, Any]):
    known = {f.name for f in attrs.fields(cls)}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(f"[{name}] unknown key{'s' * (len(unknown) > 1)} "
                          f"{', '.join(unknown)}; known: {', '.join(sorted(known))}")
    try:
        return cls(**table)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"[{name}] {exc}") from None


def parse_config(data: Mapping[str, Any]) -> Config:
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise ConfigError(f"unknown section{'s' * (len(unknown) > 1)} "
                          f"[{'], ['.join(unknown)}]; known: {', '.join(SECTIONS)}")
    sections = {}
    for field in attrs.fields(Config):
        table = data.get(field.name, {})
        if not isinstance(table, Mapping):
            raise ConfigError(f"[{field.name}] must be a table")
        sections[field.name] = (dict(table) if field.name == "trl"
                                else _section(field.default.__class__, field.name, table))
    return Config(**sections)


def load_config(path: str | Path) -> Config:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return parse_config(data)
