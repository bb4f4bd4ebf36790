"""The trainer's configuration: frozen attrs sections read from one TOML file.

    [model]           the orchestrator: "embedded" (SmolLM2-135M), "tiny-random", or a HF id
    [data]            the training tasks: a benchmark (gsm8k, ...) or "simulator"
    [sampling]        G constrained samples per task and the decision space they may use
    [workers]         the runtime profile that executes the teams ("simulator" or a profile)
    [reward]          R = success + alpha * efficiency - beta * structure, penalty if invalid
    [counterfactual]  the localized signal: lambda, the family floor, the families
    [simulator]       the simulated environment (only with workers.profile = "simulator")
    [train]           steps, learning rate, checkpoints, the worker-call budget
    [sft]             the optional warm start (lemonc train sft): where its teams come from
    [eval]            the trainer evaluates itself on held-out items (present: on)
    [trl]             passed to trl.GRPOConfig (vLLM, DeepSpeed, KL beta, ...); keys checked

Every key and value is checked when the file is read: an unknown key is an error naming the
table and the closest known key; a bad value names the key, the value and what is allowed
(tests/training/test_rewards_and_config.py holds one bad file per rule). The tables say which
command a file is for: [train] for `lemonc train`, [sft] for `lemonc train sft`.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from lemonspec.errors import LemonspecError

FAMILIES = ("drop_dependency", "remove_duty", "lower_capacity")
SIMULATOR = "simulator"
SFT_SOURCES = ("templates", "teacher", "rejection")
# Which tables make a configuration one for each command (see docs/training.md, "Which
# command a configuration is for"): `lemonc train` needs [train], `lemonc train sft` [sft].
COMMAND_TABLES = {"train": "train", "train sft": "sft"}


class ConfigError(LemonspecError, ValueError):
    """A configuration that cannot be read or does not make sense."""


class BadValue(ConfigError):
    """One key's value is not allowed: says the key, the value and what is allowed."""

    def __init__(self, key: str, value: Any, allowed: str):
        super().__init__(f"{key} = {show(value)}: {allowed}")
        self.key, self.value, self.allowed = key, value, allowed


def show(value: Any) -> str:
    """A value as it is written in TOML, so the message quotes the file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k} = {show(v)}" for k, v in value.items()) + "}"
    return repr(value)


def did_you_mean(word: str, known) -> str:
    close = difflib.get_close_matches(word, list(known), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


# ---- value rules: attrs converters and validators ------------------------------------------
# A converter only widens what TOML gives (an int where a float is meant, a list for a
# tuple); anything else reaches the validator unchanged and is refused there by name.

def _float(value):
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _tuple(value):
    return tuple(value) if isinstance(value, list | tuple) else value


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def integer(low: int | None = None, *, optional: bool = False):
    allowed = (f"an integer >= {low}" if low is not None else "an integer") + \
        (" (or leave it out)" if optional else "")

    def check(_, attribute, value):
        if value is None and optional:
            return
        if not _is_int(value) or (low is not None and value < low):
            raise BadValue(attribute.name, value, f"must be {allowed}")
    return check


def number(low: float | None = None, high: float | None = None, *, low_open: bool = False,
           high_open: bool = False):
    bounds = []
    if low is not None:
        bounds.append(f"{'>' if low_open else '>='} {low:g}")
    if high is not None:
        bounds.append(f"{'<' if high_open else '<='} {high:g}")
    allowed = "must be a number" + (" " + " and ".join(bounds) if bounds else "")

    def check(_, attribute, value):
        ok = isinstance(value, float) and math.isfinite(value)
        if ok and low is not None:
            ok = value > low if low_open else value >= low
        if ok and high is not None:
            ok = value < high if high_open else value <= high
        if not ok:
            raise BadValue(attribute.name, value, allowed)
    return check


def boolean(_, attribute, value):
    if not isinstance(value, bool):
        raise BadValue(attribute.name, value, "must be true or false")


def text(choices=None, *, optional: bool = False):
    """A non-empty string; one of `choices` (a tuple, or a function giving it) if given."""

    def check(_, attribute, value):
        if value is None and optional:
            return
        known = choices() if callable(choices) else choices
        if not isinstance(value, str) or not value.strip():
            allowed = f"one of {', '.join(known)}" if known else "a non-empty string"
            raise BadValue(attribute.name, value, f"must be {allowed}")
        if known is not None and value not in known:
            raise BadValue(attribute.name, value, f"must be one of {', '.join(known)}"
                           + did_you_mean(value, known))
    return check


def names(choices=None, *, optional: bool = False, empty: bool = False):
    """A list of distinct strings, each one of `choices` if given."""

    def check(_, attribute, value):
        if value is None and optional:
            return
        known = choices() if callable(choices) else choices
        what = f"a list of {', '.join(known)}" if known else "a list of names"
        if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
            raise BadValue(attribute.name, value, f"must be {what}")
        if not value and not empty:
            raise BadValue(attribute.name, list(value), f"must be {what}, not empty")
        if len(set(value)) < len(value):
            raise BadValue(attribute.name, list(value), "must not repeat a name")
        for item in value:
            if known is not None and item not in known:
                raise BadValue(attribute.name, list(value), f"{item!r} is not one of "
                               f"{', '.join(known)}{did_you_mean(item, known)}")
            if known is None and not item.isidentifier():
                raise BadValue(attribute.name, list(value),
                               f"{item!r} is not a name (letters, digits, _)")
    return check


def _int(default, low=None, optional=False):
    return attrs.field(default=default, validator=integer(low, optional=optional))


def _num(default, *args, **kwargs):
    return attrs.field(default=default, converter=_float, validator=number(*args, **kwargs))


def _bool(default):
    return attrs.field(default=default, validator=boolean)


def _text(default, choices=None, optional=False):
    return attrs.field(default=default, validator=text(choices, optional=optional))


def _role_pools():
    from lemonspec.compiler.stdlib import ROLE_POOLS

    return tuple(ROLE_POOLS)


def _standard_roles():
    from lemonspec.compiler.stdlib import standard_roles

    return tuple(sorted(standard_roles()))


def _datasets():
    from lemonspec.benchmarks import NAMES

    return (SIMULATOR, *NAMES)


def _task_types():
    from lemonspec.training.simulator import TASK_TYPES

    return tuple(TASK_TYPES)


def _testbed_families():
    from lemonspec.training.testbed import FAMILIES

    return tuple(FAMILIES)


@attrs.frozen
class ModelConfig:
    name: str = _text("embedded")  # "embedded", "tiny-random", or a Hugging Face id or path
    lora: bool = _bool(True)  # False: full fine-tuning
    lora_r: int = _int(16, 1)
    lora_alpha: float = _num(32.0, 0, low_open=True)
    lora_dropout: float = _num(0.0, 0, 1, high_open=True)
    lora_target_modules: tuple[str, ...] = attrs.field(
        default=("q_proj", "k_proj", "v_proj", "o_proj"), converter=_tuple, validator=names())
    init_adapter: str | None = _text(None, optional=True)  # a `lemonc train sft` output
    # The shape of the "tiny-random" model (a Llama with the SmolLM2 tokenizer).
    tiny_hidden_size: int = _int(64, 1)
    tiny_layers: int = _int(2, 1)
    tiny_heads: int = _int(4, 1)
    seed: int = _int(0, 0)  # initialisation of the tiny model

    def __attrs_post_init__(self):
        if self.tiny_hidden_size % self.tiny_heads:
            raise BadValue("tiny_heads", self.tiny_heads,
                           f"must divide tiny_hidden_size = {self.tiny_hidden_size}")


@attrs.frozen
class DataConfig:
    dataset: str = _text("gsm8k", _datasets)  # a benchmark name, or "simulator"
    split: str = _text("train")
    limit: int | None = _int(64, 1, optional=True)
    seed: int = _int(0, 0)
    family: str | None = _text(None, _role_pools, optional=True)  # the prompt's role pool

    def __attrs_post_init__(self):
        from lemonspec.benchmarks import SPLITS

        splits = SPLITS.get(self.dataset)
        if splits is not None and self.split not in splits:
            raise BadValue("split", self.split,
                           f"{self.dataset} has the splits {', '.join(splits)}")


@attrs.frozen
class SamplingConfig:
    num_generations: int = _int(4, 2)  # G: GRPO compares at least two samples of a task
    temperature: float = _num(1.0, 0, low_open=True)
    top_p: float = _num(1.0, 0, 1, low_open=True)
    max_new_tokens: int | None = _int(None, 1, optional=True)  # None: any team in scope fits
    constrained: bool = _bool(True)
    # The decision space: a role pool (math, mmlu, code) or explicit roles; the levels.
    role_pool: str | None = _text("math", _role_pools, optional=True)
    roles: tuple[str, ...] | None = attrs.field(
        default=None, converter=_tuple, validator=names(_standard_roles, optional=True))
    levels: tuple[str, ...] = attrs.field(default=("small", "medium", "large"),
                                          converter=_tuple, validator=names())
    max_agents: int = _int(4, 1)
    max_name_chars: int = _int(16, 1)
    max_string_chars: int = _int(120, 1)
    # Leave tokens the grammar forced (one allowed token) out of the loss: they are not
    # decisions, and the raw-logit gradient on them is noise (see rollout.decision_masks).
    mask_forced_tokens: bool = _bool(True)
    # Where the rollouts are sampled: "local" (in the trainer's process) or "vllm" (a vLLM
    # server at `server` serving the same base model as `served_model`; each step's LoRA
    # adapter is loaded into it at run time, so it needs [model] lora = true).
    engine: str = _text("local", ("local", "vllm"))
    server: str | None = _text(None, optional=True)  # http://host:port (no /v1)
    served_model: str = _text("smollm2-135m")

    def __attrs_post_init__(self):
        if self.engine == "vllm" and self.server is None:
            raise BadValue("server", None, 'engine = "vllm" needs the server\'s URL, e.g. '
                                           'server = "http://127.0.0.1:8000" (lemonc serve)')


@attrs.frozen
class WorkersConfig:
    profile: str = _text("embedded")  # a runtime profile name or TOML path, or "simulator"
    concurrency: int = _int(8, 1)  # model calls in flight across one step's teams

    def __attrs_post_init__(self):
        from lemonspec.runtime.profiles import available_profiles

        known = (SIMULATOR, *available_profiles())
        if self.profile not in known and not Path(self.profile).is_file():
            raise BadValue("profile", self.profile,
                           f"must be a profile TOML file or one of {', '.join(known)}"
                           + did_you_mean(self.profile, known))


@attrs.frozen
class RewardConfig:
    alpha: float = _num(0.2, 0)  # weight of token efficiency
    beta: float = _num(0.02, 0)  # weight of graph-structure cost
    invalid_penalty: float = _num(-1.0)  # the whole reward of a spec the checker rejects
    token_budget: int = _int(4000, 1)  # worker tokens at which efficiency reaches 0
    agent_weight: float = _num(1.0, 0)  # structure = agent_weight*agents + edge_weight*edges
    edge_weight: float = _num(0.5, 0)


@attrs.frozen
class CounterfactualConfig:
    enabled: bool = _bool(True)
    lam: float = _num(1.0)  # lambda: weight of Delta in the edited span's advantage
    floor: float = _num(0.1, 0, 1)  # each available family is chosen at least this often
    families: tuple[str, ...] = attrs.field(default=FAMILIES, converter=_tuple,
                                            validator=names(FAMILIES))
    mean_decay: float = _num(0.9, 0, 1, high_open=True)  # forgetting of the mean |Delta|
    # Divide Delta by the std of the step's rewards (at least min_scale), as GRPO divides
    # reward differences by a std; false: lambda * Delta in raw reward units.
    normalize: bool = _bool(True)
    min_scale: float = _num(0.1, 0, low_open=True)
    # The share of valid samples that get a counterfactual (each independently, seeded):
    # the knob on its worker cost. 1.0: every valid sample, as the paper describes.
    edit_fraction: float = _num(1.0, 0, 1)

    def __attrs_post_init__(self):
        if self.floor * len(self.families) > 1:
            raise BadValue("floor", self.floor, f"times the {len(self.families)} families "
                           f"must be at most 1 (at most {1 / len(self.families):.3g})")


@attrs.frozen
class SimulatorConfig:
    seed: int = _int(0, 0)  # the hidden draws (common random numbers) and the task set
    tasks: int = _int(64, 1)
    task_types: tuple[str, ...] | None = attrs.field(
        default=None, converter=_tuple, validator=names(optional=True))
    # "simple" (simulator.py) or "testbed" (testbed.py: families whose best teams have 3-5
    # agents; task_types then names testbed families)
    kind: str = _text("simple", ("simple", "testbed"))

    def __attrs_post_init__(self):
        known = _testbed_families() if self.kind == "testbed" else _task_types()
        for name in self.task_types or ():
            if name not in known:
                raise BadValue("task_types", list(self.task_types),
                               f"{name!r} is not one of {', '.join(known)} (the "
                               f"{self.kind} task types)" + did_you_mean(name, known))


@attrs.frozen
class TrainConfig:
    output_dir: str = _text("runs/train")
    max_steps: int = _int(100, 1)
    tasks_per_step: int = _int(1, 1)  # distinct tasks per optimizer step (each sampled G times)
    learning_rate: float = _num(1e-4, 0, low_open=True)
    save_steps: int = _int(10, 1)
    logging_steps: int = _int(1, 1)
    seed: int = _int(0, 0)
    max_worker_calls: int | None = _int(None, 1, optional=True)  # stop at this many calls
    # torch's intra-op threads; 1 is much faster for small models on a shared CPU
    torch_threads: int | None = _int(None, 1, optional=True)


@attrs.frozen
class SftConfig:
    """The warm start (lemonc train sft): where its teams come from, and its training.

    source = "templates": the baselines' template teams (chain, tree, complete, random DAG)
        with random capacities: the format, no knowledge of the task.
    source = "teacher": `teacher` (any LiteLLM model) writes `samples` teams per training
        item, under the grammar where its server takes one; the compiler's rejects dropped.
    source = "rejection": the current orchestrator samples `samples` teams per item under the
        grammar; each is run and rewarded; each item's best valid team is kept.
    """

    source: str | None = _text(None, SFT_SOURCES, optional=True)
    output_dir: str = _text("runs/sft")
    examples: int = _int(256, 1)  # templates: synthesized (prompt, team) pairs
    items: int | None = _int(None, 1, optional=True)  # teacher/rejection: training items used
    samples: int = _int(4, 1)  # teacher/rejection: teams written per item
    teacher: str | None = _text(None, optional=True)  # a LiteLLM model name
    teacher_api_base: str | None = _text(None, optional=True)
    teacher_temperature: float = _num(0.7, 0)
    # rejection: keep an item's best team only if its reward reaches this (None: any valid)
    min_reward: float | None = attrs.field(default=None, converter=_float, validator=(
        attrs.validators.optional(number())))
    max_steps: int = _int(60, 1)
    learning_rate: float = _num(2e-4, 0, low_open=True)
    batch_size: int = _int(4, 1)
    seed: int = _int(0, 0)
    eval_prompts: int = _int(8, 0)  # prompts for the validity measurement before and after

    def __attrs_post_init__(self):
        if self.source == "teacher" and self.teacher is None:
            raise BadValue("teacher", None, 'source = "teacher" needs a LiteLLM model name, '
                           'e.g. teacher = "openai/gpt-4o-mini"')


@attrs.frozen
class EvalConfig:
    """The orchestrated evaluation of the policy during training (training/evaluation.py):
    on only when the file has an [eval] table."""

    every: int = _int(0, 0)  # evaluate every this many steps; 0: only at the end
    items: int = _int(16, 1)  # held-out items, disjoint from the training items
    # A benchmark's split to draw them from (default: the training split, training items
    # excluded); the simulator's held-out tasks are the ones after its training tasks.
    split: str | None = _text(None, optional=True)
    greedy: bool = _bool(True)  # one greedy team per item, as the paper evaluates
    best_by: str = _text("accuracy", ("accuracy", "reward"))  # what keeps the best policy


@attrs.frozen
class Config:
    model: ModelConfig = attrs.field(factory=ModelConfig)
    data: DataConfig = attrs.field(factory=DataConfig)
    sampling: SamplingConfig = attrs.field(factory=SamplingConfig)
    workers: WorkersConfig = attrs.field(factory=WorkersConfig)
    reward: RewardConfig = attrs.field(factory=RewardConfig)
    counterfactual: CounterfactualConfig = attrs.field(factory=CounterfactualConfig)
    simulator: SimulatorConfig = attrs.field(factory=SimulatorConfig)
    train: TrainConfig = attrs.field(factory=TrainConfig)
    sft: SftConfig = attrs.field(factory=SftConfig)
    eval: EvalConfig = attrs.field(factory=EvalConfig)
    trl: Mapping[str, Any] = attrs.field(factory=dict)
    # The tables the file had: which command it is for (COMMAND_TABLES). Not a setting.
    tables: frozenset[str] = attrs.field(factory=frozenset, converter=frozenset, eq=False)

    def __attrs_post_init__(self):
        if self.sampling.engine == "vllm" and not self.model.lora:
            raise BadValue("engine", "vllm", "rollouts on vLLM need [model] lora = true: the "
                           "server takes each step's adapter, not full weights (TRL's weight "
                           "sync needs CUDA)")

    @property
    def evaluates(self) -> bool:
        """The trainer evaluates itself: the file has an [eval] table."""
        return "eval" in self.tables

    def evolve(self, **sections: dict) -> Config:
        """A copy with some keys of some sections replaced: evolve(train={"seed": 1})."""
        changes = {}
        for name, values in sections.items():
            current = getattr(self, name)
            changes[name] = ({**current, **values} if name == "trl"
                             else attrs.evolve(current, **values))
        return attrs.evolve(self, **changes)

    def to_dict(self) -> dict:
        return attrs.asdict(self, filter=lambda field, _: field.name != "tables",
                            value_serializer=lambda _, __, v: list(v)
                            if isinstance(v, tuple) else v)


SECTIONS = {"model": ModelConfig, "data": DataConfig, "sampling": SamplingConfig,
            "workers": WorkersConfig, "reward": RewardConfig,
            "counterfactual": CounterfactualConfig, "simulator": SimulatorConfig,
            "train": TrainConfig, "sft": SftConfig, "eval": EvalConfig, "trl": dict}


def _section(cls, name: str, table: Mapping[str, Any]):
    known = [f.name for f in attrs.fields(cls)]
    for key in table:
        if key not in known:
            raise ConfigError(f"[{name}] unknown key {key}{did_you_mean(key, known)}; "
                              f"known: {', '.join(known)}")
    try:
        return cls(**table)
    except ConfigError as exc:
        raise ConfigError(f"[{name}] {exc}") from None


def _home_of(key: str) -> str:
    """Where a top-level key probably belongs: ' (did you mean [train] max_steps?)'."""
    for name, cls in SECTIONS.items():
        if cls is not dict and key in {f.name for f in attrs.fields(cls)}:
            return f" (did you mean [{name}] {key}?)"
    return ""


def _check_trl(table: Mapping[str, Any]) -> None:
    """[trl] keys are GRPOConfig's fields; a typo would be silently ignored by nobody but
    us, so it is an error with the closest name."""
    try:
        import dataclasses

        from trl import GRPOConfig
    except ImportError:  # the trainer cannot run anyway; its import says what to install
        return
    known = [f.name for f in dataclasses.fields(GRPOConfig)]
    for key in table:
        if key not in known:
            raise ConfigError(f"[trl] unknown key {key}{did_you_mean(key, known)}: [trl] "
                              "holds trl.GRPOConfig's arguments")


def parse_config(data: Mapping[str, Any]) -> Config:
    """The configuration, or one ConfigError holding every table's first mistake, one per
    line (within a table, the first bad key; across tables, all of them)."""
    problems = []
    for name, table in data.items():
        if name not in SECTIONS:
            problems.append(
                f"top-level key {name} = {show(table)}: every key belongs in a table"
                f"{_home_of(name)}" if not isinstance(table, Mapping) else
                f"unknown table [{name}]{did_you_mean(name, SECTIONS)}; "
                f"known: {', '.join(f'[{s}]' for s in SECTIONS)}")
        elif not isinstance(table, Mapping):
            problems.append(f"{name} = {show(table)}: [{name}] must be a table")
    sections = {}
    for name, cls in SECTIONS.items():
        table = data.get(name, {})
        if cls is dict or not isinstance(table, Mapping):
            continue
        try:
            sections[name] = _section(cls, name, table)
        except ConfigError as exc:
            problems.append(str(exc))
    if problems:
        raise ConfigError("\n".join(problems))
    if "sft" in data and sections["sft"].source is None:
        raise ConfigError("[sft] source is missing: say where the warm start's teams come "
                          f"from, one of {', '.join(SFT_SOURCES)} (docs/training.md)")
    _check_trl(data.get("trl", {}))
    config = Config(**sections, trl=dict(data.get("trl", {})), tables=frozenset(data))
    _check_together(config)
    return config


def _check_together(config: Config) -> None:
    """Rules that span two tables."""
    simulated_data = config.data.dataset == SIMULATOR
    if config.eval.split is not None:
        from lemonspec.benchmarks import SPLITS

        if simulated_data:
            raise ConfigError(f"[eval] split = {show(config.eval.split)}: the simulator has no "
                              "splits; its held-out tasks follow the training ones (leave "
                              "split out)")
        splits = SPLITS.get(config.data.dataset)
        if splits is not None and config.eval.split not in splits:
            raise BadValue("[eval] split", config.eval.split,
                           f"{config.data.dataset} has the splits {', '.join(splits)}")
    simulated_workers = config.workers.profile == SIMULATOR
    if simulated_data != simulated_workers:
        raise ConfigError(
            f'[data] dataset = {show(config.data.dataset)} with [workers] profile = '
            f'{show(config.workers.profile)}: the simulator is both the tasks and the workers; '
            'set both to "simulator", or neither')
    if simulated_workers:
        from lemonspec.training.simulator import LEVELS

        extra = [level for level in config.sampling.levels if level not in LEVELS]
        if extra:
            raise BadValue("[sampling] levels", list(config.sampling.levels),
                           f"the simulator's levels are {', '.join(LEVELS)}")


def require_command(config: Config, command: str, path: str) -> None:
    """A configuration for another command is refused, naming the one to run: the tables
    say what a file is for ([train]: `lemonc train`; [sft]: `lemonc train sft`; a file
    with both serves both)."""
    if COMMAND_TABLES[command] in config.tables:
        return
    others = [c for c, t in COMMAND_TABLES.items() if t in config.tables]
    instead = f"; it is for `lemonc {others[0]}`: run `lemonc {others[0]} --config {path}`" \
        if others else ""
    raise ConfigError(f"{path} has no [{COMMAND_TABLES[command]}] table, so it is not a "
                      f"configuration for `lemonc {command}`{instead}")


def load_config(path: str | Path) -> Config:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    try:
        return parse_config(data)
    except ConfigError as exc:
        raise ConfigError("\n".join(f"{path}: {line}" for line in str(exc).splitlines())
                          ) from None
