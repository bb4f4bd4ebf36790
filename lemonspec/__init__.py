"""lemonspec: the .lemon language for multi-agent LLM teams, its compiler, runtime and trainer."""

import os

__version__ = "0.1.0"
LANGUAGE_VERSION = 1

# Busy-waiting OpenMP threads collapse torch on shared CPU cores (15 -> 2 tok/s for the
# embedded model under load). It only takes effect if set before torch is imported, and any
# entry point (runtime, orchestrator, trainer) may be the first to import it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
