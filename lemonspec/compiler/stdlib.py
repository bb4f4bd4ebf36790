"""The standard library of base roles: `.lemon` files shipped in lemonspec/stdlib/, always
in scope. Role pools group them by task family, as the paper's baselines do."""

from __future__ import annotations

import functools
from pathlib import Path

from lemonspec.compiler import ast
from lemonspec.compiler.parser import parse
from lemonspec.compiler.source import Source

# Package data read by path: importlib.resources costs more start-up than the whole check.
STDLIB_DIR = Path(__file__).parents[1] / "stdlib"
STDLIB_FILES = ("math.lemon", "mmlu.lemon", "code.lemon")

ROLE_POOLS = {
    "math": ("MathSolver", "MathAnalyst", "ProgrammingExpert", "Inspector"),
    "mmlu": ("KnowledgeableExpert", "Critic", "Mathematician", "Historian", "Doctor", "Lawyer",
             "Economist", "Psychologist", "Programmer"),
    "code": ("ProjectManager", "AlgorithmDesigner", "ProgrammingExpert", "TestAnalyst",
             "BugFixer"),
}


@functools.cache
def standard_modules() -> tuple[ast.Module, ...]:
    modules = []
    for name in STDLIB_FILES:
        text = (STDLIB_DIR / name).read_text(encoding="utf-8")
        module, diagnostics = parse(Source(f"<std>/{name}", text))
        assert module is not None and not diagnostics, f"the standard library {name} is broken"
        modules.append(module)
    return tuple(modules)


@functools.cache
def standard_role_nodes() -> dict[str, ast.Role]:
    return {role.name.text: role for m in standard_modules() for role in m.roles}


def standard_roles() -> dict[str, str]:
    """Standard base role name -> description."""
    return {name: role.description.value for name, role in standard_role_nodes().items()}


def role_pool(family: str) -> tuple[str, ...]:
    """The base roles the paper's baselines use for a task family: math, mmlu or code."""
    if family not in ROLE_POOLS:
        raise KeyError(f"unknown role pool {family!r}; the pools are {', '.join(ROLE_POOLS)}")
    return ROLE_POOLS[family]
