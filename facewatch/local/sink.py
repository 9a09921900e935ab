"""The capture sink: what Slack, WhatsApp and the webhook would have received.

The local mode hands a `ChannelRouter` to `facewatch.local.bridge.http_task.install` as its
transport. It sends a request for real when the URL is on this machine (a receiver the user
runs, e.g. `local up --webhook-url http://127.0.0.1:PORT/hook`) or when its channel was passed
through (`local up --http-passthrough slack`); every other request goes to the capture sink,
so nothing leaves the machine unless asked. The sink writes each HTTP Task request to
`<folder>/<time>-<channel>-<n>.json` (method, URL, headers with credentials redacted, body)
and answers it the way the real
service answers a success (Slack `{"ok": true, ...}`, WhatsApp `{"messages": [...]}`,
the webhook HTTP 200), so the workflow takes its success path.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REDACTED = "***"
CHANNELS = ("slack", "whatsapp", "webhook")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_SECRET_HEADERS = {"authorization", "x-api-key", "proxy-authorization"}


def channel_for(url: str) -> str:
    host = urlsplit(url).hostname or ""
    if host.endswith("slack.com"):
        return "slack"
    if host.endswith("facebook.com"):
        return "whatsapp"
    return "webhook"


def _decode(body: Any) -> Any:
    if isinstance(body, bytes | bytearray):
        body = bytes(body).decode("utf-8", "replace")
    if isinstance(body, str):
        try:
            return json.loads(body)
        except ValueError:
            return body
    return body


class CaptureSink:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def __call__(
        self, method: str, url: str, headers: dict[str, str], body: Any
    ) -> tuple[int, dict[str, str], bytes]:
        channel = channel_for(url)
        record = {
            "time": time.time(),
            "channel": channel,
            "method": method,
            "url": url,
            "headers": {
                k: (REDACTED if k.lower() in _SECRET_HEADERS else v)
                for k, v in (headers or {}).items()
            },
            "body": _decode(body),
        }
        with self._lock:
            n = next(self._counter)
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{time.time_ns() % 10**9:09d}-{channel}-{n}.json"
        (self.folder / name).write_text(json.dumps(record, indent=2, ensure_ascii=False), "utf-8")
        return 200, {"Content-Type": "application/json"}, json.dumps(_answer(channel, n)).encode()


Transport = Callable[[str, str, dict[str, str], Any], tuple[int, Mapping[str, str], bytes]]


def is_loopback(url: str) -> bool:
    return (urlsplit(url).hostname or "") in LOOPBACK_HOSTS


class ChannelRouter:
    """Per request: for real (`send`) to this machine or a passed-through channel, else the
    sink. Only loopback URLs go out by default: the local mode never reaches the internet
    unless a channel is named in `passthrough`."""

    def __init__(self, sink: CaptureSink, send: Transport, passthrough: Iterable[str] = ()):
        unknown = set(passthrough) - set(CHANNELS)
        if unknown:
            raise ValueError(f"unknown channel(s) {sorted(unknown)}: use {', '.join(CHANNELS)}")
        self.sink, self.send, self.passthrough = sink, send, frozenset(passthrough)

    def __call__(
        self, method: str, url: str, headers: dict[str, str], body: Any
    ) -> tuple[int, Mapping[str, str], bytes]:
        if is_loopback(url) or channel_for(url) in self.passthrough:
            return self.send(method, url, headers, body)
        return self.sink(method, url, headers, body)


def _answer(channel: str, n: int) -> dict[str, Any]:
    if channel == "slack":
        return {"ok": True, "channel": "C0LOCAL", "ts": f"{time.time():.6f}"}
    if channel == "whatsapp":
        return {
            "messaging_product": "whatsapp",
            "contacts": [{"input": "local", "wa_id": "local"}],
            "messages": [{"id": f"wamid.local.{n}"}],
        }
    return {"ok": True}


def captured(folder: Path) -> list[dict[str, Any]]:
    """Every captured request, oldest first."""
    return [json.loads(p.read_text("utf-8")) for p in sorted(folder.glob("*.json"))]
