"""`lemonc serve`: a vLLM server for the orchestrator and workers, in the foreground."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import click

from lemonspec.errors import EXIT_OK, EXIT_RUN, EXIT_USAGE


@click.command()
@click.option("--model-dir", type=click.Path(file_okay=False),
              help="A Hugging Face model folder (default: the embedded SmolLM2, exported once "
                   "to --export-dir).")
@click.option("--export-dir", type=click.Path(file_okay=False),
              default=str(Path.home() / ".cache" / "lemonspec" / "smollm2-135m-hf"),
              show_default=True, help="Where the embedded model is written as an HF folder.")
@click.option("--name", "served_name", default=None,
              help="The served model name [default: smollm2-135m, or the folder's name].")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--python", "python", default=None,
              help="The Python of a virtual environment with vLLM [default: "
                   "$LEMONSPEC_VLLM_PYTHON].")
@click.option("--no-lora", is_flag=True, help="Do not enable runtime LoRA adapters.")
@click.option("--export-only", is_flag=True, help="Write the HF folder and stop.")
def serve(model_dir, export_dir, served_name, port, python, no_lora, export_only):
    """Start a vLLM OpenAI-compatible server (llguidance grammars, runtime LoRA) and keep it
    in the foreground; point profiles at http://127.0.0.1:PORT/v1 with a hosted_vllm/ model."""
    from lemonspec.serving.vllm import (
        EMBEDDED_SERVED_NAME,
        ServerOptions,
        VLLMUnavailable,
        export_embedded,
        start_server,
    )

    if model_dir is None:
        click.echo(f"writing the embedded model to {export_dir} (once)", err=True)
        model_dir = str(export_embedded(Path(export_dir)))
        served_name = served_name or EMBEDDED_SERVED_NAME
    if export_only:
        click.echo(model_dir)
        return
    options = ServerOptions(model_dir=model_dir, served_name=served_name or Path(model_dir).name,
                            port=port, lora=not no_lora)
    click.echo(f"starting vLLM on 127.0.0.1:{port} (start-up takes minutes on a CPU)", err=True)
    try:
        server = start_server(options, python=python)
    except VLLMUnavailable as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_USAGE)
    # SIGTERM (a CI script ending, a supervisor) must stop the server too: it runs in its
    # own session so that Ctrl-C in a terminal reaches only us, and we pass it on.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(EXIT_OK))
    click.echo(f"serving {options.served_name} at {server.api_base} "
               f"(model hosted_vllm/{options.served_name}; for an orchestrator: export "
               f"HOSTED_VLLM_API_BASE={server.api_base}); Ctrl-C stops it", err=True)
    try:
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    if server.process.returncode not in (0, -signal.SIGTERM, None):
        click.echo(f"error: vLLM exited with {server.process.returncode}; its log: "
                   f"{server.log_path}", err=True)
        sys.exit(EXIT_RUN)
