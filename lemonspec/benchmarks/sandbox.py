"""Run untrusted HumanEval programs, one throwaway confined process tree per sample.

Every run starts `python -I -S _jail.py` in a new session. The jail (see _jail.py) sets
resource limits and, where this machine allows it, enters new network, mount and pid
namespaces, switches to a minimal root of its own (the standard library and shared
libraries read-only, a private /tmp, nothing of the host's files), and runs each process as
an unprivileged uid of its own under a seccomp filter. This side enforces a wall-clock
deadline, reads at most a bounded tail of the output, and at the end kills the whole
process group, even after a pass. No preexec_fn is used, so runs may be started from many
threads at once.

The HumanEval verdict is not the program's to give: the tests run in a separate harness
process that calls the completion's function across a pipe and receives plain data, and
the harness alone holds the *verdict pipe* read here. Whatever the completion prints,
patches or exits with, a pass is the harness's "passed" on that pipe and nothing else
(tests/benchmarks/test_bench_hostile.py runs the hostile completions that prove it).

Which mechanisms work is probed once per process (`isolation()`), from the strongest set
down to none, so that a laptop without namespaces still runs samples, with less protection.
"""

from __future__ import annotations

import asyncio
import functools
import json
import math
import os
import secrets
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Literal

import attrs

Status = Literal["passed", "failed", "timeout", "error"]

_JAIL = Path(__file__).with_name("_jail.py")
# High uids that no real account uses: each run gets its own, so concurrent runs cannot
# signal one another and RLIMIT_NPROC counts one run's processes only.
_RUN_UIDS = range(0x5A000000, 0x5A000000 + (1 << 24))
_NOBODY = range(65534, 65535)
_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp"}


@attrs.frozen
class Limits:
    timeout: float = 10.0  # wall clock, seconds
    memory: int = 1 << 30  # address space per process, bytes
    file_size: int = 10 << 20  # largest file the program may write, bytes
    processes: int = 16  # processes and threads of the sandbox uid
    open_files: int = 256
    output: int = 64 << 10  # bytes of output kept (the tail, where the traceback is)
    tmpfs: int = 64 << 20  # size of each private tmpfs (working dir, /tmp, ...), bytes


@attrs.frozen
class Isolation:
    """The confinement mechanisms that work on this machine."""

    uids: range | None  # each process runs as one uid of this range; None: as the caller
    user_ns: bool = False  # namespaces come from an unprivileged user namespace
    net_ns: bool = False
    mount_ns: bool = False  # with a private minimal root: the host's files are not visible
    pid_ns: bool = False
    seccomp: bool = False  # no new user namespaces, no ptrace (libseccomp)

    @property
    def verdict_is_safe(self) -> bool:
        """Without a private root (no /proc, no host files) and a pid namespace, a program
        running as the caller could open the verdict pipe through /proc/PID/fd or read the
        dataset: its HumanEval verdicts are then no better than its own word."""
        return self.mount_ns and self.pid_ns

    def describe(self) -> str:
        uid = "none" if self.uids is None else f"{len(self.uids)} uid(s) from {self.uids.start}"
        spaces = [n for n in ("user", "net", "mount", "pid") if getattr(self, f"{n}_ns")]
        root = "private" if self.mount_ns else "the host's"
        return (f"uid drop: {uid}; namespaces: {', '.join(spaces) or 'none'}; root: {root}; "
                f"seccomp: {'yes' if self.seccomp else 'no'}; rlimits: yes")


@attrs.frozen
class Result:
    passed: bool
    status: Status
    detail: str  # why it failed, with the tail of the output; empty on a quiet pass
    elapsed: float = 0.0  # seconds


def canonical(prompt: str, completion: str, test: str, entry_point: str) -> str:
    """The one program HumanEval's own harness runs: prompt, completion, the tests, then the
    check call. Kept for reference; run_humaneval keeps the tests in a process of their own."""
    return f"{prompt}{completion}\n\n{test}\n\ncheck({entry_point})\n"


def run_humaneval(
    problem_prompt: str,
    completion: str,
    test: str,
    entry_point: str,
    timeout: float = 10.0,
    *,
    limits: Limits | None = None,
) -> Result:
    """The verdict of HumanEval's `check(entry_point)` on the completion: the completion runs
    in the sandbox and only answers calls; the tests run in the harness process."""
    tests = {"prompt": problem_prompt, "test": test, "entry_point": entry_point}
    limits = attrs.evolve(limits or Limits(), timeout=timeout)
    found = isolation()
    if not found.verdict_is_safe:
        _warn_unsafe(found)
    return _run(problem_prompt + completion, limits, found, tests)


@functools.cache
def _warn_unsafe(found: Isolation) -> None:
    warnings.warn(f"HumanEval verdicts on this machine can be forged by the program "
                  f"(sandbox: {found.describe()}); run as root or with user namespaces",
                  RuntimeWarning, stacklevel=3)


async def run_humaneval_async(*args, **kwargs) -> Result:
    """run_humaneval in a worker thread, for asyncio callers."""
    return await asyncio.to_thread(run_humaneval, *args, **kwargs)


def run_program(source: str, *, limits: Limits = Limits()) -> Result:
    """Run a Python program confined; it passes if it runs to its end without an exception.

    That is the program's own account, which a program that means to lie can forge: use it
    for trusted programs and containment checks, and run_humaneval for a verdict."""
    return _run(source, limits, isolation())


_probe_lock = threading.Lock()
_probed: Isolation | None = None


def isolation() -> Isolation:
    """Probe once (per process) which mechanisms work, strongest set first."""
    global _probed
    with _probe_lock:
        if _probed is None:
            _probed = _probe()
        return _probed


# Modules that are not loaded at start-up: an interpreter the sandbox uid cannot read fails.
# A HumanEval run in miniature, so both processes and their pipes are tried; the imports
# load extension modules, which need the shared libraries in a private root.
_PROBE = "import collections, hashlib, json, math, socket\ndef double(x):\n    return 2 * x\n"
_PROBE_TESTS = {"prompt": "", "entry_point": "double",
                "test": "import collections, json, math\ndef check(f):\n    assert f(2) == 4\n"}


def _probe() -> Isolation:
    for candidate in _candidates():
        if _run(_PROBE, Limits(timeout=30.0), candidate, _PROBE_TESTS).passed:
            return candidate
    return Isolation(uids=None)


def _candidates() -> list[Isolation]:
    spaces = {"net_ns": True, "mount_ns": True, "pid_ns": True}
    if os.geteuid() != 0:
        return [
            *(Isolation(uids=None, user_ns=True, seccomp=s, **spaces) for s in (True, False)),
            Isolation(uids=None, seccomp=True),
            Isolation(uids=None),
        ]
    return [
        *(Isolation(uids=uids, seccomp=s, **spaces) for s in (True, False)
          for uids in (_RUN_UIDS, _NOBODY)),
        *(Isolation(uids=uids) for uids in (_RUN_UIDS, _NOBODY)),
        Isolation(uids=None),
    ]


def _run(source: str, limits: Limits, isolation: Isolation, tests: dict | None = None) -> Result:
    nonce = secrets.token_hex(16)
    started = time.monotonic()
    deadline = started + limits.timeout
    verdict_read, verdict_write = os.pipe()  # only the harness (and a failed setup) writes
    test_read, test_write = os.pipe()
    with tempfile.TemporaryDirectory(prefix="lemon-sandbox-", ignore_cleanup_errors=True) as cwd:
        try:
            config = _config(limits, isolation, tests, verdict_write, test_read)
            proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-X", "utf8", str(_JAIL), config],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                env=_ENV,
                start_new_session=True,
                pass_fds=(verdict_write, test_read),
            )
        except OSError as error:
            for fd in (verdict_read, verdict_write, test_read, test_write):
                os.close(fd)
            return Result(False, "error", f"could not start the sandbox: {error}")
        os.close(verdict_write)
        os.close(test_read)
        try:
            _send(proc.stdin, f"{nonce}\n{source}")
            _send(os.fdopen(test_write, "wb"), json.dumps(tests or {}))
            output, finished = _collect(proc, deadline, limits.output)
        finally:
            _kill_group(proc)
        verdict = _read_verdict(verdict_read)
        elapsed = time.monotonic() - started
        code = proc.returncode if finished else None
        if tests is None:
            return _program_verdict(output, code, verdict, nonce, limits, elapsed)
        return _humaneval_verdict(output, code, verdict, limits, elapsed)


def _config(limits: Limits, isolation: Isolation, tests: dict | None, verdict: int,
            test: int) -> str:
    uids = None
    if isolation.uids is not None:  # the program's and the harness's, distinct if there are two
        uids = [secrets.choice(isolation.uids) for _ in range(2)]
        while len(isolation.uids) > 1 and uids[0] == uids[1]:
            uids[1] = secrets.choice(isolation.uids)
    jail_limits = attrs.asdict(limits) | {"cpu_seconds": math.ceil(limits.timeout) + 1}
    flags = attrs.asdict(isolation, filter=lambda a, _: a.name != "uids")
    mode = {"mode": "program"} if tests is None else {
        "mode": "humaneval", "entry_point": tests["entry_point"]}
    return json.dumps({"uids": uids, "limits": jail_limits, "verdict_fd": verdict,
                       "test_fd": test, **mode, **flags})


def _send(pipe, text: str) -> None:
    try:
        with pipe:
            pipe.write(text.encode("utf-8", errors="surrogatepass"))
    except (BrokenPipeError, OSError):
        pass  # the jail died before reading: its exit status tells why


def _read_verdict(fd: int) -> bytes:
    """What the verdict pipe holds once every process of the run is dead (a few bytes)."""
    os.set_blocking(fd, False)
    try:
        return os.read(fd, 4096)
    except BlockingIOError:
        return b""
    finally:
        os.close(fd)


def _collect(proc: subprocess.Popen, deadline: float, cap: int) -> tuple[bytes, bool]:
    """Read output until EOF and the jail's exit, or the deadline; keep at most `cap` bytes."""
    tail = bytearray()
    dropped = 0
    fd = proc.stdout.fileno()

    def keep(chunk: bytes) -> None:
        nonlocal dropped
        tail.extend(chunk)
        if len(tail) > cap:  # keep the end, where the traceback and the verdict are
            dropped += len(tail) - cap
            del tail[:-cap]

    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while (remaining := deadline - time.monotonic()) > 0:
            if not selector.select(min(remaining, 0.05)):
                if _has_exited(proc):  # a stray process may hold the pipe open: stop anyway,
                    _drain(fd, keep)  # after what the jail wrote just before it exited
                    break
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            keep(chunk)
    if dropped:
        tail[:0] = f"[... {dropped} bytes of output dropped ...]\n".encode()
    return bytes(tail), _exited(proc, deadline)


def _drain(fd: int, keep) -> None:
    """Whatever the pipe already holds (a pipe buffer's worth, so a stray writer that keeps
    writing cannot hold us here), without waiting for it to close."""
    os.set_blocking(fd, False)
    try:
        for _ in range(16):
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            keep(chunk)
    except BlockingIOError:
        pass
    finally:
        os.set_blocking(fd, True)


def _exited(proc: subprocess.Popen, deadline: float) -> bool:
    """Wait for the jail's exit until the deadline without reaping it, so that its pid
    (which is the group's id) cannot be reused before _kill_group has run."""
    while not _has_exited(proc):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.005)
    return True


def _has_exited(proc: subprocess.Popen) -> bool:
    return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


def _kill_group(proc: subprocess.Popen) -> None:
    """Kill everything left in the run's process group, whatever happened; then reap."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()
    proc.stdout.close()


_PASSED = b"passed\n"
_SETUP = b"setup-failed: "


def _humaneval_verdict(
    output: bytes, exit_code: int | None, verdict: bytes, limits: Limits, elapsed: float
) -> Result:
    text = output.decode("utf-8", errors="replace").strip()
    if verdict.startswith(_SETUP):
        return _setup_failed(verdict, elapsed)
    if exit_code == 0 and verdict == _PASSED:
        return Result(True, "passed", text, elapsed)
    return _failure(text, exit_code, limits, elapsed)


def _program_verdict(
    output: bytes, exit_code: int | None, verdict: bytes, nonce: str, limits: Limits,
    elapsed: float,
) -> Result:
    text = output.decode("utf-8", errors="replace")
    passed_line = f"{nonce} passed"
    lines = text.rstrip("\n").splitlines()
    if verdict.startswith(_SETUP):
        return _setup_failed(verdict, elapsed)
    if exit_code == 0 and lines and lines[-1] == passed_line:
        return Result(True, "passed", "\n".join(lines[:-1]).strip(), elapsed)
    return _failure(text.replace(passed_line, "").strip(), exit_code, limits, elapsed)


def _setup_failed(verdict: bytes, elapsed: float) -> Result:
    message = verdict[len(_SETUP):].decode("utf-8", errors="replace").strip()
    return Result(False, "error", f"sandbox setup failed: {message}", elapsed)


def _failure(shown: str, exit_code: int | None, limits: Limits, elapsed: float) -> Result:
    if exit_code is None:
        return Result(False, "timeout", _join(f"ran longer than {limits.timeout:g}s", shown), elapsed)
    if exit_code in (128 + signal.SIGXCPU, -signal.SIGXCPU):
        return Result(False, "timeout", _join("CPU time limit exceeded", shown), elapsed)
    if exit_code == 1 and shown:  # the program raised: its traceback says it all
        return Result(False, "failed", shown, elapsed)
    return Result(False, "failed", _join(_describe_exit(exit_code), shown), elapsed)


def _describe_exit(code: int) -> str:
    signum = -code if code < 0 else code - 128 if code > 128 else 0
    if signum:
        try:
            return f"killed by {signal.Signals(signum).name}"
        except ValueError:
            return f"killed by signal {signum}"
    if code == 0:
        return "the program exited before its tests had finished"
    return f"exit status {code}"


def _join(reason: str, output: str) -> str:
    return f"{reason}\n{output}" if output else reason
