"""The sandbox: verdicts, limits, and hostile programs that must be contained while the
harness goes on. The last test checks that no sandbox process outlived its run.

What holds on a machine where the probe finds uid drop and net/mount/pid namespaces (root
on Linux): the program runs as a fresh unprivileged uid in a private root that holds only
the standard library and shared libraries (read-only) and a private /tmp that vanishes with
the run, so it can neither read nor change the host's files; it has no network; it sees and
can signal only its own pid namespace, which dies with it. The HumanEval verdict and the
hostile completions are in test_bench_hostile.py.
"""

import asyncio
import os
import re
import secrets
import socket
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from lemonspec.benchmarks import Limits, canonical, isolation, run_humaneval_async, run_program
from lemonspec.benchmarks import sandbox as sandbox_module

ISOLATION = isolation()
needs_uid_drop = pytest.mark.skipif(ISOLATION.uids is None, reason="cannot drop to another uid")
needs_namespaces = pytest.mark.skipif(
    not (ISOLATION.net_ns and ISOLATION.mount_ns and ISOLATION.pid_ns),
    reason="no network/mount/pid namespaces here",
)
SHORT = Limits(timeout=3.0)


def run(source: str, limits: Limits = SHORT):
    return run_program(source, limits=limits)


def assert_harness_still_works():
    result = run("print('still here')")
    assert (result.status, result.detail) == ("passed", "still here")


def sandbox_processes() -> list[str]:
    """Live processes that belong to a sandbox of this checkout: our jail (not another
    checkout's, whose tests may be running on the same machine), or anything else running
    as a sandbox uid."""
    ours = str(sandbox_module._JAIL).encode()
    found = []
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        uid = int(re.search(r"^Uid:\s+(\d+)", status, re.MULTILINE)[1])
        state = re.search(r"^State:\s+(\w)", status, re.MULTILINE)[1]
        as_sandbox_uid = ISOLATION.uids is not None and uid in ISOLATION.uids
        if state != "Z" and (ours in cmdline or as_sandbox_uid and b"_jail.py" not in cmdline):
            found.append(f"{entry.name}: {cmdline[:80]!r}")
    return found


def no_sandbox_processes_within(seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while sandbox_processes():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# ---- verdicts ----


def test_a_program_that_runs_to_its_end_passes():
    result = run("print('hello')")
    assert result.passed and result.status == "passed" and result.detail == "hello"


def test_a_failing_assertion_fails_with_its_traceback():
    result = run("x = 1\nassert x == 2, 'x is not 2'")
    assert (result.passed, result.status) == (False, "failed")
    assert 'File "program.py", line 2' in result.detail and "AssertionError: x is not 2" in result.detail
    assert "_jail.py" not in result.detail


def test_exiting_early_is_not_a_pass():
    assert run("import sys\nsys.exit(0)\nassert False").status == "failed"
    result = run("import os\nos._exit(0)\nassert False")
    assert result.status == "failed" and "exited before its tests had finished" in result.detail


def test_a_signal_ends_the_run_as_a_failure():
    result = run("import os, signal\nos.kill(os.getpid(), signal.SIGTERM)")
    assert result.status == "failed" and "killed by SIGTERM" in result.detail


def test_a_syntax_error_fails():
    result = run("def f(:\n    pass")
    assert result.status == "failed" and "SyntaxError" in result.detail


def test_canonical_builds_prompt_completion_tests_and_check():
    program = canonical("def f():\n", "    return 1\n", "def check(c):\n    assert c() == 1", "f")
    assert program.endswith("check(f)\n")
    assert run(program).passed


def test_the_standard_library_is_importable():
    result = run("import math, hashlib, collections, socket, json\nprint(math.gcd(12, 18))")
    assert result.passed and result.detail == "6"


def test_runs_from_many_threads_at_once():
    sources = [f"import time\ntime.sleep(0.2)\nprint({i})" for i in range(6)]
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(run, sources))
    assert [(r.status, r.detail) for r in results] == [("passed", str(i)) for i in range(6)]


def test_the_async_wrapper():
    result = asyncio.run(run_humaneval_async(
        "def f(x):\n", "    return x * 2\n", "def check(c):\n    assert c(2) == 4", "f"))
    assert result.passed


@needs_uid_drop
def test_the_program_runs_as_an_unprivileged_uid():
    result = run("import os\nprint(os.getuid(), os.geteuid(), os.getgroups())")
    uid, euid, groups = result.detail.split(" ", 2)
    assert int(uid) in ISOLATION.uids and uid == euid and groups == "[]"


def test_the_working_directory_is_writable_and_thrown_away(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # not /tmp: others' runs are there
    result = run("open('scratch.txt', 'w').write('ok')\nprint(open('scratch.txt').read())")
    assert result.passed and result.detail == "ok"
    assert list(tmp_path.iterdir()) == []


# ---- hostile programs ----


@needs_uid_drop
def test_a_fork_bomb_is_contained():
    started = time.monotonic()
    result = run("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass")
    assert not result.passed and result.status == "timeout"
    assert time.monotonic() - started < SHORT.timeout + 3
    assert no_sandbox_processes_within(5), sandbox_processes()
    assert_harness_still_works()


def test_a_memory_bomb_is_contained():
    limits = Limits(timeout=10.0, memory=256 << 20)  # small: quick even on a loaded machine
    result = run("chunks = []\nwhile True:\n    chunks.append(bytearray(16 << 20))", limits)
    assert result.status == "failed" and "MemoryError" in result.detail
    assert_harness_still_works()


def test_files_larger_than_the_limit_cannot_be_written():
    result = run("open('big', 'wb').write(b'x' * (20 << 20))")
    assert result.status == "failed" and "File too large" in result.detail


def test_an_infinite_loop_times_out():
    started = time.monotonic()
    result = run("while True:\n    pass")
    assert result.status == "timeout" and "ran longer than 3s" in result.detail
    assert SHORT.timeout <= time.monotonic() - started < SHORT.timeout + 2
    assert_harness_still_works()


def test_a_sleep_past_the_timeout_times_out():
    started = time.monotonic()
    result = run("import time\ntime.sleep(60)", Limits(timeout=1.0))
    assert result.status == "timeout" and time.monotonic() - started < 3
    assert_harness_still_works()


@needs_namespaces
def test_writes_to_tmp_stay_in_a_private_tmpfs_that_vanishes():
    escape = f"/tmp/lemon_escape_{secrets.token_hex(8)}"
    result = run(f"open({escape!r}, 'w').write('out')\nprint(open({escape!r}).read())")
    assert result.passed and result.detail == "out"  # the write worked, inside the sandbox
    assert not Path(escape).exists()
    assert_harness_still_works()


@needs_uid_drop
def test_writes_elsewhere_are_refused():
    target = Path(sandbox_module.__file__).parent / f"lemon_escape_{secrets.token_hex(8)}"
    result = run(f"open({str(target)!r}, 'w').write('out')")
    # Refused by the dropped uid, or (for a checkout under /tmp) not even visible inside.
    assert result.status == "failed"
    assert "PermissionError" in result.detail or "FileNotFoundError" in result.detail
    assert not target.exists()
    assert_harness_still_works()


@needs_uid_drop
def test_files_outside_the_sandbox_cannot_be_deleted(tmp_path):
    in_tmp = tmp_path / "sentinel.txt"  # under /tmp: hidden behind the private tmpfs
    in_tmp.write_text("keep")
    package = Path(sandbox_module.__file__).parent  # root-owned, 0755: refused to the uid
    in_package = package / f".lemon_sentinel_{secrets.token_hex(8)}"
    in_package.write_text("keep")
    try:
        program = (
            "import os, shutil\n"
            f"shutil.rmtree({str(tmp_path)!r}, ignore_errors=True)\n"
            f"for path in ({str(in_tmp)!r}, {str(in_package)!r}):\n"
            "    try:\n"
            "        os.remove(path)\n"
            "    except OSError as error:\n"
            "        print(type(error).__name__)\n"
            "raise SystemExit('tried to delete')\n"
        )
        result = run(program)
        assert result.status == "failed"
        assert in_tmp.read_text() == "keep" and in_package.read_text() == "keep"
    finally:
        in_package.unlink()
    assert_harness_still_works()


@needs_namespaces
def test_there_is_no_network():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.5)
        port = listener.getsockname()[1]
        program = (
            "import socket\n"
            "try:\n"
            "    socket.create_connection(('1.1.1.1', 80), timeout=2)\n"
            "except OSError as error:\n"
            "    print('outside:', error)\n"
            f"socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
        )
        result = run(program)
        with pytest.raises(TimeoutError):
            listener.accept()  # nothing ever connected
    assert result.status == "failed"
    assert "outside: [Errno 101] Network is unreachable" in result.detail
    assert_harness_still_works()


def test_killing_the_parent_leaves_the_harness_and_its_neighbours_alive():
    bystander = subprocess.Popen(["sleep", "60"])  # in our own process group
    program = (
        "import os, signal\n"
        "def attempt(kill):\n"
        "    try:\n"
        "        kill()\n"
        "    except OSError as error:\n"
        "        print(type(error).__name__)\n"
        "attempt(lambda: os.kill(os.getppid(), signal.SIGKILL))\n"
        "attempt(lambda: os.killpg(os.getpgid(os.getppid()), signal.SIGKILL))\n"
        f"attempt(lambda: os.kill({os.getpid()}, signal.SIGKILL))\n"
        f"attempt(lambda: os.killpg({os.getpgid(0)}, signal.SIGKILL))\n"
        f"attempt(lambda: os.kill({bystander.pid}, signal.SIGKILL))\n"
        "attempt(lambda: os.kill(-1, signal.SIGKILL))\n"
    )
    try:
        result = run(program)
        assert result.status in ("passed", "failed")  # whatever it did, it was contained
        assert bystander.poll() is None  # and we are alive, or this line would not run
    finally:
        bystander.kill()
        bystander.wait()
    assert_harness_still_works()


def test_printing_megabytes_returns_promptly_with_a_capped_detail():
    started = time.monotonic()
    result = run("import sys\nfor _ in range(100):\n    sys.stdout.write('x' * 1_000_000)")
    assert result.passed and time.monotonic() - started < SHORT.timeout
    assert len(result.detail) <= SHORT.output + 100 and "bytes of output dropped" in result.detail
    endless = run("while True:\n    print('y' * 10_000)", Limits(timeout=1.0))
    assert endless.status == "timeout" and len(endless.detail) <= SHORT.output + 100
    assert_harness_still_works()


@needs_namespaces
def test_processes_that_leave_the_group_die_with_the_run():
    program = (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    time.sleep(60)\n"
        "print('parent done')\n"
    )
    assert run(program).passed
    assert no_sandbox_processes_within(5), sandbox_processes()


def test_no_sandbox_process_is_left_behind():  # keep last: after every hostile program
    assert no_sandbox_processes_within(5), sandbox_processes()
