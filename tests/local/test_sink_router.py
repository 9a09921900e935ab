"""The local mode's HTTP Task routing: loopback and passed-through channels for real, the rest
captured."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from facewatch.local.sink import CaptureSink, ChannelRouter, captured

SLACK = "https://slack.com/api/chat.postMessage"
WHATSAPP = "https://graph.facebook.com/v21.0/42/messages"
HOOK = "https://hooks.example.com/fw"


class FakeSend:
    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, method: str, url: str, headers: Any, body: Any) -> Any:
        self.urls.append(url)
        return 204, {}, b""


def route(tmp_path: Path, urls: list[str], passthrough: tuple[str, ...] = ()) -> list[str]:
    send = FakeSend()
    router = ChannelRouter(CaptureSink(tmp_path), send, passthrough)
    for url in urls:
        router("POST", url, {}, b"{}")
    return send.urls


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/hook", "http://localhost:9/x", "http://[::1]:9/x"]
)
def test_a_url_on_this_machine_is_sent_for_real(tmp_path: Path, url: str) -> None:
    assert route(tmp_path, [url]) == [url]
    assert captured(tmp_path) == []


def test_without_passthrough_nothing_leaves_the_machine(tmp_path: Path) -> None:
    assert route(tmp_path, [SLACK, WHATSAPP, HOOK]) == []
    assert [r["channel"] for r in captured(tmp_path)] == ["slack", "whatsapp", "webhook"]


def test_only_the_channels_passed_through_are_sent(tmp_path: Path) -> None:
    assert route(tmp_path, [SLACK, WHATSAPP, HOOK], ("slack",)) == [SLACK]
    assert [r["channel"] for r in captured(tmp_path)] == ["whatsapp", "webhook"]


def test_an_unknown_channel_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="sms"):
        ChannelRouter(CaptureSink(tmp_path), FakeSend(), ("sms",))
