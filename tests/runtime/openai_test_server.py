"""OpenAITestServer: a TEST DOUBLE for a model server. A real HTTP server on 127.0.0.1 (stdlib
`http.server`, in a thread) that speaks the OpenAI chat-completions protocol, as vLLM and
llama.cpp do, so the runtime's real network path (LiteLLM, its Router, httpx) is exercised.
It answers by a rule and counts the requests it served; no model is behind it.

    with OpenAITestServer("a", rule=lambda body: "Answer: 4") as server:
        server.api_base  # http://127.0.0.1:PORT/v1
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

Rule = Callable[[dict[str, Any]], "str | None | int | dict[str, Any]"]


class OpenAITestServer:
    """Serves POST /v1/chat/completions with `rule(request_body)`: a str is the reply's
    content, None a null content, an int an HTTP error status, a dict the whole body."""

    def __init__(self, name: str, rule: Rule | None = None) -> None:
        self.name = name
        self.rule = rule or (lambda body: f"{name} says Answer: 4")
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True,
                                        name=f"test-server-{name}")

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> OpenAITestServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Die: close the listening socket and every open connection, so that requests on
        kept-alive connections fail and new connections are refused."""
        self._httpd.shutdown()
        self._httpd.server_close()
        with self._lock:
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self._thread.is_alive():
            self.stop()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with server._lock:
                    server._connections.add(self.connection)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with server._lock:
                    server.requests.append(body)
                reply = server.rule(body)
                status = 200
                if isinstance(reply, int):
                    status, reply = reply, {"error": {"message": f"test server: {reply}"}}
                elif not isinstance(reply, dict):
                    reply = _completion(body, reply)
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:  # quiet
                pass

        return Handler


def _completion(body: dict[str, Any], content: str | None) -> dict[str, Any]:
    prompt = sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))
    completion = len((content or "").split())
    return {
        "id": "chatcmpl-test", "object": "chat.completion", "created": 0,
        "model": body.get("model", "test"),
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": max(prompt, 1), "completion_tokens": completion,
                  "total_tokens": max(prompt, 1) + completion},
    }
