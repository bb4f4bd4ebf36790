"""The compiler: parse -> AST -> checks -> IR, plus the formatter and the edits API.

Public API (everything else in this package is a phase's internals):
    check_text / check_file      -> CheckResult (every diagnostic, never an exception)
    compile_text / compile_file  -> TeamIR, or CompileError carrying the diagnostics
    format_text                  -> the canonical layout (`lemonc fmt`), or CompileError

The *_text functions take str or bytes (read as a file's content); `root=` is the folder
`use` may not leave (default: the file's folder). Nothing else is ever raised, whatever the
input (tests/compiler/test_fuzz.py).
"""

from lemonspec.compiler.diagnostics import CompileError, Diagnostic, Severity
from lemonspec.compiler.driver import (
    DEFAULT_LEVELS,
    CheckResult,
    Limits,
    check_file,
    check_text,
    compile_file,
    compile_text,
)
from lemonspec.compiler.fmt import format_text
from lemonspec.compiler.ir import AgentNode, AnswerType, OutputRule, TeamIR

__all__ = [
    "DEFAULT_LEVELS", "AgentNode", "AnswerType", "CheckResult", "CompileError", "Diagnostic", "Limits",
    "OutputRule", "Severity", "TeamIR", "check_file", "check_text", "compile_file",
    "compile_text", "format_text",
]
