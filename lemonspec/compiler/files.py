"""Files in and out, trusting neither the file nor its bytes.

A file is opened without blocking (a FIFO cannot stall the open), checked with fstat to be a
regular file no larger than the limit before anything is read, then read in bounded chunks
(files in /proc report size 0, so the size on disk is not trusted either). Bytes become text
only when they are UTF-8 with no NUL and, once decoded, no lone surrogate; a leading UTF-8
BOM is accepted (see `TEXT_BOM`). Every refusal is a `Refusal` (a code and words), never an
exception, so the driver can always answer with diagnostics. Files are written (by fmt
and compile -o) through a temporary file in the target's own folder and os.replace, through a
symlink to its target, keeping the target's mode. Proved by tests/compiler/test_files.py.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat

import attrs

from lemonspec.compiler.diagnostics import Diagnostic, error
from lemonspec.compiler.source import Source

# The only files lemonc reads (named on its command line or imported), so that no
# diagnostic can ever show the content of another kind of file.
SPEC_SUFFIX = ".lemon"
CHUNK_BYTES = 64 * 1024
# Editors on Windows write a UTF-8 byte-order mark; it is accepted at the start of a file and
# read as whitespace (the parser sees a space in its place, so every offset still counts it).
TEXT_BOM = "\ufeff"
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
_NOT_TEXT = re.compile("[\x00\ud800-\udfff]")


@attrs.frozen
class Refusal:
    """Why a file or a text was not accepted: a diagnostic code, the message, a way out, and
    (for text) the character offset of the first bad character."""

    code: str
    message: str
    help: str | None = None
    offset: int = 0


def read_bytes(path: str, max_bytes: int) -> bytes | Refusal:
    """The bytes of a regular file of at most `max_bytes`, or why not (FileNotFoundError is
    left to the caller, who knows whether a missing file is an import or an argument).
    Special files are refused before they are opened (opening some devices has effects),
    and again after (fstat), in case the path changed in between."""
    if "\x00" in path:
        return Refusal("E0103", "cannot read the file: its path holds a NUL", None)
    try:
        special = _special(os.stat(path).st_mode)
        if special:
            return special
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise
    except OSError as exc:
        return Refusal("E0103", f"cannot read the file: {exc.strerror or exc}",
                       "check the file's permissions")
    try:
        info = os.fstat(fd)
        special = _special(info.st_mode)
        if special:
            return special
        if info.st_size > max_bytes:
            return _too_large(max_bytes)
        chunks: list[bytes] = []
        total = 0
        while total <= max_bytes:
            chunk = os.read(fd, min(CHUNK_BYTES, max_bytes + 1 - total))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            total += len(chunk)
        return _too_large(max_bytes)
    except OSError as exc:
        return Refusal("E0103", f"cannot read the file: {exc.strerror or exc}", None)
    finally:
        os.close(fd)


def _special(mode: int) -> Refusal | None:
    if stat.S_ISREG(mode):
        return None
    return Refusal("E0105", f"not a regular file ({_kind(mode)})", "point at a .lemon text file")


def _too_large(max_bytes: int) -> Refusal:
    return Refusal("E0901", f"file is larger than {max_bytes} bytes",
                   "split it into files joined with `use`, or raise Limits.max_file_bytes")


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "a special file"


def _newlines(text: str) -> str:
    """As Python's text mode reads files: "\r\n" and "\r" are one "\n"."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def decode(data: bytes) -> tuple[str, Refusal | None]:
    """The text of a file's UTF-8 bytes, newlines as in text mode. On bytes that are not
    UTF-8 the text has U+FFFD in their place (so spans and snippets still work) and the
    refusal names the first bad byte."""
    try:
        text = _newlines(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        offset = len(_newlines(data[:exc.start].decode("utf-8")))
        return _newlines(data.decode("utf-8", "replace")), Refusal(
            "E0003", f"the file is not UTF-8: byte 0x{data[exc.start]:02x} at byte offset "
            f"{exc.start} ({exc.reason})", "save the file as UTF-8", offset)
    return text, text_problem(text)


def text_problem(text: str) -> Refusal | None:
    """A NUL or a lone surrogate (text that no UTF-8 file can hold), or None."""
    bad = _NOT_TEXT.search(text)
    if bad is None:
        return None
    char = bad.group(0)
    what = "a NUL character" if char == "\x00" else f"a lone surrogate U+{ord(char):04X}"
    return Refusal("E0003", f"the text holds {what}, which a UTF-8 text file cannot",
                   "remove it; a spec is UTF-8 text", bad.start())


def utf8_size(text: str) -> int:
    """The UTF-8 size of text (lone surrogates count 3 bytes), without a copy for ASCII."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def source_of(text: str | bytes, path: str, max_bytes: int) -> tuple[Source, Diagnostic | None]:
    """The Source of a text (or of bytes, read as a file's content), and the diagnostic that
    refuses it: too large (checked before decoding), not UTF-8, a NUL, a lone surrogate."""
    if isinstance(text, (bytes, bytearray, memoryview)):
        data = bytes(text)
        if len(data) > max_bytes:
            return Source(path, ""), _refused(_too_large(max_bytes), Source(path, ""))
        text, problem = decode(data)
    elif not isinstance(text, str):
        raise TypeError(f"a spec is str or bytes, not {type(text).__name__}")
    elif utf8_size(text) > max_bytes:
        return Source(path, ""), _refused(_too_large(max_bytes), Source(path, ""))
    else:
        problem = text_problem(text)
    source = Source(path, text)
    return source, _refused(problem, source) if problem else None


def file_source(path: str, max_bytes: int) -> tuple[Source, Diagnostic | None]:
    """The Source of a .lemon file a user named, or the diagnostic that says why it was not
    read (a file of another name, or a symlink to one, is not opened)."""
    data: bytes | Refusal
    if "\x00" in path:
        data = Refusal("E0103", "cannot read the file: its path holds a NUL", None)
    elif not (path.endswith(SPEC_SUFFIX) and os.path.realpath(path).endswith(SPEC_SUFFIX)):
        data = Refusal("E0105", f"not a {SPEC_SUFFIX} file",
                       f"lemonc reads only {SPEC_SUFFIX} specs; rename the file")
    else:
        try:
            data = read_bytes(path, max_bytes)
        except FileNotFoundError:
            data = Refusal("E0103", "cannot read the file: no such file", "check the path")
    if isinstance(data, Refusal):
        return Source(path, ""), _refused(data, Source(path, ""))
    return source_of(data, path, max_bytes)


def _refused(refusal: Refusal, source: Source) -> Diagnostic:
    offset = refusal.offset
    return error(refusal.code, refusal.message, source.path, source.span(offset, offset),
                 refusal.help)


def write_text(path: str, text: str) -> None:
    """Replace a file's content atomically: a temporary file in the target's folder, then
    os.replace. A symlink is written through (its target is replaced, the link stays) and
    the target keeps its mode; a new file gets the mode the umask allows."""
    target = os.path.realpath(path)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    import tempfile  # writing only: keeps `lemonc check` start-up short

    folder, name = os.path.split(target)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _umask() -> int:
    current = os.umask(0o022)  # the only portable way to read it is to set it
    os.umask(current)
    return current
