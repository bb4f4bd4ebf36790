"""Completions that try to be scored "passed" without solving the problem: none may pass.

The corpus in hostile/ holds one completion per file, each wrong on purpose plus a trick
(the header names the problem and the trick); it runs through the same glue as a model's
output (`run_code`). The problems are the committed fixture (tests/fixtures/humaneval/),
so the corpus runs on a clean clone. The named tests below are the forgeries that fooled
the scorer before the harness had a process of its own (issue 10), each with the fact that
now stops it.
"""

import gzip
import json
import os
import re
import secrets
import shutil
from pathlib import Path

import pytest

from lemonspec.benchmarks import canonical, isolation, load, run_code, run_humaneval, run_program
from lemonspec.benchmarks import sandbox as sandbox_module
from tests.benchmarks.test_bench_sandbox import no_sandbox_processes_within, sandbox_processes

FIXTURES = Path(__file__).parents[1] / "fixtures"
HOSTILE = sorted((Path(__file__).parent / "hostile").glob("*.py"))
ITEMS = {item.id.rsplit("/", 1)[-1]: item for item in load("humaneval", path=FIXTURES)}
ISOLATION = isolation()
needs_private_root = pytest.mark.skipif(not ISOLATION.mount_ns, reason="no private root here")
needs_seccomp = pytest.mark.skipif(not ISOLATION.seccomp, reason="no seccomp filter here")
CORPUS_TIMEOUT = 3.0  # a timeout is no pass either; the runs that end early take < 1 s


def problem_of(path: Path):
    return ITEMS[re.search(r"^# problem: HumanEval/(\d+)$", path.read_text(),
                           re.MULTILINE)[1]]


def judge(item, completion: str):
    return run_humaneval(item.prompt, completion, item.answer.test, item.answer.entry_point)


def test_the_corpus_holds_at_least_40_hostile_completions_on_fixture_problems():
    assert len(HOSTILE) >= 40
    assert {problem_of(path).id for path in HOSTILE} <= {item.id for item in ITEMS.values()}


@pytest.mark.parametrize("path", HOSTILE, ids=[path.stem for path in HOSTILE])
def test_no_hostile_completion_passes(path):
    result = run_code(problem_of(path), path.read_text(), timeout=CORPUS_TIMEOUT)
    assert not result.passed and result.status in ("failed", "timeout"), result.detail[-2000:]


@pytest.mark.parametrize("number", sorted(ITEMS, key=int))
def test_the_fixture_canonical_solutions_pass(number):
    item = ITEMS[number]
    result = judge(item, item.meta["canonical_solution"])
    assert result.passed, result.detail


# ---- the forgeries of issue 10, one by one ----

ADD = ITEMS["53"]  # add(x, y): wrong answers below return x - y


def test_os_exit_made_a_no_op_is_no_pass():
    result = judge(ADD, "    return x - y\nimport os\nos._exit = lambda code: None\n")
    assert result.status == "failed" and "AssertionError" in result.detail


def test_os_exit_patched_through_sys_modules_is_no_pass():
    completion = ("    return x - y\nimport sys\n"
                  "sys.modules['os']._exit = sys.modules['posix']._exit = lambda code: None\n")
    result = judge(ADD, completion)
    assert result.status == "failed" and "AssertionError" in result.detail


FRAME_DIGGER = """
import os, sys

def add(x, y):
    frame = sys._getframe(1)
    while frame is not None:
        for name, value in list(frame.f_locals.items()):
            if isinstance(value, str) and len(value) == 32:
                os.write(1, f"\\n{value} passed\\n".encode())
                os._exit(0)
        frame = frame.f_back
    return x - y
"""


def test_a_nonce_read_from_the_calling_frame_is_no_pass():
    # Where the program reports on itself (run_program), digging the nonce out of the
    # calling frame forges the pass; that is why the verdict has a process of its own.
    program = canonical(ADD.prompt, FRAME_DIGGER, ADD.answer.test, "add")
    assert run_program(program).passed
    result = judge(ADD, FRAME_DIGGER)
    assert result.status == "failed" and "stopped answering" in result.detail


@pytest.fixture
def dataset_copy():
    """The fixture's dataset file, world-readable, in a world-readable folder on the host."""
    folder = Path(f"/tmp/lemon-dataset-{secrets.token_hex(6)}")
    (folder / "humaneval").mkdir(parents=True)
    shutil.copy(FIXTURES / "humaneval" / "HumanEval.jsonl.gz", folder / "humaneval")
    for path in (folder, folder / "humaneval", folder / "humaneval" / "HumanEval.jsonl.gz"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    yield folder / "humaneval" / "HumanEval.jsonl.gz"
    shutil.rmtree(folder)


def test_the_canonical_solution_cannot_be_loaded_from_the_dataset_file(dataset_copy):
    real = [str(root / "humaneval" / "HumanEval.jsonl.gz")
            for root in (Path("/work/shared/datasets"), *map(Path, filter(None, [
                os.environ.get("LEMONSPEC_DATA")])))]
    completion = f"""
import gzip, json

def add(x, y):
    for path in {[str(dataset_copy), *real]!r}:
        try:
            rows = [json.loads(line) for line in gzip.open(path, "rt")]
        except OSError as error:
            print(type(error).__name__, path)
            continue
        row = next(r for r in rows if r["entry_point"] == "add")
        namespace = {{}}
        exec(row["prompt"] + row["canonical_solution"], namespace)
        return namespace["add"](x, y)
    return x - y
"""
    with gzip.open(dataset_copy, "rt") as rows:  # the file is there, for anyone to read
        assert any(json.loads(line)["entry_point"] == "add" for line in rows)
    result = judge(ADD, completion)
    assert not result.passed
    if ISOLATION.mount_ns:
        assert f"FileNotFoundError {dataset_copy}" in result.detail


@needs_private_root
def test_host_files_are_not_visible(dataset_copy):
    paths = ["/etc/passwd", "/etc/hostname", "/proc/self/environ", "/home", "/work",
             str(dataset_copy), sandbox_module.__file__, str(Path(__file__))]
    program = (
        "import os, sys\n"
        f"for path in {paths!r}:\n"
        "    print(path, os.path.exists(path))\n"
        "print('root:', sorted(os.listdir('/')))\n"
        "print('site-packages:', [p for p in sys.path if os.path.isdir(p) and 'site-' in p])\n"
    )
    result = judge(ADD, f"    return x + y\n\n{program}")
    assert result.passed, result.detail
    for path in paths:
        assert f"{path} False" in result.detail
    root = set(re.search(r"root: (\[.*\])", result.detail)[1].strip("[]").replace("'", "")
               .split(", "))
    assert root <= {"tmp", "dev", "usr", "lib", "lib64", "root", "opt", "home"}
    assert not root & {"etc", "proc", "sys", "work", "var", "run"}
    assert "site-packages: []" in result.detail  # not on sys.path: -S
    hidden = run_humaneval(ADD.prompt, "    return x + y\nimport os, sysconfig\n"
                           "print(os.listdir(sysconfig.get_paths()['purelib']))\n",
                           ADD.answer.test, "add")
    assert hidden.passed and hidden.detail == "[]"  # and empty where it would be


@needs_seccomp
def test_no_new_user_namespace():
    completion = """
import ctypes, os, signal
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWUSER = 0x10000000
print("unshare", libc.unshare(CLONE_NEWUSER), ctypes.get_errno())
number = {"x86_64": 56, "aarch64": 220}.get(os.uname().machine)
if number is not None:
    pid = libc.syscall(number, CLONE_NEWUSER | signal.SIGCHLD, 0, 0, 0, 0)
    if pid == 0:
        os._exit(0)
    print("clone", pid, ctypes.get_errno())

def add(x, y):
    return x + y
"""
    result = judge(ADD, completion)
    assert result.passed, result.detail  # the program goes on, without a namespace
    assert "unshare -1 1" in result.detail  # EPERM
    if "clone" in result.detail:
        assert "clone -1 1" in result.detail


# ---- the harness compares plain data, with its types ----


def test_results_cross_as_plain_data_with_their_types():
    value = ("(1, [2.5, -0.0], {3: frozenset({4}), (5,): {'x'}}, b'\\x00\\xff', 'é\\u2028', "
             "None, True, 2 ** 100, float('inf'), 1 + 2j)")
    test = (f"def check(candidate):\n    result = candidate(0)\n"
            f"    assert result == {value}\n"
            f"    assert [type(v) for v in result] == [type(v) for v in {value}]\n"
            f"    assert type(result[2][(5,)]) is set and str(result[1][1]) == '-0.0'\n")
    assert run_humaneval("def f(x):\n", f"    return {value}\n", test, "f").passed
    as_list = run_humaneval("def f(x):\n", "    return [1, 2]\n",
                            "def check(candidate):\n    assert candidate(0) == (1, 2)\n", "f")
    assert as_list.status == "failed"  # a list is not a tuple, as in HumanEval's own harness


def test_a_result_that_is_not_plain_data_fails_and_says_so():
    result = run_humaneval("def f(x):\n", "    return object()\n",
                           "def check(candidate):\n    assert candidate(0) is not None\n", "f")
    assert result.status == "failed" and "f returned a object, which is not plain data" in result.detail


def test_an_exception_in_the_candidate_fails_with_its_traceback():
    result = run_humaneval("def f(x):\n", "    return 1 // x\n",
                           "def check(candidate):\n    assert candidate(0) == 1\n", "f")
    assert result.status == "failed"
    assert "ZeroDivisionError" in result.detail and 'File "program.py", line 2' in result.detail
    assert "f raised ZeroDivisionError" in result.detail


def test_keyword_arguments_and_prints_reach_the_candidate():
    result = run_humaneval("def f(x, y=0):\n", "    print('called', x, y)\n    return x - y\n",
                           "def check(candidate):\n    assert candidate(3, y=1) == 2\n", "f")
    assert result.passed and result.detail == "called 3 1"


def test_a_machine_that_cannot_keep_the_verdict_private_says_so(monkeypatch):
    weak = sandbox_module.Isolation(uids=None)
    assert not weak.verdict_is_safe
    monkeypatch.setattr(sandbox_module, "_probed", weak)
    sandbox_module._warn_unsafe.cache_clear()
    with pytest.warns(RuntimeWarning, match="can be forged by the program"):
        assert run_humaneval("def f(x):\n", "    return 2 * x\n",
                             "def check(candidate):\n    assert candidate(2) == 4\n", "f").passed
    sandbox_module._warn_unsafe.cache_clear()


def test_the_program_holds_only_its_two_pipes_even_when_the_caller_has_many_files_open():
    # With many files open here, the pipes get numbers above the sandbox's open-files
    # limit (256), which closing "everything below the limit" would miss.
    completion = (
        "    return x + y\nimport os\n"
        "def is_open(fd):\n"
        "    try:\n        os.fstat(fd)\n        return True\n"
        "    except OSError:\n        return False\n"
        "print('open:', [fd for fd in range(3, 4096) if is_open(fd)])\n"
    )
    null = os.open(os.devnull, os.O_RDONLY)
    filler = [os.dup(null) for _ in range(400)]
    try:
        result = judge(ADD, completion)
    finally:
        for fd in (null, *filler):
            os.close(fd)
    assert result.passed, result.detail
    assert len(re.search(r"open: \[(.*)\]", result.detail)[1].split(", ")) == 2


def test_no_sandbox_process_is_left_behind():  # keep last: after every hostile completion
    assert no_sandbox_processes_within(5), sandbox_processes()
