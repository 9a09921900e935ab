"""A local HTTP server standing in for the Slack, WhatsApp and webhook endpoints."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

# (status, JSON payload) or (status, body text, content type)
Answer = tuple[int, Any] | tuple[int, str, str]


@dataclass
class HttpEndpoint:
    """A local HTTP server recording requests and answering with scripted responses."""

    server: ThreadingHTTPServer
    requests: list[dict[str, Any]] = field(default_factory=list)
    responses: dict[str, list[Answer]] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, path: str, *responses: Answer) -> None:
        """Responses for `path`, in order; the last one repeats. An answer is (status, JSON
        payload) sent as application/json, or (status, text, content type) sent as it is."""
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
            answer = scripted.pop(0) if len(scripted) > 1 else scripted[0]
            if len(answer) == 3:
                status, text, content_type = answer
                data = str(text).encode()
            else:
                status, payload = answer[0], answer[1]
                data, content_type = json.dumps(payload).encode(), "application/json"
            self.send_response(status)
            self.send_header("Content-Type", content_type)
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
