"""A local HTTP server standing in for the Slack, WhatsApp and webhook endpoints."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class HttpEndpoint:
    """A local HTTP server recording requests and answering with scripted responses."""

    server: ThreadingHTTPServer
    requests: list[dict[str, Any]] = field(default_factory=list)
    responses: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, path: str, *responses: tuple[int, dict[str, Any]]) -> None:
        """Responses for `path`, in order; the last one repeats."""
        self.responses[path] = list(responses)

    def requests_to(self, path: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"] == path]


def _handler_for(endpoint_ref: list[HttpEndpoint]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            endpoint = endpoint_ref[0]
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            endpoint.requests.append(
                {
                    "path": self.path,
                    "headers": dict(self.headers),
                    "body": json.loads(body or b"null"),
                }
            )
            scripted = endpoint.responses.get(self.path, [(200, {"ok": True})])
            status, payload = scripted.pop(0) if len(scripted) > 1 else scripted[0]
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def http_endpoint() -> Iterator[HttpEndpoint]:
    ref: list[HttpEndpoint] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(ref))
    ref.append(HttpEndpoint(server))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield ref[0]
    server.shutdown()
    server.server_close()
