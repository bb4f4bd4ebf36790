"""`lemonc`: the command-line front end. Commands import their phase lazily, so `lemonc
check` starts fast and never loads torch, transformers or litellm."""

from __future__ import annotations

import sys

import click

FORMATS = ("concise", "full", "json")

# Commands that live with their phase, imported only when invoked (click's lazy-group
# recipe): `lemonc check` must not pay for asyncio, LiteLLM or torch.
LAZY_COMMANDS = {
    "run": "lemonspec.runtime.cli:run",
    "bench": "lemonspec.benchmarks.cli:bench",
    "report": "lemonspec.benchmarks.cli:report",
    "baselines": "lemonspec.benchmarks.cli:baselines",
    "generate": "lemonspec.orchestrator.cli:generate",
    "train": "lemonspec.training.cli:train",
    "design": "lemonspec.designers.cli:design",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx, name):
        if name in LAZY_COMMANDS:
            import importlib

            module, attr = LAZY_COMMANDS[name].split(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="lemonspec")
def main():
    """lemonc: check, format, compile, draw and run .lemon multi-agent team specs."""


def _levels_option(f):
    return click.option(
        "--levels", default="small,medium,large", show_default=True,
        help="The ordered capacity levels, lowest first (a runtime profile's levels).")(f)


def _split_levels(levels: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in levels.split(",") if x.strip())


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="concise", show_default=True)
@_levels_option
def check(files, fmt, levels):
    """Check .lemon files; exit 0 if clean, 1 if any has errors."""
    from lemonspec.compiler import check_file
    from lemonspec.compiler.diagnostics import render_concise, render_full, render_json

    results = [check_file(f, levels=_split_levels(levels)) for f in files]
    diagnostics = [d for r in results for d in r.diagnostics]
    if fmt == "json":
        click.echo(render_json(diagnostics), nl=False)
    elif fmt == "full":
        sources = {p: s for r in results for p, s in r.sources.items()}
        click.echo(render_full(diagnostics, sources), nl=False)
    else:
        click.echo(render_concise(diagnostics), nl=False)
    sys.exit(1 if any(not r.ok for r in results) else 0)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--check", "check_only", is_flag=True, help="Report files that are not formatted.")
def fmt(files, check_only):
    """Rewrite .lemon files in the canonical layout (or, with --check, list the ones that
    are not)."""
    from lemonspec.compiler import CompileError, format_text
    from lemonspec.compiler.diagnostics import render_concise

    unformatted = failed = 0
    for path in files:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        try:
            formatted = format_text(text, path)
        except CompileError as exc:
            click.echo(render_concise(exc.diagnostics), nl=False, err=True)
            failed += 1
            continue
        if formatted != text:
            unformatted += 1
            if check_only:
                click.echo(f"would reformat {path}")
            else:
                _write_atomically(path, formatted)
                click.echo(f"reformatted {path}")
    sys.exit(1 if failed or (check_only and unformatted) else 0)


def _write_atomically(path: str, text: str):
    import os
    import tempfile

    folder = os.path.dirname(os.path.abspath(path))
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=folder, delete=False) as tmp:
        tmp.write(text)
    os.replace(tmp.name, path)


def _compile_or_exit(file, team, levels):
    from lemonspec.compiler import CompileError, compile_file
    from lemonspec.compiler.diagnostics import render_concise

    try:
        return compile_file(file, team=team, levels=_split_levels(levels))
    except CompileError as exc:
        click.echo(render_concise(exc.diagnostics), nl=False, err=True)
        sys.exit(1)


@main.command(name="compile")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--team", help="The team to compile (needed when the file has several).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the IR here.")
@_levels_option
def compile_(file, team, output, levels):
    """Compile one team to its IR (JSON)."""
    ir = _compile_or_exit(file, team, levels)
    if output:
        _write_atomically(output, ir.dumps())
    else:
        click.echo(ir.dumps(), nl=False)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--team", help="The team to draw (needed when the file has several).")
@click.option("--format", "fmt", type=click.Choice(["dot", "mermaid"]), default="dot",
              show_default=True)
@_levels_option
def graph(file, team, fmt, levels):
    """Print a team's dependency graph as Graphviz dot or Mermaid."""
    from lemonspec.compiler.graphviz import to_dot, to_mermaid

    ir = _compile_or_exit(file, team, levels)
    click.echo(to_dot(ir) if fmt == "dot" else to_mermaid(ir), nl=False)


if __name__ == "__main__":
    main()
