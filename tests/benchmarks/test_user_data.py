"""`lemonc bench --dataset PATH.jsonl|.csv`: the user's own data, with the question, answer
and id fields named by options and a scorer chosen by name; anything unusable is refused
with the file, line and field named (exit 2). Fixtures: tests/benchmarks/data."""

import itertools
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lemonspec.benchmarks import Error
from lemonspec.benchmarks.bench import read_results
from lemonspec.benchmarks.datasets import is_data_file, load_file
from lemonspec.cli import main
from lemonspec.runtime import ScriptedModel

DATA = Path(__file__).parent / "data"
COT = Path(__file__).resolve().parents[2] / "examples" / "baselines" / "gsm8k" / "cot.lemon"
_names = itertools.count()


def arith(**options):
    return load_file(DATA / "arith.jsonl", question_field="problem", answer_field="solution",
                     **options)


def test_jsonl_items_take_the_named_fields_and_normalise_numbers():
    items = arith(id_field="qid")
    assert [i.id for i in items] == ["arith/sum-1", "arith/sum-2", "arith/half", "arith/big",
                                     "arith/neg"]
    assert [i.answer for i in items] == ["5", "14", "1.5", "2000", "-5"]
    assert items[0].prompt == "What is 2 plus 3?" and items[0].kind == "number"
    assert [i.id for i in arith()][:2] == ["arith/0", "arith/1"]  # no id field: positions


def test_limit_keeps_a_seeded_subset():
    assert [i.id for i in arith(limit=2, seed=3)] == [i.id for i in arith(limit=2, seed=3)]
    assert {i.id for i in arith(limit=2)} <= {i.id for i in arith(limit=4)}


def test_csv_with_the_exact_scorer():
    items = load_file(DATA / "capitals.csv", id_field="id", scorer="exact")
    assert [(i.id, i.answer, i.kind) for i in items] == [
        ("capitals/fr", "Paris", "exact"), ("capitals/it", "Rome", "exact"),
        ("capitals/jp", "Tokyo", "exact")]
    assert items[2].prompt == "Capital of Japan, in one word?"  # a quoted comma stays


def test_choice_gold_must_be_a_letter(tmp_path):
    path = tmp_path / "quiz.jsonl"
    path.write_text('{"question": "Pick one. A) x B) y", "answer": "(b)"}\n'
                    '{"question": "Again", "answer": "maybe"}\n')
    with pytest.raises(Error, match=r"quiz.jsonl:2: the answer 'maybe' is not a choice letter"):
        load_file(path, scorer="choice")
    path.write_text('{"question": "Pick one. A) x B) y", "answer": "(b)"}\n')
    assert load_file(path, scorer="choice")[0].answer == "B"


@pytest.mark.parametrize("content, options, message", [
    ('{"question": "q", "answer": "1"}\n', {"question_field": "problem"},
     r"data.jsonl:1: no field 'problem'; the record has 'question', 'answer'"),
    ('{"question": "q", "answr": "1"}\n', {},
     r"no field 'answer'.*\nhint: did you mean 'answr'\?"),
    ('{"question": "q", "answer": "ten"}\n', {}, r"data.jsonl:1: the answer 'ten' is not a number"),
    ('{"question": "q", "answer": "1"}\nnot json\n', {}, r"data.jsonl:2: not valid JSON"),
    ('{"question": "q", "answer": "1", "k": 1}\n{"question": "r", "answer": "2", "k": 1}\n',
     {"id_field": "k"}, r"data.jsonl:2: the id '1' is also at .*data.jsonl:1"),
    ('{"question": " ", "answer": "1"}\n', {}, r"data.jsonl:1: the field 'question' is empty"),
    ("", {}, r"data.jsonl holds no records"),
])
def test_unusable_data_is_named(tmp_path, content, options, message):
    path = tmp_path / "data.jsonl"
    path.write_text(content)
    with pytest.raises(Error, match=message):
        load_file(path, **options)


def test_a_missing_or_foreign_file_is_named(tmp_path):
    with pytest.raises(Error, match="no data file"):
        load_file(tmp_path / "none.jsonl")
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(Error, match="must be .jsonl or .csv"):
        load_file(tmp_path / "x.txt")
    with pytest.raises(Error, match="unknown scorer 'fuzzy'"):
        load_file(DATA / "arith.jsonl", scorer="fuzzy")


def test_names_and_paths_are_told_apart():
    assert not is_data_file("gsm8k") and is_data_file("mine.jsonl") and is_data_file("a/b.csv")
    assert is_data_file(str(DATA / "arith.jsonl"))


def bench(*args):
    return CliRunner().invoke(main, ["bench", *map(str, args)], catch_exceptions=False)


def test_bench_runs_a_fixed_team_on_the_users_file(tmp_path):
    def rule(call):  # right except for "half of 3"
        answers = {"2 plus 3": "5", "10 plus 4": "14", "1,000": "2,000", "2 minus": "−5"}
        return "Answer: " + next((v for k, v in answers.items() if k in call.user), "0")

    model = ScriptedModel(f"user{next(_names)}", rule).model
    out = tmp_path / "mine.jsonl"
    result = bench(COT, "--dataset", DATA / "arith.jsonl", "--question-field", "problem",
                   "--answer-field", "solution", "--id-field", "qid", "--model", model,
                   "--out", out)
    assert result.exit_code == 0, result.output
    results = read_results(out)
    assert results.key.dataset == "arith.jsonl" and results.key.split.startswith("file-")
    assert {i for i, r in results.items.items() if not r["correct"]} == {"arith/half"}
    assert "80.0 [37.6, 96.4]" in result.output


def _cot_answering(tmp_path, answer_type: str) -> Path:
    """The GSM8K CoT baseline with another answer type (or none, for "")."""
    spec = tmp_path / "cot.lemon"
    line = f"    answer: {answer_type}\n" if answer_type else ""
    spec.write_text(COT.read_text().replace("    answer: number\n", line))
    return spec


@pytest.mark.parametrize("answer_type", ["", "text"])
def test_bench_with_the_exact_scorer(tmp_path, answer_type):
    model = ScriptedModel(f"user{next(_names)}",
                          lambda call: "Thinking...\nAnswer: paris." if "France" in call.user
                          else "Answer: Milan").model
    out = tmp_path / "capitals.jsonl"
    result = bench(_cot_answering(tmp_path, answer_type), "--dataset", DATA / "capitals.csv",
                   "--scorer", "exact", "--model", model, "--out", out)
    assert result.exit_code == 0, result.output
    # by id: items run concurrently, so the file holds them in the order they finished
    correct = {i: r["correct"] for i, r in read_results(out).items.items()}
    assert correct == {"capitals/0": True, "capitals/1": False, "capitals/2": False}


def test_bench_with_a_label_team_reads_and_judges_labels(tmp_path):
    """A team declaring labels on exact-scored data: answers are read as labels (in any
    case) and judged as text."""
    data = tmp_path / "yn.jsonl"
    rows = [{"question": "Is 4 even?", "answer": "yes"}, {"question": "Is 3 even?", "answer": "no"}]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    fake = ScriptedModel(f"user{next(_names)}", lambda call: "Thinking... I'd say YES.")
    model = fake.model
    out = tmp_path / "yn_out.jsonl"
    result = bench(_cot_answering(tmp_path, 'label("yes", "no")'), "--dataset", data,
                   "--scorer", "exact", "--model", model, "--out", out)
    assert result.exit_code == 0, result.output
    records = read_results(out).items  # by item id, in the order the runs finished
    assert {i: (r["answer"], r["correct"]) for i, r in records.items()} == {
        "yn/0": ("yes", True), "yn/1": ("yes", False)}
    told = "'Answer: <label>', the label being one of \"yes\", \"no\"."
    assert fake.calls and all(told in call.messages[0]["content"] for call in fake.calls)


def test_bench_refuses_a_declared_type_the_data_is_not(tmp_path):
    """The number baseline on free-text golds: exit 2 before any item runs, naming both
    types and the way out."""
    model = ScriptedModel(f"user{next(_names)}", lambda call: "Answer: Paris").model
    out = tmp_path / "capitals.jsonl"
    result = bench(COT, "--dataset", DATA / "capitals.csv", "--scorer", "exact", "--model",
                   model, "--out", out)
    assert result.exit_code == 2
    assert ("team 'cot' declares `answer: number` but capitals.csv's answers are text: "
            "declare `answer: text` or remove the `answer` item") in result.output
    assert not out.exists() or read_results(out).items == {}


def test_bench_refuses_a_bad_field_with_exit_2(tmp_path):
    result = bench(COT, "--dataset", DATA / "arith.jsonl", "--out", tmp_path / "o.jsonl")
    assert result.exit_code == 2
    assert "no field 'question'; the record has 'qid', 'problem', 'solution'" in result.output


def test_a_changed_file_is_another_run(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"question": "1+1?", "answer": "2"}) + "\n")
    model = ScriptedModel(f"user{next(_names)}", lambda call: "Answer: 2").model
    out = tmp_path / "o.jsonl"
    assert bench(COT, "--dataset", data, "--model", model, "--out", out).exit_code == 0
    data.write_text(json.dumps({"question": "1+1?", "answer": "3"}) + "\n")
    again = bench(COT, "--dataset", data, "--model", model, "--out", out)
    assert again.exit_code == 2 and "different run" in again.output


def test_a_choice_list_that_misses_gold_letters_warns(tmp_path):
    data = tmp_path / "quiz.jsonl"
    rows = [{"question": "Pick one. A) x B) y", "answer": "B"},
            {"question": "Pick one. A) x B) y C) z D) w E) v", "answer": "E"}]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    spec = _cot_answering(tmp_path, "choice(A, B, C, D)")
    model = ScriptedModel(f"user{next(_names)}", lambda call: "Answer: B").model
    result = bench(spec, "--dataset", data, "--scorer", "choice", "--model", model,
                   "--out", tmp_path / "quiz_out.jsonl")
    assert result.exit_code == 0, result.output
    assert ("warning: team 'cot' declares `answer: choice(A, B, C, D)` but some gold answers "
            "of quiz.jsonl are E, which it can never give") in result.output
