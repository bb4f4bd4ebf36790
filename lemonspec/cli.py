"""`lemonc`: the command-line front end. Commands import their phase lazily, so `lemonc
check` starts fast and never loads torch, transformers or litellm."""

from __future__ import annotations

import sys

import click

from lemonspec.errors import EXIT_INVALID, LemonspecError, report, require_extra

FORMATS = ("concise", "full", "json")

# Commands that live with their phase, imported only when invoked (click's lazy-group
# recipe): `lemonc check` must not pay for asyncio, LiteLLM or torch. Their one-line help is
# kept here, so that `lemonc --help` and shell completion list them without importing them
# (the orchestrator's and the trainer's modules import torch). The last field is the extra
# (and the modules that stand for it) a command needs before its module can even load.
EMBEDDED = ("embedded", ("torch", "transformers", "llguidance"))
TRAIN = ("train", ("torch", "transformers", "trl", "peft", "datasets"))
LSP = ("lsp", ("pygls",))
DESIGN = ("embedded", ("torch",))  # the learned designers' models are torch modules
LAZY_COMMANDS = {
    "run": ("lemonspec.runtime.cli:run", "Run a team from FILE on a task input.", None),
    "bench": ("lemonspec.benchmarks.cli:bench",
              "Run a team or an orchestrator over a benchmark, resumably.", None),
    "report": ("lemonspec.benchmarks.cli:report", "Compare results files of lemonc bench.", None),
    "baselines": ("lemonspec.benchmarks.cli:baselines", "The paper's baselines as .lemon specs.",
                  None),
    # The embedded extra only for a local model: the command checks it (a remote one needs
    # neither torch nor llguidance).
    "generate": ("lemonspec.orchestrator.cli:generate",
                 "Write teams for a task with the orchestrator model.", None),
    "train": ("lemonspec.training.cli:train", "Train the orchestrator (SFT warm start or GRPO).",
              TRAIN),
    "lsp": ("lemonspec.lsp.cli:lsp", "Run the .lemon language server over stdio (editors).",
            LSP),
    "view": ("lemonspec.view.cli:view", "Write an HTML page for a run trace or bench results.",
             None),
    "serve": ("lemonspec.serving.cli:serve",
              "Start a vLLM server for the orchestrator or workers.", None),
    "design": ("lemonspec.designers.cli:design",
               "Train or search a team designer (AgentPrune, AFlow, ...).", DESIGN),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx, name):
        if name in LAZY_COMMANDS:
            import importlib

            target, _, needs = LAZY_COMMANDS[name]
            if needs:
                require_extra(needs[0], *needs[1])
            module, attr = target.split(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)

    def help_line(self, ctx, name: str, limit: int) -> str | None:
        """A command's one-line help, from the registry for lazy ones; None if hidden."""
        if name in LAZY_COMMANDS:
            return LAZY_COMMANDS[name][1]
        command = super().get_command(ctx, name)
        return None if command is None or command.hidden else command.get_short_help_str(limit)

    def format_commands(self, ctx, formatter):
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(map(len, names))
        rows = [(name, text) for name in names
                if (text := self.help_line(ctx, name, limit)) is not None]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def shell_complete(self, ctx, incomplete):
        from click.shell_completion import CompletionItem

        commands = [CompletionItem(name, help=text) for name in self.list_commands(ctx)
                    if name.startswith(incomplete)
                    and (text := self.help_line(ctx, name, 45)) is not None]
        return commands + click.Command.shell_complete(self, ctx, incomplete)

    def invoke(self, ctx):
        """Any package error that reaches here is printed as one `error:` line (and a hint),
        with its exit code: the one place where the CLI turns failures into exits."""
        try:
            return super().invoke(ctx)
        except LemonspecError as error:
            report(error)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="lemonspec")
def main():
    """lemonc: check, format, compile, draw and run .lemon multi-agent team specs."""
    from lemonspec.environment import configure

    configure()


def _levels_option(f):
    return click.option(
        "--levels", default="small,medium,large", show_default=True,
        help="The ordered capacity levels, lowest first (a runtime profile's levels).")(f)


def _root_option(f):
    return click.option(
        "--root", type=click.Path(file_okay=False),
        help="The project root `use` may not leave (default: each file's folder).")(f)


def _split_levels(levels: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in levels.split(",") if x.strip())


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="concise", show_default=True)
@_levels_option
@_root_option
def check(files, fmt, levels, root):
    """Check .lemon files; exit 0 if clean, 1 if any has errors."""
    from lemonspec.compiler import check_file
    from lemonspec.compiler.diagnostics import render_concise, render_full, render_json

    results = [check_file(f, levels=_split_levels(levels), root=root) for f in files]
    diagnostics = [d for r in results for d in r.diagnostics]
    if fmt == "json":
        click.echo(render_json(diagnostics), nl=False)
    elif fmt == "full":
        sources = {p: s for r in results for p, s in r.sources.items()}
        click.echo(render_full(diagnostics, sources), nl=False)
    else:
        click.echo(render_concise(diagnostics), nl=False)
    sys.exit(EXIT_INVALID if any(not r.ok for r in results) else 0)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--check", "check_only", is_flag=True, help="Report files that are not formatted.")
def fmt(files, check_only):
    """Rewrite .lemon files in the canonical layout (or, with --check, list the ones that
    are not). A file with a syntax error, an unknown escape or bytes that are not UTF-8 is
    left as it is (exit 1). Writes are atomic, through a symlink, keeping the file's mode."""
    from lemonspec.compiler import CompileError
    from lemonspec.compiler.diagnostics import render_concise
    from lemonspec.compiler.fmt import format_file

    unformatted = failed = 0
    for path in files:
        try:
            text, formatted = format_file(path)
        except CompileError as exc:
            click.echo(render_concise(exc.diagnostics), nl=False, err=True)
            failed += 1
            continue
        if formatted != text:
            unformatted += 1
            if check_only:
                click.echo(f"would reformat {path}")
            elif _write_atomically(path, formatted):
                click.echo(f"reformatted {path}")
            else:
                failed += 1
    sys.exit(EXIT_INVALID if failed or (check_only and unformatted) else 0)


def _write_atomically(path: str, text: str) -> bool:
    from lemonspec.compiler.files import write_text

    try:
        write_text(path, text)
    except OSError as exc:
        click.echo(f"{path}: cannot write the file: {exc.strerror or exc}", err=True)
        return False
    return True


def _compile_or_exit(file, team, levels, root):
    from lemonspec.compiler import CompileError, compile_file
    from lemonspec.compiler.diagnostics import render_concise

    try:
        return compile_file(file, team=team, levels=_split_levels(levels), root=root)
    except CompileError as exc:
        click.echo(render_concise(exc.diagnostics), nl=False, err=True)
        sys.exit(EXIT_INVALID)


@main.command(name="compile")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--team", help="The team to compile (needed when the file has several).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the IR here.")
@_levels_option
@_root_option
def compile_(file, team, output, levels, root):
    """Compile one team to its IR (JSON)."""
    ir = _compile_or_exit(file, team, levels, root)
    if output:
        if not _write_atomically(output, ir.dumps()):
            sys.exit(EXIT_INVALID)
    else:
        click.echo(ir.dumps(), nl=False)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--team", help="The team to draw (needed when the file has several).")
@click.option("--format", "fmt", type=click.Choice(["dot", "mermaid"]), default="dot",
              show_default=True)
@_levels_option
@_root_option
def graph(file, team, fmt, levels, root):
    """Print a team's dependency graph as Graphviz dot or Mermaid."""
    from lemonspec.compiler.graphviz import to_dot, to_mermaid

    ir = _compile_or_exit(file, team, levels, root)
    click.echo(to_dot(ir) if fmt == "dot" else to_mermaid(ir), nl=False)


if __name__ == "__main__":
    main()
