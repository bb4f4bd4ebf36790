"""`lemonc report`: a comparison table over results files (rich or Markdown) and a PNG bar
chart of accuracy and tokens."""

from click.testing import CliRunner

from lemonspec.benchmarks.bench import ResultsFile, RunKey
from lemonspec.benchmarks.report import load_rows, markdown
from lemonspec.cli import main


def results_file(path, team, dataset, correct, total, tokens=100, cost=0.0):
    key = RunKey(team + dataset, team, dataset, "test", 0, "embedded",
                 {"medium": "embedded/smollm2-135m"}, "s")
    with ResultsFile.open(path, key) as store:
        for i in range(total):
            store.add({"id": f"{dataset}/test/{i}", "answer": "1", "gold": "1",
                       "correct": i < correct, "ok": True, "tokens": tokens, "cost": cost,
                       "seconds": 2.0, "run_id": str(i)})
    return path


def three_runs(tmp_path):
    return [results_file(tmp_path / "a.jsonl", "cot", "gsm8k", 5, 10, tokens=150),
            results_file(tmp_path / "b.jsonl", "chain", "gsm8k", 7, 10, tokens=600),
            results_file(tmp_path / "c.jsonl", "cot", "mmlu", 2, 8, cost=None)]


def test_report_prints_a_table_and_writes_a_png(tmp_path):
    paths = three_runs(tmp_path)
    png = tmp_path / "out" / "chart.png"
    wide = CliRunner(env={"COLUMNS": "200"})  # rich wraps at 80 columns when not a terminal
    result = wide.invoke(main, ["report", *map(str, paths), "--png", str(png)])
    assert result.exit_code == 0, result.output
    for text in ("cot", "chain", "gsm8k", "mmlu", "50.0 [23.7, 76.3]", "70.0", "600", "?"):
        assert text in result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_the_markdown_table_has_one_row_per_run_sorted_by_dataset_then_team(tmp_path):
    table = markdown(load_rows(three_runs(tmp_path))).splitlines()
    assert table[0].startswith("| team | dataset | model | n | accuracy")
    assert [row.split(" | ")[:2] for row in table[2:]] == [
        ["| chain", "gsm8k"], ["| cot", "gsm8k"], ["| cot", "mmlu"]]
    assert "25.0 [7.1, 59.1]" in table[4] and "| ? |" in table[4]  # 2/8; unknown cost


def test_trace_files_caught_by_a_glob_are_skipped(tmp_path):
    paths = three_runs(tmp_path)
    trace = tmp_path / "a.trace.jsonl"
    trace.write_text('{"event": "run_started", "run_id": "x", "t": 0}\n')
    result = CliRunner().invoke(main, ["report", str(trace), *map(str, paths), "--markdown",
                                       "--png", str(tmp_path / "x.png")])
    assert result.exit_code == 0, result.output
    assert "skipped 1 trace file" in result.output and result.output.count("| cot |") == 2


def test_a_file_that_is_not_results_is_refused(tmp_path):
    stray = tmp_path / "notes.jsonl"
    stray.write_text('{"hello": 1}\n')
    result = CliRunner().invoke(main, ["report", str(stray), "--png", str(tmp_path / "x.png")])
    assert result.exit_code == 2 and "not a lemonc bench results line" in result.output


def test_report_to_a_pipe_is_never_wrapped_or_cut(tmp_path):
    paths = three_runs(tmp_path)
    result = CliRunner().invoke(main, ["report", *map(str, paths)])  # rich alone: 80 columns
    assert result.exit_code == 0, result.output
    assert "…" not in result.output
    header = next(line for line in result.output.splitlines() if "team" in line)
    assert "accuracy % [95% CI]" in header and "dataset" in header  # every title on one line
    rows = [line for line in result.output.splitlines() if "embedded/smollm2-135m" in line]
    assert len(rows) == 3 and any("50.0 [23.7, 76.3]" in row for row in rows)
    assert list(tmp_path.glob("*.png")) == []  # no chart unless --png
