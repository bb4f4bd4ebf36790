"""Training survives its own death: a checkpoint is written in a staging folder and renamed
when complete, and `--resume` takes the newest complete checkpoint.

The kill tests SIGKILL real training processes (the test hook LEMONSPEC_TEST_KILL_DURING_SAVE
makes a process kill itself at a named point of a save) at every point of the step-2
checkpoint save, then resume each killed run to step 3. All points run in processes forked
from this one (no start-up cost); one point also runs as a `lemonc train` subprocess."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from lemonspec.cli import main
from lemonspec.training.grpo import (
    COMPLETE_FILES,
    KILL_POINTS,
    STAGING_DIR,
    TEST_KILL_DURING_SAVE,
    complete_checkpoints,
)
from lemonspec.training.session import latest_checkpoint, train
from tests.training.conftest import tiny_config
from tests.training.test_cli_and_rollout import write_toml

ROOT = Path(__file__).resolve().parents[2]
KILLED_STEP = 2


def logged_steps(folder: Path) -> list[int]:
    rows = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    return [r["step"] for r in rows if "reward" in r]


def checkpoint_names(folder: Path) -> list[str]:
    return [Path(p).name for p in complete_checkpoints(str(folder))]


@pytest.fixture(scope="module")
def after_step_one(tmp_path_factory):
    """A run folder with step 1 done and checkpointed."""
    out = tmp_path_factory.mktemp("base") / "out"
    train(tiny_config(out, train={"max_steps": 1, "save_steps": 1}))
    assert checkpoint_names(out) == ["checkpoint-1"]
    return out


def killed_during_save(out: Path, point: str) -> int:
    """Continue the run in a forked process that SIGKILLs itself at `point` of the step-2
    save; the process's wait status."""
    config = tiny_config(out, train={"max_steps": 3, "save_steps": 1})
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.environ[TEST_KILL_DURING_SAVE] = f"{KILLED_STEP}:{point}"
            train(config, resume=True)
        finally:
            os._exit(3)  # reached only if the hook did not fire
    _, status = os.waitpid(pid, 0)
    return status


def assert_resumes_after_the_kill(out: Path, config_path: Path, point: str) -> None:
    published = point == "renamed"  # killed after the rename: step 2 is complete
    assert (out / "checkpoint-2").is_dir() == published, point
    if not published:
        assert (out / STAGING_DIR / "checkpoint-2").is_dir(), point  # the half-written save
    newest = f"checkpoint-{KILLED_STEP if published else KILLED_STEP - 1}"
    assert latest_checkpoint(str(out)) == str(out / newest), point
    resumed = CliRunner().invoke(main, ["train", "--config", str(config_path), "--resume"])
    assert resumed.exit_code == 0, (point, resumed.output)
    assert logged_steps(out) == [1, 2, 3], point  # every step logged once
    assert checkpoint_names(out) == ["checkpoint-3", "checkpoint-2", "checkpoint-1"], point
    assert not (out / STAGING_DIR).exists(), point
    state = json.loads((out / "checkpoint-3" / "trainer_state.json").read_text())
    assert state["global_step"] == 3


@pytest.mark.parametrize("point", KILL_POINTS)
def test_a_run_killed_at_any_point_of_a_save_resumes_from_its_last_complete_checkpoint(
        tmp_path, after_step_one, point):
    out = tmp_path / "out"
    shutil.copytree(after_step_one, out)
    status = killed_during_save(out, point)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, (point, status)
    config_path = tmp_path / "tiny.toml"
    write_toml(config_path, tiny_config(out, train={"max_steps": 3, "save_steps": 1}))
    assert_resumes_after_the_kill(out, config_path, point)


def test_lemonc_train_killed_during_a_save_resumes(tmp_path):
    """The same through the command line, in a fresh interpreter (kill point: after the
    optimizer, before the RNG and trainer states)."""
    out = tmp_path / "out"
    config_path = tmp_path / "tiny.toml"
    write_toml(config_path, tiny_config(out, train={"max_steps": 3, "save_steps": 1}))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1",
           TEST_KILL_DURING_SAVE: f"{KILLED_STEP}:optimizer"}
    process = subprocess.run(
        [sys.executable, "-m", "lemonspec.cli", "train", "--config", str(config_path)],
        check=False, env=env, cwd=tmp_path, capture_output=True, timeout=900)
    assert process.returncode == -signal.SIGKILL, process.stderr.decode()[-2000:]
    assert_resumes_after_the_kill(out, config_path, "optimizer")


def test_resume_passes_over_a_half_written_checkpoint(tmp_path, after_step_one):
    """A checkpoint folder under its final name but without the files written last (a save
    by an older version killed half-way, or a copy interrupted): resume takes the one before,
    and the new save replaces the broken folder."""
    out = tmp_path / "out"
    shutil.copytree(after_step_one, out)
    config_path = tmp_path / "tiny.toml"
    write_toml(config_path, tiny_config(out, train={"max_steps": 2, "save_steps": 1}))
    shutil.copytree(out / "checkpoint-1", out / "checkpoint-2")
    for name in COMPLETE_FILES:
        (out / "checkpoint-2" / name).unlink()
        assert latest_checkpoint(str(out)) == str(out / "checkpoint-1")
        shutil.copy(out / "checkpoint-1" / name, out / "checkpoint-2" / name)
    (out / "checkpoint-2" / "trainer_state.json").unlink()
    resumed = CliRunner().invoke(main, ["train", "--config", str(config_path), "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert logged_steps(out) == [1, 2]
    state = json.loads((out / "checkpoint-2" / "trainer_state.json").read_text())
    assert state["global_step"] == 2
