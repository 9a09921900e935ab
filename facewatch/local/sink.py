"""The capture sink: what Slack, WhatsApp and the webhook would have received.

The local mode hands this callable to `facewatch.local.bridge.http_task.install` as its
transport: each HTTP Task request is written to `<folder>/<time>-<channel>-<n>.json`
(method, URL, headers with credentials redacted, body) and answered the way the real
service answers a success (Slack `{"ok": true, ...}`, WhatsApp `{"messages": [...]}`,
the webhook HTTP 200), so the workflow takes its success path.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REDACTED = "***"
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
