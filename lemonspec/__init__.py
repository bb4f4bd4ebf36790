"""lemonspec: the .lemon language for multi-agent LLM teams, its compiler, runtime and trainer."""

__version__ = "0.1.0"
LANGUAGE_VERSION = 1
