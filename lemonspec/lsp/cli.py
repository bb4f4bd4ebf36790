"""`lemonc lsp`: start the language server on stdin/stdout."""

from __future__ import annotations

import click

from lemonspec.errors import MissingExtra, fail


@click.command()
@click.option("--profile", help="The runtime profile whose models hover shows for each "
                                "capacity level (a shipped name or a .toml path). Default: "
                                "embedded.")
@click.option("--stdio", is_flag=True, hidden=True, help="Accepted for editors that pass it.")
def lsp(profile, stdio):
    """Run the .lemon language server over stdio (for editors; see docs/editor.md)."""
    try:
        from lemonspec.lsp.server import serve
    except ImportError as exc:  # `lemonc` checks pygls first; this is for a broken install
        raise MissingExtra("lsp", exc.name or "pygls") from None
    from lemonspec.runtime.profiles import ProfileError

    try:
        serve(profile)
    except ProfileError as exc:
        fail(str(exc))
