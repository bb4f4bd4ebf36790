"""A trained designer on disk, and the writer that lets `lemonc bench` evaluate it.

A designer folder holds `manifest.json` (format, method and its version, the lemonspec
version, settings, the design space, how it was trained and what that cost), `params.json`
(the learned parameters, plain JSON: loading one runs no code) and `history.jsonl` (one line
per training step). Loading checks the format, method and versions and says what is wrong
(tests/designers/test_store.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from lemonspec.benchmarks.errors import Error
from lemonspec.benchmarks.orchestrated import Decoding, WrittenTeam
from lemonspec.designers.base import METHODS, Method, Trained, load_method
from lemonspec.designers.space import Space, render

FORMAT = "lemonspec-designer"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PARAMS = "params.json"
HISTORY = "history.jsonl"


def lemonspec_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lemonspec")
    except PackageNotFoundError:
        return "unknown"


def save(folder: str | Path, method: Method, trained: Trained, space: Space,
         training: Mapping[str, Any]) -> Path:
    """Write the designer into `folder` (created). A folder holding a designer of another
    method or version is refused; one of the same method is overwritten."""
    folder = Path(folder)
    existing = folder / MANIFEST
    if existing.is_file():
        _check(folder, _read_json(existing), expect_method=method.name)
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "method": method.name,
        "method_version": method.version, "lemonspec_version": lemonspec_version(),
        "per_query": method.per_query, "settings": attrs.asdict(method.settings),
        "space": space.to_json(), "training": dict(training, exhausted=trained.exhausted),
    }
    (folder / PARAMS).write_text(json.dumps(trained.params), encoding="utf-8")
    (folder / HISTORY).write_text("".join(json.dumps(h) + "\n" for h in trained.history),
                                  encoding="utf-8")
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return folder


@attrs.frozen
class Saved:
    folder: Path
    manifest: Mapping[str, Any]
    method: Method
    params: Mapping[str, Any]
    space: Space
    digest: str  # of the manifest and params: what identifies this designer


def load(folder: str | Path) -> Saved:
    folder = Path(folder)
    if not folder.is_dir():
        raise Error(f"no designer folder {folder}",
                    "give the --out folder of `lemonc design METHOD --dataset ... --out DIR`")
    path = folder / MANIFEST
    if not path.is_file():
        raise Error(f"{folder} holds no {MANIFEST}: not a designer folder",
                    "give the --out folder of `lemonc design`")
    manifest = _read_json(path)
    _check(folder, manifest)
    params_text = _read_text(folder / PARAMS)
    try:
        params = json.loads(params_text)
        space = Space.from_json(manifest["space"])
        method = load_method(manifest["method"], manifest.get("settings") or {})
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise Error(f"{folder}: a damaged designer ({type(exc).__name__}: {exc})",
                    "train it again with `lemonc design`") from None
    from lemonspec.compiler import compile_text

    try:  # parameters of the wrong shape or kind fail here, not on the first item
        check_text = render(method.design(params, space, "", 0), space)
        compile_text(check_text, "<designed team>", levels=space.levels,
                     default_level=space.default_level)
    except Exception as exc:  # noqa: BLE001 - whatever the damage, the remedy is the same
        raise Error(f"{folder}: {PARAMS} does not fit a {method.name} designer "
                    f"({type(exc).__name__}: {exc})", "train it again with `lemonc design`"
                    ) from None
    digest = hashlib.sha256((json.dumps(manifest, sort_keys=True) + params_text).encode())
    return Saved(folder, manifest, method, params, space, digest.hexdigest()[:16])


def _check(folder: Path, manifest: Any, expect_method: str | None = None) -> None:
    """Refuse a folder of another format, method, method version or lemonspec version."""
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise Error(f"{folder}/{MANIFEST} is not a designer manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise Error(f"{folder} is a designer of format version "
                    f"{manifest.get('format_version')}; this lemonspec reads {FORMAT_VERSION}",
                    "train it again with this version's `lemonc design`")
    name = manifest.get("method")
    if name not in METHODS:
        raise Error(f"{folder} holds a designer of unknown method {name!r}",
                    f"the methods are {', '.join(sorted(METHODS))}")
    if expect_method is not None and name != expect_method:
        raise Error(f"{folder} already holds a {name} designer, not {expect_method}",
                    "give another --out folder, or delete this one")
    current = load_method(name).version
    if manifest.get("method_version") != current:
        raise Error(f"{folder} holds a {name} designer of version "
                    f"{manifest.get('method_version')}; this lemonspec has version {current}",
                    f"train it again: lemonc design {name} ... --out {folder}")
    if manifest.get("lemonspec_version") != lemonspec_version():
        raise Error(f"{folder} was trained by lemonspec {manifest.get('lemonspec_version')}; "
                    f"this is {lemonspec_version()}",
                    f"train it again with this version: lemonc design {name} ... --out DIR")


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Error(f"cannot read {path}: {exc}", "train the designer again") from None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise Error(f"{path} is not JSON ({exc})", "train the designer again") from None


def check_fits(saved: Saved, dataset: str) -> str | None:
    """Refuse to evaluate a designer on a dataset whose role pool or answer format differs
    from the one it was trained for (its teams would be scored on the wrong form); a note
    when it is another dataset of the same kind (transfer, as the papers also report)."""
    from lemonspec.benchmarks.baselines import TASKS
    from lemonspec.designers.space import SIMULATOR

    trained = saved.space
    if dataset == trained.dataset:
        return None
    if dataset not in TASKS and dataset != SIMULATOR:
        return (f"note: {saved.folder} was trained on {trained.dataset}; its teams keep that "
                "dataset's goal and answer format")
    target = Space.for_dataset(dataset, trained.levels, trained.default_level)
    if (target.family, target.answer_format) != (trained.family, trained.answer_format):
        raise Error(f"{saved.folder} was trained on {trained.dataset} (role pool "
                    f"{trained.family}); {dataset} needs the {target.family} pool and "
                    "another answer format",
                    f"train a designer on {dataset}: lemonc design "
                    f"{saved.method.name} --dataset {dataset} --out DIR")
    return (f"note: {saved.folder} was trained on {trained.dataset}; evaluating it on "
            f"{dataset} measures transfer")


@attrs.frozen
class DesignerWriter:
    """A saved designer as a team writer for the orchestrated evaluation: it reads each
    item's query (not the orchestrator prompt) and writes its team; no language model, so
    no design tokens."""

    saved: Saved
    decoding: Decoding = attrs.field(factory=Decoding)
    kind = "designer"
    reads_query = True  # orchestrated.write_teams hands it the item's prompt

    @property
    def label(self) -> str:
        return self.saved.method.name

    @property
    def identity(self) -> Mapping[str, Any]:
        return {"method": self.saved.method.name, "designer": self.saved.digest}

    def write(self, prompt: str, scope: Any, *, seed: int) -> list[WrittenTeam]:
        design = self.saved.method.design(self.saved.params, self.saved.space, prompt, seed)
        text = render(design, self.saved.space, name=self.saved.method.name)
        return [WrittenTeam(text, True, 0, 0, "designed")]
