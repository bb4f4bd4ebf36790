"""Serving engines (vLLM) started and driven from lemonspec."""
