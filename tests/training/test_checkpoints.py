"""Training survives its own death: a checkpoint is written in a staging folder and renamed
when complete, and `--resume` takes the newest complete checkpoint.

The kill test runs real `lemonc train` subprocesses that SIGKILL themselves (the test hook
LEMONSPEC_TEST_KILL_DURING_SAVE) at each point of the step-2 checkpoint save, then resumes
every killed run to step 3."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from lemonspec.cli import main
from lemonspec.training.grpo import (
    COMPLETE_FILES,
    KILL_POINTS,
    STAGING_DIR,
    TEST_KILL_DURING_SAVE,
    complete_checkpoints,
)
from lemonspec.training.session import latest_checkpoint
from tests.training.conftest import tiny_config
from tests.training.test_cli_and_rollout import write_toml

ROOT = Path(__file__).resolve().parents[2]
KILLED_STEP = 2


def logged_steps(folder: Path) -> list[int]:
    rows = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    return [r["step"] for r in rows if "reward" in r]


def test_a_run_killed_at_any_point_of_a_save_resumes_from_its_last_complete_checkpoint(
        tmp_path):
    runs = {}
    for point in KILL_POINTS:  # all killed runs at once: they are independent processes
        out = tmp_path / point
        config_path = tmp_path / f"{point}.toml"
        write_toml(config_path, tiny_config(out, train={"max_steps": 3, "save_steps": 1}))
        env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1",
               TEST_KILL_DURING_SAVE: f"{KILLED_STEP}:{point}"}
        runs[point] = (out, config_path, subprocess.Popen(
            [sys.executable, "-m", "lemonspec.cli", "train", "--config", str(config_path)],
            env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    for point, (out, config_path, process) in runs.items():
        _, stderr = process.communicate(timeout=900)
        assert process.returncode == -signal.SIGKILL, (point, stderr.decode()[-2000:])
        published = point == "renamed"  # killed after the rename: step 2 is complete
        assert (out / "checkpoint-2").is_dir() == published, point
        if not published:
            assert (out / STAGING_DIR / "checkpoint-2").is_dir(), point
        newest = f"checkpoint-{KILLED_STEP if published else KILLED_STEP - 1}"
        assert latest_checkpoint(str(out)) == str(out / newest), point

        resumed = CliRunner().invoke(main, ["train", "--config", str(config_path), "--resume"])
        assert resumed.exit_code == 0, (point, resumed.output)
        assert logged_steps(out) == [1, 2, 3], point  # each step logged once
        assert [Path(p).name for p in complete_checkpoints(str(out))] == [
            "checkpoint-3", "checkpoint-2", "checkpoint-1"], point
        assert not (out / STAGING_DIR).exists(), point


def test_resume_passes_over_a_half_written_checkpoint(tmp_path):
    """A checkpoint folder under its final name but without the files written last (a save
    by an older version killed half-way, or a copy interrupted): resume takes the one before."""
    out = tmp_path / "out"
    config = tiny_config(out, train={"max_steps": 2, "save_steps": 1})
    config_path = tmp_path / "tiny.toml"
    write_toml(config_path, config)
    assert CliRunner().invoke(main, ["train", "--config", str(config_path)]).exit_code == 0
    for name in COMPLETE_FILES:
        (out / "checkpoint-2" / name).unlink()
        assert latest_checkpoint(str(out)) == str(out / "checkpoint-1")
        shutil.copy(out / "checkpoint-1" / name, out / "checkpoint-2" / name)
    (out / "checkpoint-2" / "trainer_state.json").unlink()
    resumed = CliRunner().invoke(main, ["train", "--config", str(config_path), "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert logged_steps(out) == [1, 2]
    state = json.loads((out / "checkpoint-2" / "trainer_state.json").read_text())
    assert state["global_step"] == 2  # the half-written folder was replaced by a complete one
