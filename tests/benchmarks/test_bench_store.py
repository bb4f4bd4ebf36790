"""The results file: one line per item, written whole; a torn last line is cut on reopening;
an id is never written twice; a different run or a second writer is refused; and the
summary's Wilson interval."""

import json

import pytest

from lemonspec.benchmarks.bench import (
    ResultsFile,
    RunKey,
    cut_torn_tail,
    read_results,
    summarize,
    wilson_interval,
)
from lemonspec.benchmarks.errors import Error

KEY = RunKey("abc", "cot", "gsm8k", "test", 0, "embedded", {"medium": "embedded/x"}, "s1")


def record(item_id, correct=True, **fields):
    return {"id": item_id, "answer": "1", "gold": "1", "correct": correct, "ok": True,
            "tokens": 10, "cost": 0.0, "seconds": 1.0, "run_id": item_id[-3:], **fields}


def lines(path):
    return path.read_text().splitlines()


def test_items_are_appended_one_line_each_after_a_header(tmp_path):
    path = tmp_path / "r.jsonl"
    with ResultsFile.open(path, KEY) as store:
        store.add(record("a/1"))
        store.add(record("a/2"))
    header, *items = [json.loads(line) for line in lines(path)]
    assert header["type"] == "run" and RunKey.from_json(header["key"]) == KEY
    assert [i["id"] for i in items] == ["a/1", "a/2"]


def test_reopening_resumes_with_what_is_done_and_never_writes_an_id_twice(tmp_path):
    path = tmp_path / "r.jsonl"
    with ResultsFile.open(path, KEY) as store:
        store.add(record("a/1"))
    with ResultsFile.open(path, KEY) as store:
        assert set(store.done) == {"a/1"}
        store.add(record("a/1", correct=False))  # already there: ignored
        store.add(record("a/2"))
    assert [json.loads(line)["id"] for line in lines(path)[1:]] == ["a/1", "a/2"]
    assert read_results(path).items["a/1"]["correct"] is True


def test_a_torn_last_line_is_ignored_then_cut_before_appending(tmp_path):
    path = tmp_path / "r.jsonl"
    with ResultsFile.open(path, KEY) as store:
        store.add(record("a/1"))
    whole = path.read_bytes()
    with open(path, "ab") as f:  # what a kill -9 in the middle of a write would leave
        f.write(b'{"type": "item", "id": "a/2", "answ')
    assert set(read_results(path).items) == {"a/1"}
    with ResultsFile.open(path, KEY) as store:
        assert set(store.done) == {"a/1"}
        assert path.read_bytes() == whole
        store.add(record("a/2"))
    assert set(read_results(path).items) == {"a/1", "a/2"}


def test_a_torn_trace_event_is_cut_so_the_next_one_starts_a_line(tmp_path):
    trace = tmp_path / "t.jsonl"
    trace.write_text('{"event": "a"}\n{"event": "b", "ou')
    cut_torn_tail(trace)
    assert trace.read_text() == '{"event": "a"}\n'
    cut_torn_tail(tmp_path / "absent.jsonl")  # nothing to do


def test_a_torn_header_starts_the_file_afresh(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_bytes(b'{"type": "run", "ver')
    with ResultsFile.open(path, KEY) as store:
        store.add(record("a/1"))
    assert read_results(path).key == KEY and set(read_results(path).items) == {"a/1"}


def test_a_file_that_is_not_results_is_never_cut(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("my notes, no newline at the end")
    with pytest.raises(Error, match="does not end like a lemonc bench results file"):
        ResultsFile.open(path, KEY)
    assert path.read_text() == "my notes, no newline at the end"


def test_a_different_run_is_refused_naming_what_differs(tmp_path):
    path = tmp_path / "r.jsonl"
    ResultsFile.open(path, KEY).close()
    other = RunKey("abc", "cot", "gsm8k", "test", 0, "openai", {"medium": "gpt-4o-mini"}, "s2")
    with pytest.raises(Error) as caught:
        ResultsFile.open(path, other)
    message = str(caught.value)
    assert "different run" in message and "gpt-4o-mini" in message and "--out" in message
    assert "spec_hash" not in message  # only what differs


def test_a_second_writer_is_refused_while_the_first_holds_the_file(tmp_path):
    path = tmp_path / "r.jsonl"
    with ResultsFile.open(path, KEY), pytest.raises(Error, match="another lemonc bench"):
        ResultsFile.open(path, KEY)
    ResultsFile.open(path, KEY).close()  # free again once closed


def test_a_damaged_line_before_the_end_is_an_error_with_its_line_number(tmp_path):
    path = tmp_path / "r.jsonl"
    with ResultsFile.open(path, KEY) as store:
        store.add(record("a/1"))
    path.write_text(path.read_text() + "garbage\n" + json.dumps({"type": "item", **record("b")})
                    + "\n")
    with pytest.raises(Error, match=r"r\.jsonl:3: not a JSON object"):
        read_results(path)


def test_wilson_interval_matches_known_values():
    low, high = wilson_interval(5, 10)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    assert wilson_interval(0, 10)[0] == 0 and round(wilson_interval(0, 10)[1], 4) == 0.2775
    assert wilson_interval(10, 10)[1] == 1 and round(wilson_interval(10, 10)[0], 4) == 0.7225


def test_summary_counts_failed_runs_as_wrong_and_unknown_usage_as_unknown():
    records = [record("a", True), record("b", False, ok=False), record("c", True, tokens=None),
               record("d", False, seconds=3.0)]
    s = summarize(records)
    assert (s.items, s.correct, s.failed_runs, s.accuracy) == (4, 2, 1, 0.5)
    assert s.tokens_per_item is None and s.cost_per_item == 0.0
    assert s.seconds_per_item == 1.5 and s.seconds_p95 == 3.0
