"""The language server (`lemonc lsp`): the compiler's diagnostics, hover, definitions,
completion, formatting and rename in any LSP editor. `analysis` holds what it knows;
`server` speaks the protocol (pygls)."""
