"""Orchestrated evaluation: an orchestrator writes one team per item, the compiler checks it,
the runtime runs it on the workers, the judge scores it.

    writer = open_writer("local", Decoding())            # or an adapter folder, a LiteLLM model
    records = evaluate(writer, items, load_profile("embedded"))   # one record per item

This is how the paper reports its LEMON row (one team written per query, greedy), and the
function the trainer calls to evaluate itself. `lemonc bench --orchestrator` drives it into a
resumable results file (bench.py's `ResultsFile`), one line per item, so a rerun continues.

Per item, k teams (k = Decoding.samples, 1 by default) are written for the item's prompt;
each is checked once (by compiling it: every check, exactly one team); each valid one is run and its answer extracted by the
judge (runtime/answers.py); the item's answer is the majority of the valid teams' answers
(ties to the earliest sample). A team the compiler rejects (an unconstrained remote model
may write one) is never run: it counts as no answer, and its first diagnostic is recorded.
The orchestrator is called only through its public functions (lemonspec.orchestrator).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import attrs

from lemonspec.benchmarks.bench import digest, gold_text, judge
from lemonspec.benchmarks.datasets import Item
from lemonspec.benchmarks.errors import Error
from lemonspec.benchmarks.scoring import item_answer_type, item_extractor
from lemonspec.runtime.answers import majority
from lemonspec.runtime.profiles import Profile

LOCAL = "local"


@attrs.frozen
class Decoding:
    """How the orchestrator writes: greedy, one team per item, under the grammar, unless
    told otherwise. Part of the run's key: changing it starts a different run."""

    samples: int = 1  # teams per item; the answer is their majority
    temperature: float = 0.0  # 0: greedy
    top_p: float = 1.0
    constrained: bool = True  # decode under the grammar (a remote model: when it takes one)
    max_new_tokens: int | None = None  # default: what the longest team in scope needs

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class WrittenTeam:
    """One team as the orchestrator wrote it."""

    text: str  # the spec (for an unconstrained reply, the spec found in it)
    constrained: bool  # decoded under the grammar
    prompt_tokens: int | None  # None: the provider did not say
    completion_tokens: int | None
    finish_reason: str | None


class TeamWriter(Protocol):
    """What writes teams: the embedded model, a saved model or adapter, a remote model."""

    # Read-only members: the writers are frozen.
    @property
    def label(self) -> str:
        """For tables: "local", the folder, the model string."""

    @property
    def identity(self) -> Mapping[str, Any]:
        """What identifies its weights, for the run's key."""

    @property
    def decoding(self) -> Decoding: ...

    # Optional: `kind` names the row (default "orchestrator": orchestrator:LABEL),
    # `reads_query = True` hands `write` the item's own prompt instead of the orchestrator
    # prompt (a designer of lemonspec.designers embeds the query itself), and `scope` (not
    # None) is the decision space it writes in, instead of the family's default one.

    def write(self, prompt: str, scope: Any, *, seed: int) -> list[WrittenTeam]:
        """`decoding.samples` teams for one orchestrator prompt."""


# ---- the writers ----


@attrs.frozen
class LocalWriter:
    """A model this process runs (transformers), decoding with `sample_specs`."""

    model: Any = attrs.field(repr=False)
    tokenizer: Any = attrs.field(repr=False)
    label: str
    identity: Mapping[str, Any]
    decoding: Decoding = Decoding()
    scope: Any = None  # where it was trained to write (lemon_scope.json); None: the family's

    def write(self, prompt: str, scope: Any, *, seed: int) -> list[WrittenTeam]:
        from lemonspec.orchestrator import sample_specs, spec_text

        d = self.decoding
        samples = sample_specs(self.model, self.tokenizer, [prompt], num_samples=d.samples,
                               temperature=d.temperature, top_p=d.top_p,
                               max_new_tokens=d.max_new_tokens, constrained=d.constrained,
                               scope=scope, seed=seed)
        return [WrittenTeam(s.text if s.constrained else spec_text(s.text), s.constrained,
                            len(s.prompt_token_ids), len(s.token_ids), s.finish_reason)
                for s in samples]


@attrs.frozen
class RemoteWriter:
    """A LiteLLM model; under the grammar where its server takes one (remote.py)."""

    model: str
    decoding: Decoding = Decoding()

    @property
    def label(self) -> str:
        return self.model

    @property
    def identity(self) -> Mapping[str, Any]:
        return {"model": self.model}

    def write(self, prompt: str, scope: Any, *, seed: int) -> list[WrittenTeam]:
        from lemonspec.orchestrator import sample_remote, spec_text

        d = self.decoding
        samples = sample_remote(self.model, [prompt], num_samples=d.samples,
                                temperature=d.temperature, top_p=d.top_p,
                                max_tokens=d.max_new_tokens, scope=scope,
                                constrained=None if d.constrained else False, seed=seed)
        return [WrittenTeam(s.text if s.constrained else spec_text(s.text), s.constrained,
                            s.prompt_tokens, s.completion_tokens, s.finish_reason)
                for s in samples]


def open_writer(orchestrator: str, decoding: Decoding = Decoding()) -> TeamWriter:
    """The writer for ORCH: `local` (the embedded SmolLM2), a model or LoRA adapter folder
    the trainer saved, or a LiteLLM model string. Raises Error, naming what is wrong, for a
    folder that does not exist, an adapter trained on another base model, or a string that
    is neither a folder nor a LiteLLM model."""
    if orchestrator == LOCAL or Path(orchestrator).is_dir():
        return _local_writer(orchestrator, decoding)
    if Path(orchestrator).is_file():
        raise Error(f"{orchestrator} is a file; the orchestrator is the folder that holds it",
                    f"give --orchestrator {Path(orchestrator).parent}")
    _check_remote_name(orchestrator)
    return RemoteWriter(orchestrator, decoding)


def _local_writer(orchestrator: str, decoding: Decoding) -> LocalWriter:
    from lemonspec.orchestrator import load_orchestrator
    from lemonspec.orchestrator.scope import saved_scope

    scope = None
    if orchestrator == LOCAL:
        from lemonspec.runtime.embedded import EMBEDDED_MODEL

        identity: Mapping[str, Any] = {"model": EMBEDDED_MODEL}
    else:
        folder = Path(orchestrator)
        _check_folder(folder)
        try:
            scope = saved_scope(folder)  # in the weights' digest: it is one of its files
        except ValueError as exc:
            raise Error(str(exc), "delete the file to evaluate in the default scope") from None
        identity = {"folder": str(folder.resolve()), "weights": _weights_digest(folder)}
    try:
        model, tokenizer = load_orchestrator(orchestrator)
    except Exception as exc:  # noqa: BLE001 - any load failure means the same to the user
        raise Error(f"cannot load the orchestrator from {orchestrator}: {exc}",
                    "give a folder written by `lemonc train` (a model or a LoRA adapter), "
                    "`local`, or a LiteLLM model string") from None
    return LocalWriter(model, tokenizer, orchestrator, identity, decoding, scope)


_EMBEDDED_BASE = "smollm2-135m"  # how the embedded model's name reads in an adapter's config


def _check_folder(folder: Path) -> None:
    """A model folder needs config.json; an adapter folder names its base model, which must
    be a folder here or the embedded model (the only base this machine has)."""
    adapter = folder / "adapter_config.json"
    if not adapter.is_file():
        if not (folder / "config.json").is_file():
            raise Error(f"{folder} holds neither a LoRA adapter (adapter_config.json) nor a "
                        "model (config.json)", "give the folder `lemonc train` saved")
        return
    try:
        base = json.loads(adapter.read_text(encoding="utf-8")).get("base_model_name_or_path")
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError) as exc:
        raise Error(f"{adapter}: not a readable adapter config ({exc})") from None
    from lemonspec.runtime.embedded import EMBEDDED_MODEL_DIR

    known = (not base or Path(base).is_dir() or _EMBEDDED_BASE in str(base).lower()
             or (EMBEDDED_MODEL_DIR is not None and Path(base) == Path(EMBEDDED_MODEL_DIR)))
    if not known:
        raise Error(f"{folder} is an adapter for the base model {base!r}, which is neither "
                    "the embedded SmolLM2-135M nor a model folder on this machine",
                    f"put {base} where adapter_config.json's base_model_name_or_path "
                    "points, or evaluate an adapter trained on the embedded model")


def _weights_digest(folder: Path) -> str:
    """What identifies a saved orchestrator: its files' contents (a checkpoint saved again
    under the same name is another run)."""
    contents = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        contents.update(str(path.relative_to(folder)).encode())
        with open(path, "rb") as file:
            for block in iter(lambda: file.read(1 << 20), b""):
                contents.update(block)
    return contents.hexdigest()[:16]


def _check_remote_name(orchestrator: str) -> None:
    """LiteLLM must know the model's provider (its own lookup), else it is a mistyped
    folder or name."""
    from lemonspec.environment import configure

    configure()
    from lemonspec.runtime.providers import litellm

    try:
        litellm().get_llm_provider(orchestrator)
    except Exception:  # noqa: BLE001, S110 - LiteLLM's "unknown provider" error; ours follows
        pass
    else:
        from lemonspec.runtime.preflight import model_problem

        problem = model_problem(orchestrator)  # e.g. a vLLM server with no address
        if problem:
            raise Error(f"the orchestrator {problem}",
                        "set it and rerun; a served orchestrator: lemonc serve (docs/serving.md)")
        return
    if "/" in orchestrator or orchestrator.startswith((".", "~")):
        raise Error(f"no orchestrator folder {orchestrator}",
                    "give the folder `lemonc train` saved (a model or a LoRA adapter), "
                    "`local`, or a LiteLLM model string such as hosted_vllm/NAME")
    raise Error(f"unknown orchestrator {orchestrator!r}: not `local`, not a folder, and not "
                "a model LiteLLM knows",
                "e.g. --orchestrator local, --orchestrator runs/grpo/final, "
                "--orchestrator hosted_vllm/Qwen2.5-7B-Instruct")


# ---- one item ----


def item_seed(seed: int, item_id: str) -> int:
    """Each item's sampling seed depends on the run's seed and the item only, so a resumed
    or re-ordered run writes the same teams."""
    return int.from_bytes(hashlib.blake2b(f"{seed}:{item_id}".encode(), digest_size=4).digest(),
                          "big") >> 1


def team_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@attrs.frozen
class Context:
    """What every item of one evaluation shares."""

    writer: TeamWriter
    profile: Profile
    family: str | None  # the role pool the orchestrator is offered (None: every role)
    seed: int = 0
    trace: Any = None
    bounds: Any = None  # the generation bounds of the scope (default: the grammar's)
    scope: Any = None  # the whole decision space (default: the family's, with `bounds`);
    # the trainer passes its own, so the policy is evaluated where it was trained


@attrs.frozen
class Written:
    """An item's teams as written, and how long writing them took."""

    item: Item
    teams: tuple[WrittenTeam, ...]
    seconds: float


def prompt_and_scope(item: Item, context: Context) -> tuple[str, Any]:
    from lemonspec.orchestrator import Scope, orchestrator_prompt
    from lemonspec.orchestrator.prompt import level_costs

    levels = tuple(context.profile.levels)
    prompt = orchestrator_prompt(item.prompt, family=context.family,
                                 levels=level_costs(levels))
    scope = context.scope if context.scope is not None else getattr(context.writer, "scope",
                                                                     None)
    if scope is not None:
        return prompt, scope
    options = {} if context.bounds is None else {"bounds": context.bounds}
    return prompt, Scope.for_family(context.family, levels=levels, **options)


def write_teams(item: Item, context: Context) -> Written:
    """The orchestrator's teams for one item. Runs outside any event loop: a remote writer
    runs its own, and LiteLLM's logging worker cannot serve two loops at once."""
    started = time.perf_counter()
    prompt, scope = prompt_and_scope(item, context)
    if getattr(context.writer, "reads_query", False):  # a designer reads the query itself
        prompt = item.prompt
    try:
        teams = context.writer.write(prompt, scope, seed=item_seed(context.seed, item.id))
    except Error:
        raise
    except Exception as exc:  # noqa: BLE001 - a remote error, a bad model: say which
        raise Error(f"the orchestrator {context.writer.label} failed on {item.id}: "
                    f"{type(exc).__name__}: {exc}",
                    "fix the orchestrator and rerun the same command: finished items "
                    "are kept") from None
    return Written(item, tuple(teams), time.perf_counter() - started)


async def run_written(written: Written, context: Context,
                      limiter: asyncio.Semaphore | None = None) -> dict[str, Any]:
    """Check, run and judge an item's written teams: its results line."""
    started = time.perf_counter()
    item = written.item
    teams = await asyncio.gather(*(_run_team(item, team, index, context, limiter)
                                   for index, team in enumerate(written.teams)))
    answer = majority([t["answer"] for t in teams])
    correct, why = await judge(item, answer)
    valid = [t for t in teams if t["valid"]]
    if not valid:
        why = f"no valid team: {teams[0]['diagnostic']}" if teams else "no team written"
    return _record(item, teams, valid, answer, correct, why, written.seconds,
                   written.seconds + time.perf_counter() - started)


async def _run_team(item: Item, team: WrittenTeam, index: int, context: Context,
                    limiter: asyncio.Semaphore | None) -> dict[str, Any]:
    """Compile (the one check), run and extract the answer of one written team."""
    from lemonspec.compiler import CompileError, compile_text
    from lemonspec.runtime import ProfileError, check_capacities, run_team
    from lemonspec.runtime.answers import AnswerTypeConflict

    profile = context.profile
    info = {"spec_hash": team_hash(team.text), "spec": team.text,
            "constrained": team.constrained, "finish_reason": team.finish_reason,
            "orchestrator_prompt_tokens": team.prompt_tokens,
            "orchestrator_completion_tokens": team.completion_tokens}
    try:
        ir = compile_text(team.text, f"<{item.id} team {index}>", levels=profile.levels,
                          default_level=profile.default_level)
        check_capacities(ir, profile)
    except CompileError as exc:
        return {**info, **_INVALID, "diagnostic": _first_error(exc.diagnostics)}
    except ProfileError as exc:
        return {**info, **_INVALID, "diagnostic": str(exc)}
    try:  # a team written unconstrained may declare an answer type the item's is not
        read = item_extractor(item, ir.answer)
    except AnswerTypeConflict as exc:
        return {**info, **_INVALID, "diagnostic": str(exc)}
    result = await run_team(ir, item.prompt, profile=profile, limiter=limiter,
                            trace=context.trace, answer=item_answer_type(item), extractor=read,
                            sample=index)
    return {**info, "valid": True, "diagnostic": None, "answer": result.answer,
            "agents": len(ir.agents), "edges": sum(len(a.after) for a in ir.agents),
            "worker_tokens": _sum(result.prompt_tokens, result.completion_tokens),
            "worker_cost": result.cost, "ok": result.ok,
            "error": next((a.error for a in result.failures), None)}


# A team the compiler rejects is not run: no answer, no worker spent, no run that failed.
_INVALID = {"valid": False, "answer": None, "agents": None, "edges": None, "worker_tokens": 0,
            "worker_cost": 0.0, "ok": True, "error": None}


def _first_error(diagnostics) -> str:
    """The first error as `lemonc check` prints it (warnings do not make a team invalid)."""
    from lemonspec.compiler.diagnostics import render_concise

    errors = [d for d in diagnostics if d.is_error] or list(diagnostics)
    return render_concise(errors[:1]).strip() if errors else "not a team"


def _record(item: Item, teams: Sequence[Mapping[str, Any]], valid: Sequence[Mapping],
            answer: str | None, correct: bool, why: str | None, writing: float,
            seconds: float) -> dict[str, Any]:
    orchestrator_prompt = _total(t["orchestrator_prompt_tokens"] for t in teams)
    orchestrator_completion = _total(t["orchestrator_completion_tokens"] for t in teams)
    workers = _total(t["worker_tokens"] for t in teams)
    first = teams[0] if teams else {}
    return {
        "id": item.id, "answer": answer, "gold": gold_text(item), "correct": correct, "why": why,
        "valid": bool(teams) and len(valid) == len(teams), "valid_teams": len(valid),
        "samples": len(teams), "diagnostic": next((t["diagnostic"] for t in teams
                                                   if t["diagnostic"]), None),
        "ok": all(t["ok"] for t in teams),
        "error": next((t["error"] for t in teams if t["error"]), None),
        "spec_hash": first.get("spec_hash"), "spec": first.get("spec"),
        "orchestrator_prompt_tokens": orchestrator_prompt,
        "orchestrator_completion_tokens": orchestrator_completion,
        "orchestrator_tokens": _sum(orchestrator_prompt, orchestrator_completion),
        "worker_tokens": workers,
        "tokens": _sum(_sum(orchestrator_prompt, orchestrator_completion), workers),
        "cost": _total(t["worker_cost"] for t in teams),
        "agents": _mean(t["agents"] for t in valid), "edges": _mean(t["edges"] for t in valid),
        "orchestrator_seconds": round(writing, 3), "seconds": round(seconds, 3),
        "teams": [{k: v for k, v in t.items() if k != "spec"} for t in teams]
        if len(teams) > 1 else None,
        "specs": [t["spec"] for t in teams[1:]] if len(teams) > 1 else None,
    }


def _sum(a, b):
    return None if a is None or b is None else a + b


def _total(values: Iterable[Any]):
    values = list(values)
    return None if any(v is None for v in values) else sum(values)


def _mean(values: Iterable[Any]) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


# ---- many items ----


def evaluate(writer: TeamWriter, items: Iterable[Item], profile: Profile, *,
             family: str | None = None, seed: int = 0, concurrency: int | None = None,
             trace: Any = None, bounds: Any = None, scope: Any = None,
             on_record: Callable[[Mapping[str, Any]], None] = lambda record: None,
             on_written: Callable[[Written], None] = lambda written: None,
             ) -> list[dict[str, Any]]:
    """Evaluate the orchestrator on every item: one record per item, in item order.

    Items go in chunks of `concurrency` (default: the profile's): the orchestrator writes
    the chunk's teams one item after another, then the chunk's teams run together, and
    `on_record` sees each record the moment its item is judged (bench writes it to disk
    then), `on_written` each item's teams as they are written (for progress displays). An
    interrupt loses at most the chunk in progress. Call it outside an event loop.
    """
    context = Context(writer, profile, family, seed, trace, bounds, scope)
    bound = concurrency or profile.concurrency
    items = list(items)
    records: dict[str, dict[str, Any]] = {}
    for start in range(0, len(items), bound):
        written = []
        for item in items[start:start + bound]:
            written.append(write_teams(item, context))
            on_written(written[-1])
        asyncio.run(_run_chunk(written, context, bound, records, on_record))
    return [records[item.id] for item in items]


async def _run_chunk(written: Sequence[Written], context: Context, bound: int,
                     records: dict[str, dict[str, Any]],
                     on_record: Callable[[Mapping[str, Any]], None]) -> None:
    limiter = asyncio.Semaphore(bound)

    async def one(entry: Written) -> None:
        record = await run_written(entry, context, limiter)
        records[entry.item.id] = record
        on_record(record)

    tasks = [asyncio.create_task(one(entry), name=entry.item.id) for entry in written]
    try:
        await asyncio.gather(*tasks)
    finally:  # on an error or interrupt, stop the rest; what finished was reported
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def run_key(writer: TeamWriter, dataset: str, split: str, seed: int, profile: Profile):
    """The results file's key: the orchestrator (its weights and decoding) stands where a
    fixed run has its spec; every level of the profile may be used."""
    from lemonspec.benchmarks.bench import RunKey

    levels = list(profile.levels)
    models = {level: ",".join(profile.config(level).models) for level in levels}
    settings = {level: profile.config(level).request_params() for level in levels}
    orchestrator = {"orchestrator": writer.label, **writer.identity,
                    "decoding": writer.decoding.to_json(), "prompt": _prompt_version()}
    kind = getattr(writer, "kind", "orchestrator")  # designers: designer:METHOD
    return RunKey(digest(orchestrator), f"{kind}:{writer.label}", dataset, split, seed,
                  profile.name, models, digest(settings), orchestrator)


def _prompt_version() -> str:
    from lemonspec.orchestrator import PROMPT_VERSION

    return PROMPT_VERSION
