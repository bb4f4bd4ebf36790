"""The parser's tables are cached in the user's own cache folder (lark unpickles its cache
file, so it must never be one another user could write), named by the grammar's hash."""

import os
import subprocess
import sys
from pathlib import Path

from lemonspec.compiler.parser import _tables_file

ROOT = Path(__file__).resolve().parents[2]


def test_the_tables_are_cached_under_the_users_cache_folder_and_reused(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(tmp_path)}
    code = ("from lemonspec.compiler import check_text\n"
            "assert check_text('team t {\\n    agent a: MathSolver {}\\n}\\n').ok")

    def check() -> None:
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                              text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr

    check()
    [cached] = (tmp_path / "lemonspec").glob("parser-lark*.pickle")
    written = cached.stat()
    assert written.st_size > 1000
    assert (tmp_path / "lemonspec").stat().st_mode & 0o077 == 0  # made for the user alone
    check()  # the second run loads the file the first one wrote: it is not written again
    assert cached.stat().st_mtime_ns == written.st_mtime_ns
    cached.write_bytes(b"not a pickle")  # a torn or corrupt cache: rebuilt, never fatal
    check()
    assert cached.stat().st_size > 1000


def test_other_grammars_get_other_files_and_a_folder_others_can_write_gets_none(tmp_path,
                                                                             monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first, second = _tables_file("start: A\nA: \"a\"\n"), _tables_file("start: B\nB: \"b\"\n")
    assert first != second and Path(first).parent == tmp_path / "lemonspec"
    (tmp_path / "lemonspec").chmod(0o777)
    assert _tables_file("start: A\nA: \"a\"\n") is False  # slower, never unsafe
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "a-file"))
    (tmp_path / "a-file").write_text("")
    assert _tables_file("start: A\nA: \"a\"\n") is False
