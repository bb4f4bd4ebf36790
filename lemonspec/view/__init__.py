"""`lemonc view`: a self-contained HTML page for a run trace or a bench results file.
`model` reads what the file says (never raising on its content), `page` renders it."""
