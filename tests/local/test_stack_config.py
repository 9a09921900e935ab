"""`facewatch local up --config`: the local resources from a stack file, via `facewatch.config`.

The loopback tests run the local mode in-process from a stack file with threshold 90, Slack
and a webhook pointed at an `http.server` on 127.0.0.1: the clip alerts, the webhook request
really reaches the receiver, Slack's stays in the capture sink.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from facewatch.cli import app
from facewatch.cli.local import _threshold_note
from facewatch.engine.embedding import LOCAL_MODE_THRESHOLD
from facewatch.local import scenario
from facewatch.local.notifications import Alert, AuditWatcher
from facewatch.local.resources import PLACEHOLDER_SECRET
from facewatch.local.server import LocalMode
from facewatch.local.sink import captured
from facewatch.local.stack_config import (
    StackConfigError,
    load_stack_file,
    resources_from_config,
)
from facewatch.local.state import read_state

from .conftest import CAMERA, LIN, PHOTOS

CIPHERTEXT = "v1:AAAABBBBCCCCencryptedtokenDDDD"
STACK = {
    "aws:region": "eu-west-1",
    "facewatch:cameras": json.dumps([{"name": "door", "source": "rtsp://cam.local/door"}]),
    "facewatch:analysis": "edge",
    "facewatch:faceMatchThreshold": "95",
    "facewatch:dedupeWindowSeconds": "120",
    "facewatch:unknownFaceAlerts": "true",
    "facewatch:slack": json.dumps({"channel": "#door-alerts"}),
    "facewatch:slackToken": {"secure": CIPHERTEXT},
    "facewatch:whatsapp": json.dumps({"phoneNumberId": "4242", "recipient": "15551230000"}),
    "facewatch:whatsappToken": {"secure": CIPHERTEXT},
    "facewatch:webhook": json.dumps({"url": "https://hooks.example.com/fw"}),
}


def stack_file(folder: Path, values: dict[str, Any], name: str = "Pulumi.home.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump({"config": values}), encoding="utf-8")
    return path


def test_the_stack_files_settings_become_the_local_resources(tmp_path: Path) -> None:
    # Given a stack file with a threshold, window, unknown-face alerts and three channels
    # When the local resources are built from it
    resources = resources_from_config(load_stack_file(stack_file(tmp_path, STACK)))
    # Then they carry the same settings the stack would deploy
    assert resources.region == "eu-west-1"
    assert resources.dedupe_window_seconds == 120
    # the file's threshold is kept for the record; the engine applies its own
    # (docs/local-mode.md)
    assert resources.configured_face_match_threshold == 95.0
    assert resources.face_match_threshold == LOCAL_MODE_THRESHOLD
    assert resources.unknown_face_alerts is True
    assert resources.channels == ("slack", "whatsapp", "webhook")
    assert resources.slack_channel == "#door-alerts"
    assert (resources.whatsapp_phone_number_id, resources.whatsapp_recipient) == (
        "4242",
        "15551230000",
    )
    assert resources.webhook_url == "https://hooks.example.com/fw"
    assert resources.cameras == {"door": "rtsp://cam.local/door"}
    assert resources.collection_id == "facewatch-home"  # the model's default for stack "home"


def test_the_match_definition_uses_the_configured_channels(tmp_path: Path) -> None:
    resources = resources_from_config(load_stack_file(stack_file(tmp_path, STACK)))
    resources.connection_arns.update(dict.fromkeys(("slack", "whatsapp", "webhook"), "arn:c"))
    settings = resources.match_settings("http://127.0.0.1:1")
    assert settings.channels.email is None and settings.channels.sns is None
    assert settings.channels.webhook is not None
    assert settings.channels.webhook.url == "https://hooks.example.com/fw"
    assert settings.unknown_face_alerts is True and settings.dedupe_window_seconds == 120


def test_encrypted_tokens_are_placeholders_never_the_ciphertext(tmp_path: Path) -> None:
    resources = resources_from_config(load_stack_file(stack_file(tmp_path, STACK)))
    described = json.dumps(resources.describe("http://127.0.0.1:1"))
    assert CIPHERTEXT not in described and CIPHERTEXT not in repr(resources)
    assert PLACEHOLDER_SECRET not in described


def test_an_unknown_key_is_refused_naming_the_key(tmp_path: Path) -> None:
    path = stack_file(tmp_path, {**STACK, "facewatch:colour": "red"})
    with pytest.raises(StackConfigError, match="facewatch:colour"):
        load_stack_file(path)


def test_a_token_in_plain_text_is_refused_as_pulumi_up_would(tmp_path: Path) -> None:
    path = stack_file(tmp_path, {**STACK, "facewatch:slackToken": "xoxb-plain"})
    with pytest.raises(StackConfigError, match="slackToken"):
        load_stack_file(path)


def test_local_up_with_an_invalid_stack_file_fails_before_starting(tmp_path: Path) -> None:
    # Given a stack file with a threshold the model refuses
    path = stack_file(tmp_path, {**STACK, "facewatch:faceMatchThreshold": "50"})
    root = tmp_path / "state"
    # When `local up --config` runs
    result = CliRunner().invoke(
        app, ["local", "up", "--root", str(root), "--config", str(path)], env={"COLUMNS": "200"}
    )
    # Then one clear error names the key, and nothing was started
    assert result.exit_code != 0
    assert "faceMatchThreshold" in result.output
    assert read_state(root) is None


def test_a_non_local_plain_http_webhook_url_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["local", "up", "--root", str(tmp_path), "--webhook-url", "http://example.com/hook"],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code != 0
    assert "--webhook-url" in result.output


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Receiver.received.append((self.path, dict(self.headers), body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/facewatch-hook"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def loopback(
    clip: Path, receiver: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LocalMode, list[Alert]]]:
    """Local mode from a stack file with Pulumi.dev.yaml's threshold (90), Slack and a webhook
    pointed at a receiver on 127.0.0.1 (no passthrough); Lin enrolled, the clip played."""
    folder = tmp_path_factory.mktemp("loopback")
    values = {
        "aws:region": "us-east-1",
        "facewatch:cameras": json.dumps([CAMERA]),
        "facewatch:faceMatchThreshold": "90",
        "facewatch:slack": json.dumps({"channel": "#door-alerts"}),
        "facewatch:slackToken": {"secure": CIPHERTEXT},
        "facewatch:webhook": json.dumps({"url": "https://hooks.example.com/fw"}),
    }
    config = load_stack_file(stack_file(folder, values))
    resources = resources_from_config(config, cameras={CAMERA: str(clip)}, webhook_url=receiver)
    local = LocalMode(folder / "state", resources=resources)
    local.start()
    try:
        scenario.enrol(local, PHOTOS[LIN], LIN)
        watcher = AuditWatcher(local.client("s3"), local.resources.audit_bucket)
        yield local, scenario.stream_camera(local, CAMERA, watcher=watcher)
    finally:
        local.stop()


def test_a_threshold_of_90_in_the_stack_file_still_alerts_on_the_sample_clip(
    loopback: tuple[LocalMode, list[Alert]],
) -> None:
    # Then Lin was notified, although the engine's similarity for the clip is 81 to 83
    _, alerts = loopback
    assert [a.name for a in alerts if a.outcome == "notified"] == [LIN], alerts


def test_a_loopback_webhook_is_sent_for_real_without_passthrough(
    loopback: tuple[LocalMode, list[Alert]],
) -> None:
    # Then the receiver on 127.0.0.1 got the notification as a JSON POST naming him, once
    (path, headers, body) = Receiver.received[0]
    assert path == "/facewatch-hook"
    assert headers["Content-Type"].startswith("application/json")
    assert LIN in json.dumps(json.loads(body))
    assert len(Receiver.received) == 1  # once: later sightings are suppressed


def test_channels_not_passed_through_stay_in_the_capture_sink(
    loopback: tuple[LocalMode, list[Alert]],
) -> None:
    # Then Slack's request was captured (never sent to slack.com), the webhook's was not
    local, _ = loopback
    channels = [request["channel"] for request in captured(local.paths.sink)]
    assert channels == ["slack"]


def test_the_stream_processor_applies_the_engines_threshold(
    loopback: tuple[LocalMode, list[Alert]],
) -> None:
    # Then the processor decides with the engine's same-person threshold, and the state says
    # which threshold the file configured
    local, _ = loopback
    described = local.client("rekognition").describe_stream_processor(Name=f"facewatch-{CAMERA}")
    assert described["Settings"]["FaceSearch"]["FaceMatchThreshold"] == LOCAL_MODE_THRESHOLD
    assert local.describe()["configuredFaceMatchThreshold"] == 90.0


def test_up_says_which_threshold_the_local_engine_applies() -> None:
    # Given a stack file's Rekognition threshold of 90; when `local up` reads it
    note = _threshold_note(90.0)
    # Then it says that the engine applies its own 80, and the default 80 needs no note
    assert note is not None and "90" in note and f"applies {LOCAL_MODE_THRESHOLD:g}" in note
    assert _threshold_note(80.0) is None
