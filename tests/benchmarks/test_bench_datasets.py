"""Loaders: counts, ids, prompts, gold answers, subsets, data roots and error messages."""

import gzip
import json
import pickle
import shutil
import sys
import types

import pytest

from lemonspec.benchmarks import CodeTest, Error, load
from lemonspec.benchmarks import datasets as loader
from tests.benchmark_data import FIXTURES, FULL, needs_full_data

DATA = FULL or FIXTURES  # whole splits when there is a full copy, else the samples

COUNTS = [
    ("gsm8k", "test", 1319), ("gsm8k", "train", 7473), ("svamp", "test", 1000),
    ("multiarith", "test", 600), ("aqua", "test", 254), ("aqua", "dev", 254),
    ("humaneval", "test", 164), ("mmlu", "test", 14042), ("mmlu", "dev", 285),
]


@needs_full_data
@pytest.mark.parametrize("name, split, count", COUNTS)
def test_counts_match_the_readme_and_ids_are_unique(name, split, count):
    items = load(name, split)
    assert len(items) == count
    assert len({item.id for item in items}) == count
    assert all(item.dataset == name and item.id.startswith(f"{name}/{split}/") for item in items)


@needs_full_data
def test_math_gold_answers_are_normalized_numbers():
    gsm8k = load("gsm8k")
    assert gsm8k[0].answer == "18" and gsm8k[0].kind == "number"
    assert "2125" in {item.answer for item in gsm8k}  # written "#### 2,125" in the file
    assert all("," not in item.answer for item in gsm8k)
    svamp = load("svamp")[0]
    assert (svamp.id, svamp.answer) == ("svamp/test/chal-1", "51")  # 51.0 in the file
    assert svamp.prompt.startswith("Each pack of dvds costs 76 dollars.")
    assert svamp.prompt.endswith("How much do you have to pay to buy each pack?")
    multiarith = load("multiarith")[0]
    assert multiarith.answer == "39" and multiarith.prompt == multiarith.prompt.strip()


def test_choice_items_show_lettered_options_and_gold_letters():
    aqua = load("aqua")[1]
    assert aqua.answer == "E" and aqua.kind == "choice"
    assert aqua.options == ("$61", "$65", "$67.40", "$70", "$78.20")
    assert aqua.prompt.splitlines()[-5:] == ["A) $61", "B) $65", "C) $67.40", "D) $70", "E) $78.20"]
    mmlu = load("mmlu")[0]
    assert mmlu.id == "mmlu/test/abstract_algebra/0" and mmlu.meta["subject"] == "abstract_algebra"
    assert mmlu.answer == "B" and mmlu.options == ("0", "4", "2", "6")
    assert "\nA) 0\nB) 4\nC) 2\nD) 6" in mmlu.prompt
    assert {item.answer for item in load("mmlu", "dev")} == set("ABCD")


def test_humaneval_items_carry_prompt_tests_and_entry_point():
    item = load("humaneval")[0]
    assert item.id == "humaneval/test/0" and item.kind == "code"
    assert item.prompt.startswith("from typing import List")
    assert isinstance(item.answer, CodeTest) and item.answer.entry_point == "has_close_elements"
    assert "def check(candidate)" in item.answer.test


def test_items_are_frozen_hashable_and_pickle():
    item = load("aqua")[0]
    with pytest.raises(AttributeError):
        item.answer = "B"
    assert hash(item) == hash(pickle.loads(pickle.dumps(item)))
    assert pickle.loads(pickle.dumps(item)) == item


@needs_full_data
def test_limit_and_seed_give_a_stable_nested_sample_in_file_order():
    everything = [item.id for item in load("gsm8k")]
    ten = [item.id for item in load("gsm8k", limit=10, seed=1)]
    assert ten == [item.id for item in load("gsm8k", limit=10, seed=1)]
    assert len(ten) == 10 and ten == sorted(ten, key=everything.index)
    assert set(ten) != {item.id for item in load("gsm8k", limit=10, seed=2)}
    assert {item.id for item in load("gsm8k", limit=5, seed=1)} <= set(ten)
    assert len(load("svamp", limit=5000)) == 1000
    assert load("svamp", limit=0) == []


def test_unknown_split_lists_the_valid_ones():
    with pytest.raises(Error) as error:
        load("mmlu", "train")
    assert "mmlu has no split 'train'" in str(error.value)
    assert "test, dev" in str(error.value)


def test_unknown_benchmark_suggests_the_closest_name():
    with pytest.raises(Error) as error:
        load("gsm8", "test")
    assert "did you mean 'gsm8k'" in str(error.value)


def test_a_bad_path_is_a_clear_error(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(Error) as error:
        load("gsm8k", path=missing)
    assert str(missing) in error.value.message and "does not exist" in error.value.message
    assert "--data" in error.value.hint and "LEMONSPEC_DATA" in error.value.hint
    with pytest.raises(Error, match="holds no gsm8k/test.jsonl"):
        load("gsm8k", path=tmp_path)


def test_a_user_path_is_used_as_root_as_benchmark_folder_or_as_file(tmp_path):
    folder = tmp_path / "gsm8k"
    folder.mkdir()
    lines = (DATA / "gsm8k" / "test.jsonl").read_text(encoding="utf-8").splitlines()[:5]
    (folder / "test.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for path in (tmp_path, folder, folder / "test.jsonl"):
        items = load("gsm8k", path=path)
        assert [item.id for item in items] == [f"gsm8k/test/{i}" for i in range(5)]
    shutil.copytree(DATA / "mmlu" / "dev", tmp_path / "mmlu" / "dev")
    assert len(load("mmlu", "dev", path=tmp_path)) == len(load("mmlu", "dev", path=DATA))


def test_the_environment_variable_comes_before_the_default_roots(tmp_path, monkeypatch):
    (tmp_path / "humaneval").mkdir()
    with gzip.open(DATA / "humaneval" / "HumanEval.jsonl.gz", "rt") as source:
        first_two = [next(source), next(source)]
    with gzip.open(tmp_path / "humaneval" / "HumanEval.jsonl.gz", "wt") as target:
        target.writelines(first_two)
    monkeypatch.setenv("LEMONSPEC_DATA", str(tmp_path))
    assert loader.data_roots()[0] == tmp_path
    assert len(load("humaneval")) == 2


def test_a_broken_jsonl_line_is_named_by_file_and_line(tmp_path):
    good = json.dumps({"question": "q", "answer": "a\n#### 3"})
    (tmp_path / "test.jsonl").write_text(f"{good}\n{good}\n{{not json\n")
    with pytest.raises(Error, match=r"test\.jsonl:3: not valid JSON"):
        load("gsm8k", path=tmp_path / "test.jsonl")


def test_a_missing_final_answer_is_named_by_file_and_line(tmp_path):
    (tmp_path / "test.jsonl").write_text(json.dumps({"question": "q", "answer": "42"}) + "\n")
    with pytest.raises(Error, match=r"test\.jsonl:1: the answer has no '#### ' line"):
        load("gsm8k", path=tmp_path / "test.jsonl")


def test_a_bad_json_array_and_a_bad_csv_row_are_located(tmp_path):
    (tmp_path / "SVAMP.json").write_text('[\n  {"ID": "x",\n  oops\n]')
    with pytest.raises(Error, match=r"SVAMP\.json:3: not valid JSON"):
        load("svamp", path=tmp_path / "SVAMP.json")
    (tmp_path / "SVAMP.json").write_text('[{"ID": "x", "Body": "b", "Question": "q"}]')
    with pytest.raises(Error, match=r"SVAMP\.json: item 0: missing field 'Answer'"):
        load("svamp", path=tmp_path / "SVAMP.json")
    (tmp_path / "mmlu" / "dev").mkdir(parents=True)
    rows = "question,choice0,choice1,choice2,choice3,answer\nq,a,b,c,d,1\nq,a,b,c,2\n"
    (tmp_path / "mmlu" / "dev" / "x_dev.csv").write_text(rows)
    with pytest.raises(Error, match=r"x_dev\.csv:3: expected 6 fields, found 5"):
        load("mmlu", "dev", path=tmp_path)


def test_offline_without_local_data_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(loader, "data_roots", lambda path=None: [tmp_path / "empty"])
    monkeypatch.setattr(loader, "_hub_reachable", lambda: False)
    with pytest.raises(Error) as error:
        load("gsm8k")
    assert "unreachable" in error.value.message
    assert "--data PATH" in error.value.hint and "LEMONSPEC_DATA" in error.value.hint
    copy = pickle.loads(pickle.dumps(error.value))
    assert (copy.message, copy.hint) == (error.value.message, error.value.hint)


def test_a_failing_hub_is_a_clear_error(tmp_path, monkeypatch):
    def load_dataset(*args, **kwargs):
        raise ConnectionError("Couldn't reach 'openai/gsm8k' on the Hub")

    monkeypatch.setattr(loader, "data_roots", lambda path=None: [tmp_path / "empty"])
    monkeypatch.setattr(loader, "_hub_reachable", lambda: True)
    monkeypatch.setitem(sys.modules, "datasets", types.SimpleNamespace(load_dataset=load_dataset))
    with pytest.raises(Error, match="could not load gsm8k from the Hugging Face hub"):
        load("gsm8k")


def test_hub_rows_become_the_same_items(tmp_path, monkeypatch):
    calls = []
    mmlu_rows = [
        {"question": "2+2?", "subject": "math", "choices": ["3", "4", "5", "6"], "answer": 1},
        {"question": "1+1?", "subject": "math", "choices": ["2", "3", "4", "5"], "answer": 0},
    ]

    def load_dataset(name, config, split):
        calls.append((name, config, split))
        return mmlu_rows if name == "cais/mmlu" else [{"question": "q", "final_ans": "7"}]

    monkeypatch.setattr(loader, "data_roots", lambda path=None: [tmp_path / "empty"])
    monkeypatch.setattr(loader, "_hub_reachable", lambda: True)
    monkeypatch.setitem(sys.modules, "datasets", types.SimpleNamespace(load_dataset=load_dataset))
    mmlu = load("mmlu", "dev")
    assert [(i.id, i.answer) for i in mmlu] == [("mmlu/dev/math/0", "B"), ("mmlu/dev/math/1", "A")]
    assert mmlu[0].prompt == "2+2?\nA) 3\nB) 4\nC) 5\nD) 6"
    multiarith = load("multiarith")  # the hub splits it in two; the test set is both
    assert [item.answer for item in multiarith] == ["7", "7"]
    assert calls[-2:] == [("ChilleD/MultiArith", None, "train"), ("ChilleD/MultiArith", None, "test")]
