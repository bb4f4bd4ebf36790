"""`lemonc lsp`: start the language server on stdin/stdout."""

from __future__ import annotations

import sys

import click


@click.command()
@click.option("--profile", help="The runtime profile whose models hover shows for each "
                                "capacity level (a shipped name or a .toml path). Default: "
                                "embedded.")
@click.option("--stdio", is_flag=True, hidden=True, help="Accepted for editors that pass it.")
def lsp(profile, stdio):
    """Run the .lemon language server over stdio (for editors; see docs/editor.md)."""
    try:
        from lemonspec.lsp.server import serve
    except ImportError as exc:
        click.echo(f"error: the language server needs pygls ({exc}); install it with "
                   "`pip install 'lemonspec[lsp]'`", err=True)
        sys.exit(2)
    from lemonspec.runtime.profiles import ProfileError

    try:
        serve(profile)
    except ProfileError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
