"""Reading and writing spec files without trusting them (compiler/files.py): special files
are refused before they are read, sizes are checked before and while reading, bytes become
text only when they are UTF-8 text, and writes are atomic through symlinks."""

import os
import stat
import sys
import threading

import pytest

from lemonspec.compiler import Limits, check_file, check_text
from lemonspec.compiler.files import Refusal, decode, read_bytes, write_text

TEAM = "team t {\n    agent a: MathSolver {}\n}\n"
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev are POSIX")


def codes(result):
    return [d.code for d in result.diagnostics]


@posix_only
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.lemon"
    os.mkfifo(fifo)
    outcome = []
    reader = threading.Thread(target=lambda: outcome.append(check_file(fifo)), daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert outcome, "check_file blocked on a FIFO"
    [found] = outcome[0].diagnostics
    assert found.code == "E0105" and "a FIFO" in found.message


@posix_only
def test_a_device_is_refused_before_it_is_read():
    found = read_bytes("/dev/zero", 1024)
    assert isinstance(found, Refusal) and found.code == "E0105"
    assert "character device" in found.message
    assert codes(check_file("/dev/zero")) == ["E0105"]


def test_a_directory_is_refused(tmp_path):
    assert isinstance(read_bytes(str(tmp_path), 1024), Refusal)


def test_size_is_checked_before_reading(tmp_path):
    big = tmp_path / "big.lemon"
    big.write_text(TEAM + "#" * 2000 + "\n")
    assert codes(check_file(big, limits=Limits(max_file_bytes=1000))) == ["E0901"]
    assert codes(check_file(big, limits=Limits(max_file_bytes=4000))) == []


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")
def test_a_file_whose_size_lies_is_read_only_up_to_the_limit():
    # /proc files report size 0: the bounded read, not fstat, stops them.
    assert os.stat("/proc/self/status").st_size == 0
    found = read_bytes("/proc/self/status", 16)
    assert isinstance(found, Refusal) and found.code == "E0901"


def test_a_missing_file_is_a_diagnostic(tmp_path):
    [found] = check_file(tmp_path / "nowhere.lemon").diagnostics
    assert found.code == "E0103" and "no such file" in found.message


def test_non_utf8_bytes_name_their_byte_offset():
    text, problem = decode("é\n".encode() + b'team \xff')
    assert problem.code == "E0003" and "byte 0xff at byte offset 8" in problem.message
    assert problem.offset == 7 and text[problem.offset] == "\ufffd"


def test_bytes_are_checked_like_a_file():
    assert check_text(TEAM.encode()).ok
    [found] = check_text(b"team t {\n  goal: \"\xe9\"\n}\n").diagnostics
    assert (found.code, found.span.line, found.span.column) == ("E0003", 2, 10)


def test_crlf_files_read_as_in_text_mode(tmp_path):
    spec = tmp_path / "t.lemon"
    spec.write_bytes(TEAM.replace("\n", "\r\n").encode())
    result = check_file(spec)
    assert result.ok and result.sources[str(spec)].text == TEAM


@pytest.mark.parametrize("bad, what", [("\x00", "NUL"), ("\ud800", "U+D800"),
                                       ("\udfff", "U+DFFF")])
def test_text_no_utf8_file_can_hold_is_refused_at_its_place(bad, what):
    text = f'team t {{\n    goal: "a{bad}"\n    agent a: MathSolver {{}}\n}}\n'
    [found] = check_text(text).diagnostics
    assert found.code == "E0003" and what in found.message
    assert text[found.span.start] == bad and (found.span.line, found.span.column) == (2, 13)


def test_a_leading_bom_is_accepted_and_offsets_count_it():
    result = check_text("\ufeff" + TEAM)
    assert result.ok
    name = result.module.teams[0].name
    assert ("\ufeff" + TEAM)[name.span.start:name.span.end] == "t"


def test_a_bom_elsewhere_is_still_a_syntax_error():
    assert codes(check_text(TEAM + "\ufeff")) == ["E0001"]


@posix_only
def test_write_goes_through_a_symlink_and_keeps_the_mode(tmp_path):
    target = tmp_path / "real.lemon"
    target.write_text("old")
    os.chmod(target, 0o640)
    link = tmp_path / "link.lemon"
    link.symlink_to(target)
    write_text(str(link), "new\n")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "new\n"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.lemon", "real.lemon"]


@posix_only
def test_a_new_file_gets_the_umask_mode_not_0600(tmp_path):
    old = os.umask(0o022)
    try:
        write_text(str(tmp_path / "ir.json"), "{}\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "ir.json").st_mode) == 0o644


@pytest.mark.skipif(not os.path.exists("/proc/self/environ"), reason="needs Linux /proc")
def test_only_lemon_files_are_read_even_when_named_on_the_command_line(tmp_path):
    # The user named them, but a tool (an editor, a model's harness) may pass any path:
    # lemonc opens only .lemon files, so no other file can end up in a diagnostic.
    for path in ("/proc/self/environ", "/etc/hostname"):
        [found] = check_file(path).diagnostics
        assert found.code == "E0105" and found.span.start == 0
    disguised = tmp_path / "env.lemon"
    disguised.symlink_to("/proc/self/environ")
    assert codes(check_file(disguised)) == ["E0105"]


def test_a_nul_in_a_file_path_is_a_diagnostic():
    assert codes(check_file("a\x00b.lemon")) == ["E0103"]
    assert read_bytes("a\x00b.lemon", 10).code == "E0103"
