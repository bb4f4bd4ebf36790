"""Loaders for the six benchmarks of the LEMON paper, from their native files.

`load(name, split)` returns frozen `Item`s: the prompt a worker sees, the normalized gold
answer and its kind. Files are looked for under, in order: the `path` argument (and nowhere
else when it is given); the folder named by LEMONSPEC_DATA; any `shared/datasets` folder
above the working directory or above this package. Only when none has the files is the
Hugging Face hub asked. The file layouts are those of /work/shared/datasets/README.md.
"""

from __future__ import annotations

import csv
import difflib
import gzip
import hashlib
import json
import os
import socket
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal, cast
from urllib.parse import urlparse

import attrs

from lemonspec.benchmarks.errors import Error
from lemonspec.errors import require_extra
from lemonspec.runtime.answers import LETTERS, format_number

Kind = Literal["number", "choice", "code", "exact"]
DATA_ENV = "LEMONSPEC_DATA"
_DATA_HINT = (
    "set LEMONSPEC_DATA (or pass lemonc bench --data PATH) to a folder holding the benchmark "
    "folders (gsm8k/, svamp/, multiarith/, aqua/, mmlu/, humaneval/); with network access "
    "they come from the Hugging Face hub (pip install 'lemonspec[bench]')"
)


@attrs.frozen
class CodeTest:
    """The gold of a HumanEval item: its test code and the function that `check` receives."""

    test: str
    entry_point: str


@attrs.frozen
class Item:
    dataset: str
    id: str  # stable across runs and machines, e.g. "gsm8k/test/17"
    prompt: str  # as a worker should see it, options included
    answer: str | CodeTest  # "1234" / "0.5" for numbers, "B" for choices, tests for code
    kind: Kind
    options: tuple[str, ...] = ()  # choice texts, in letter order, without their letters
    meta: dict = attrs.field(factory=dict, hash=False)


@attrs.frozen
class _Row:
    """One record of a native file, with where it came from for error messages."""

    where: str  # "path:line" or "path: item N"
    index: int  # position within its file
    record: Mapping


@attrs.frozen
class _Hub:
    name: str
    config: str | None
    splits: Mapping[str, tuple[str, ...]]  # our split -> hub splits, concatenated
    to_native: Callable[[list[dict]], list[_Row]]


@attrs.frozen
class _Benchmark:
    files: Mapping[str, str]  # split -> path under the data root (a glob for MMLU)
    read: Callable[[Path], Iterable[_Row]]
    to_item: Callable[[str, _Row], Item]  # (split, row) -> Item
    hub: _Hub


# ---- reading native files: each yields rows that say where they came from ----


def _read_jsonl(path: Path) -> Iterator[_Row]:
    opener = gzip.open if path.suffix == ".gz" else open
    index = 0
    with opener(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise Error(f"{where}: not valid JSON ({error.msg})") from None
            yield _Row(where, index, _as_object(record, where))
            index += 1


def _read_json_array(path: Path) -> Iterator[_Row]:
    with open(path, encoding="utf-8") as file:
        try:
            records = json.load(file)
        except json.JSONDecodeError as error:
            raise Error(f"{path}:{error.lineno}: not valid JSON ({error.msg})") from None
    if not isinstance(records, list):
        raise Error(f"{path}: expected a JSON array of records")
    for index, record in enumerate(records):
        where = f"{path}: item {index}"
        yield _Row(where, index, _as_object(record, where))


def _read_mmlu_csvs(pattern: Path) -> Iterator[_Row]:
    header = ["question", "choice0", "choice1", "choice2", "choice3", "answer"]
    suffix = pattern.name.removeprefix("*")  # "_test.csv"
    for path in sorted(pattern.parent.glob(pattern.name)):
        subject = path.name.removesuffix(suffix)
        with open(path, encoding="utf-8", newline="") as file:
            reader = csv.reader(file)
            if next(reader, None) != header:
                raise Error(f"{path}:1: expected the header {','.join(header)}")
            for index, fields in enumerate(reader):
                where = f"{path}:{reader.line_num}"
                if len(fields) != len(header):
                    raise Error(f"{where}: expected {len(header)} fields, found {len(fields)}")
                yield _Row(where, index, dict(zip(header, fields)) | {"subject": subject})


def _as_object(record: object, where: str) -> Mapping:
    if not isinstance(record, dict):
        raise Error(f"{where}: expected a JSON object, found {type(record).__name__}")
    return record


def _field(row: _Row, name: str):
    try:
        return row.record[name]
    except KeyError:
        raise Error(f"{row.where}: missing field {name!r}") from None


def _number(row: _Row, value: object) -> str:
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise Error(f"{row.where}: the answer {value!r} is not a number")
    return format_number(number)


def _lettered(question: str, options: Iterable[str]) -> str:
    lines = [f"{letter}) {text}" for letter, text in zip(LETTERS, options)]
    return "\n".join([question.strip(), *lines])


# ---- from a native record to an Item, one function per benchmark ----


def _gsm8k_item(split: str, row: _Row) -> Item:
    solution = str(_field(row, "answer"))
    if "#### " not in solution:
        raise Error(f"{row.where}: the answer has no '#### ' line with the final answer")
    gold = _number(row, solution.rsplit("#### ", 1)[1])
    return Item(
        "gsm8k", f"gsm8k/{split}/{row.index}", str(_field(row, "question")).strip(), gold,
        "number", meta={"solution": solution},
    )


def _svamp_item(split: str, row: _Row) -> Item:
    body, question = str(_field(row, "Body")).strip(), str(_field(row, "Question")).strip()
    return Item(
        "svamp", f"svamp/{split}/{_field(row, 'ID')}", f"{body} {question}",
        _number(row, _field(row, "Answer")), "number",
        meta={"equation": row.record.get("Equation"), "type": row.record.get("Type")},
    )


def _multiarith_item(split: str, row: _Row) -> Item:
    solutions = _field(row, "lSolutions")
    if not isinstance(solutions, list) or len(solutions) != 1:
        raise Error(f"{row.where}: expected 'lSolutions' to hold exactly one number")
    return Item(
        "multiarith", f"multiarith/{split}/{_field(row, 'iIndex')}",
        str(_field(row, "sQuestion")).strip(), _number(row, solutions[0]), "number",
        meta={"equations": row.record.get("lEquations")},
    )


def _aqua_item(split: str, row: _Row) -> Item:
    options = tuple(_aqua_option(row, letter, text)
                    for letter, text in zip(LETTERS, _field(row, "options"), strict=False))
    correct = str(_field(row, "correct")).strip()
    if len(options) != 5 or correct not in LETTERS:
        raise Error(f"{row.where}: expected 5 options A-E and a correct letter, found "
                    f"{len(options)} options and {correct!r}")
    question = str(_field(row, "question"))
    return Item(
        "aqua", f"aqua/{split}/{row.index}", _lettered(question, options), correct, "choice",
        options, meta={"rationale": row.record.get("rationale")},
    )


def _aqua_option(row: _Row, letter: str, text: str) -> str:
    """"A)21" -> "21"; the letter must be the one of its position."""
    head, paren, rest = str(text).partition(")")
    if not paren or head.strip() != letter:
        raise Error(f"{row.where}: option {text!r} should start with '{letter})'")
    return rest.strip()


def _mmlu_item(split: str, row: _Row) -> Item:
    options = tuple(str(_field(row, f"choice{i}")).strip() for i in range(4))
    answer = str(_field(row, "answer")).strip()
    if answer not in ("0", "1", "2", "3"):
        raise Error(f"{row.where}: the answer {answer!r} should be 0-3")
    subject = str(_field(row, "subject"))
    return Item(
        "mmlu", f"mmlu/{split}/{subject}/{row.index}",
        _lettered(str(_field(row, "question")), options), LETTERS[int(answer)], "choice",
        options, meta={"subject": subject},
    )


def _humaneval_item(split: str, row: _Row) -> Item:
    task_id = str(_field(row, "task_id"))
    gold = CodeTest(test=str(_field(row, "test")), entry_point=str(_field(row, "entry_point")))
    return Item(
        "humaneval", f"humaneval/{split}/{task_id.rsplit('/', 1)[-1]}",
        str(_field(row, "prompt")), gold, "code",
        meta={"task_id": task_id, "canonical_solution": row.record.get("canonical_solution")},
    )


# ---- hub rows to native records, so that one converter serves both sources ----


def _hub_rows(rows: list[dict]) -> list[_Row]:
    return [_Row(f"hub row {i}", i, row) for i, row in enumerate(rows)]


def _hub_multiarith(rows: list[dict]) -> list[_Row]:
    native = [{"iIndex": i, "sQuestion": r["question"], "lSolutions": [r["final_ans"]]}
              for i, r in enumerate(rows)]
    return _hub_rows(native)


def _hub_mmlu(rows: list[dict]) -> list[_Row]:
    seen: dict[str, int] = {}
    result = []
    for i, row in enumerate(rows):
        index = seen[row["subject"]] = seen.get(row["subject"], -1) + 1
        choices = {f"choice{k}": text for k, text in enumerate(row["choices"])}
        record = {"question": row["question"], "answer": row["answer"],
                  "subject": row["subject"], **choices}
        result.append(_Row(f"hub row {i}", index, record))
    return result


BENCHMARKS: Mapping[str, _Benchmark] = {
    "gsm8k": _Benchmark(
        {"test": "gsm8k/test.jsonl", "train": "gsm8k/train.jsonl"}, _read_jsonl, _gsm8k_item,
        _Hub("openai/gsm8k", "main", {"test": ("test",), "train": ("train",)}, _hub_rows),
    ),
    "svamp": _Benchmark(
        {"test": "svamp/SVAMP.json"}, _read_json_array, _svamp_item,
        # The hub splits SVAMP's 1000 problems 700/300; all 1000 are the usual test set.
        _Hub("ChilleD/SVAMP", None, {"test": ("train", "test")}, _hub_rows),
    ),
    "multiarith": _Benchmark(
        {"test": "multiarith/MultiArith.json"}, _read_json_array, _multiarith_item,
        _Hub("ChilleD/MultiArith", None, {"test": ("train", "test")}, _hub_multiarith),
    ),
    "aqua": _Benchmark(
        {"test": "aqua/test.json", "dev": "aqua/dev.json"}, _read_jsonl, _aqua_item,
        _Hub("deepmind/aqua_rat", "raw", {"test": ("test",), "dev": ("validation",)}, _hub_rows),
    ),
    "mmlu": _Benchmark(
        {"test": "mmlu/test/*_test.csv", "dev": "mmlu/dev/*_dev.csv"}, _read_mmlu_csvs,
        _mmlu_item, _Hub("cais/mmlu", "all", {"test": ("test",), "dev": ("dev",)}, _hub_mmlu),
    ),
    "humaneval": _Benchmark(
        {"test": "humaneval/HumanEval.jsonl.gz"}, _read_jsonl, _humaneval_item,
        _Hub("openai/openai_humaneval", None, {"test": ("test",)}, _hub_rows),
    ),
}
NAMES = tuple(BENCHMARKS)
SPLITS: Mapping[str, tuple[str, ...]] = {name: tuple(b.files) for name, b in BENCHMARKS.items()}


# ---- the public entry point ----


def load(
    name: str,
    split: str = "test",
    *,
    path: str | os.PathLike | None = None,
    limit: int | None = None,
    seed: int = 0,
) -> list[Item]:
    """The items of one benchmark split, in file order.

    `limit` keeps a seeded sample of that many items (still in file order): the same seed
    and limit always give the same items, and a smaller limit gives a subset of a larger one.
    """
    benchmark = _benchmark(name, split)
    if limit is not None and limit < 0:
        raise Error(f"limit must be 0 or more, not {limit}")
    rows = _local_rows(name, split, benchmark, path)
    if rows is None:
        rows = _hub_load(name, split, benchmark.hub)
    items = [benchmark.to_item(split, row) for row in rows]
    return _sample(items, limit, seed)


def _benchmark(name: str, split: str) -> _Benchmark:
    if name not in BENCHMARKS:
        close = difflib.get_close_matches(name, NAMES, n=1)
        hint = f"did you mean {close[0]!r}?" if close else None
        raise Error(f"unknown benchmark {name!r}; known: {', '.join(NAMES)}", hint)
    if split not in SPLITS[name]:
        raise Error(f"{name} has no split {split!r}; valid splits: {', '.join(SPLITS[name])}")
    return BENCHMARKS[name]


def _sample(items: list[Item], limit: int | None, seed: int) -> list[Item]:
    if limit is None or limit >= len(items):
        return items

    def rank(item: Item) -> bytes:  # by id, so the sample does not depend on file order
        return hashlib.sha256(f"{seed}:{item.id}".encode()).digest()

    chosen = {item.id for item in sorted(items, key=rank)[:limit]}
    return [item for item in items if item.id in chosen]


# ---- the user's own data ----

USER_FORMATS = (".jsonl", ".csv")


def is_data_file(dataset: str) -> bool:
    """Whether --dataset names a file of the user's (else a benchmark's name)."""
    return dataset not in BENCHMARKS and (Path(dataset).suffix.lower() in USER_FORMATS
                                          or os.sep in dataset or Path(dataset).is_file())


def load_file(
    path: str | os.PathLike,
    *,
    question_field: str = "question",
    answer_field: str = "answer",
    id_field: str | None = None,
    scorer: str = "number",
    limit: int | None = None,
    seed: int = 0,
) -> list[Item]:
    """Items from the user's JSONL or CSV file: one record per line (row), the prompt in
    `question_field`, the gold answer in `answer_field`, compared as `scorer` (number,
    choice, exact). Ids are `STEM/ID` with ID from `id_field`, else the record's position.
    Raises Error naming the file, line and field for anything that cannot be used."""
    from lemonspec.runtime.answers import SCORERS

    path = Path(path)
    if scorer not in SCORERS:
        raise Error(f"unknown scorer {scorer!r}; choose one of {', '.join(SCORERS)}")
    if path.suffix.lower() not in USER_FORMATS:
        raise Error(f"{path}: a data file must be .jsonl or .csv")
    if not path.is_file():
        raise Error(f"no data file {path}", "give the path of a .jsonl or .csv file")
    rows = list(_read_jsonl(path) if path.suffix.lower() == ".jsonl" else _read_csv(path))
    if not rows:
        raise Error(f"{path} holds no records")
    fields = [question_field, answer_field, *([id_field] if id_field else [])]
    for field in fields:  # name a missing field once, with what the file does have
        if field not in rows[0].record:
            have = list(rows[0].record)
            close = difflib.get_close_matches(field, have, n=1)
            raise Error(f"{rows[0].where}: no field {field!r}; the record has "
                        f"{', '.join(map(repr, have))}",
                        f"did you mean {close[0]!r}?" if close else
                        "name the fields with --question-field, --answer-field, --id-field")
    stem, items = path.stem, []
    seen: dict[str, str] = {}  # id -> where it was first
    kind = cast(Kind, scorer)  # checked against SCORERS above
    for row in rows:
        key = str(_field(row, id_field)).strip() if id_field else str(row.index)
        if key in seen:
            raise Error(f"{row.where}: the id {key!r} is also at {seen[key]}",
                        "ids must be unique: pick another --id-field, or none")
        seen[key] = row.where
        question = str(_field(row, question_field)).strip()
        if not question:
            raise Error(f"{row.where}: the field {question_field!r} is empty")
        items.append(Item(stem, f"{stem}/{key}", question,
                          _user_gold(row, _field(row, answer_field), scorer), kind))
    return _sample(items, limit, seed)


def _read_csv(path: Path) -> Iterator[_Row]:
    with open(path, encoding="utf-8-sig", newline="") as file:
        reader = csv.DictReader(file)
        for index, record in enumerate(reader):
            where = f"{path}:{reader.line_num}"
            if None in record:  # more cells than the header has names
                raise Error(f"{where}: more fields than the header line names")
            yield _Row(where, index, record)


def _user_gold(row: _Row, value: object, scorer: str) -> str:
    if value is None or not str(value).strip():
        raise Error(f"{row.where}: the answer is empty")
    if scorer == "number":
        return _number(row, value)
    text = str(value).strip()
    if scorer == "choice":
        letter = text.strip("()").upper()
        if letter not in LETTERS or len(letter) != 1:
            raise Error(f"{row.where}: the answer {value!r} is not a choice letter "
                        f"({', '.join(LETTERS)})", "use --scorer exact for free-text answers")
        return letter
    return text


def data_fingerprint(path: str | os.PathLike, **options: object) -> str:
    """What identifies a run's data from a user file: its content and how it is read."""
    content = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return hashlib.sha256(json.dumps([content, options], sort_keys=True).encode()).hexdigest()[:16]


# ---- finding the files ----


def data_roots(path: str | os.PathLike | None = None) -> list[Path]:
    """The folders searched for benchmark files, in order."""
    if path is not None:
        return [Path(path).expanduser()]
    roots = [Path(os.environ[DATA_ENV]).expanduser()] if os.environ.get(DATA_ENV) else []
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        roots += [folder / "shared" / "datasets" for folder in (start, *start.parents)]
    return list(dict.fromkeys(roots))


def _local_rows(
    name: str, split: str, benchmark: _Benchmark, path: str | os.PathLike | None
) -> list[_Row] | None:
    relative = Path(benchmark.files[split])
    for root in data_roots(path):
        found = _find(root, relative)
        if found is not None:
            return list(benchmark.read(found))
    if path is None:
        return None
    root = Path(path)
    problem = "does not exist" if not root.exists() else f"holds no {relative}"
    raise Error(f"no {name} {split} data: {root} {problem}", _DATA_HINT)


def _find(root: Path, relative: Path) -> Path | None:
    """The file (or MMLU glob) for `relative` under a data root, under the benchmark's own
    folder given as root, or the root itself when it is the file."""
    for candidate in (root / relative, root / Path(*relative.parts[1:])):
        if "*" in candidate.name:
            if any(candidate.parent.glob(candidate.name)):
                return candidate
        elif candidate.is_file():
            return candidate
    return root if root.is_file() and "*" not in relative.name else None


def _hub_load(name: str, split: str, hub: _Hub) -> list[_Row]:
    where = f"the Hugging Face hub ({hub.name})"
    if not _hub_reachable():
        env = os.environ.get(DATA_ENV) or f"{DATA_ENV} (unset)"
        searched = f"{env} and every shared/datasets folder above {Path.cwd()} and the package"
        raise Error(
            f"no local {name} data found (looked in {searched}) and {where} is unreachable",
            _DATA_HINT,
        )
    require_extra("bench", "datasets")
    try:
        import datasets  # slow to import, and only needed here

        rows = [dict(row) for hub_split in hub.splits[split]
                for row in datasets.load_dataset(hub.name, hub.config, split=hub_split)]
    except Exception as error:  # noqa: BLE001 - any failure of the hub means the same to the user
        raise Error(f"could not load {name} from {where}: {error}", _DATA_HINT) from None
    return hub.to_native(rows)


def _hub_reachable() -> bool:
    """Quick check, so that an offline user waits seconds, not the hub client's retries."""
    if any(os.environ.get(v) for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")):
        return True  # the user wants the local hub cache
    host = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname
    try:
        socket.create_connection((host, 443), timeout=3).close()
    except OSError:
        return False
    return True
