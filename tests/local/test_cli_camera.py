"""`camera run` against the local mode: its endpoint, names and dummy credentials.

A moto server on a free port plays the running local mode's endpoint (Kinesis, S3, STS);
the state file is replaced by monkeypatching `running_local`. No AWS credentials exist in
the environment, so any client that asked for real ones would fail.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer
from typer.testing import CliRunner

import facewatch.cli.camera as cli_camera
import facewatch.cli.common as cli_common
from facewatch.agent.runner import RunSummary
from facewatch.agent.status import Counters
from facewatch.local.resources import LocalResources

from .conftest import free_port

CLIP = Path(__file__).resolve().parents[2] / "sample_data" / "video" / "short_hamilton_clip.mp4"


@pytest.fixture
def local_mode(no_credentials: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A running local mode as `camera run` finds it: state (names, endpoint) + endpoint."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    resources = LocalResources()
    state = {**resources.describe(url), "pid": 1}
    monkeypatch.setattr(cli_common, "running_local", lambda root: state)
    target = cli_common.resolve_target(endpoint_url=url)
    target.client("kinesis").create_stream(StreamName=resources.data_stream, ShardCount=1)
    target.client("s3").create_bucket(Bucket=resources.audit_bucket)
    try:
        yield url, resources
    finally:
        server.stop()


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What the agent is started with; moto has no Rekognition collections, so the
    collection check only records which endpoint it was sent to."""
    seen: dict[str, Any] = {}

    def check_collection(rekognition: Any, collection_id: str) -> None:
        seen["rekognition_endpoint"] = rekognition.meta.endpoint_url

    def fake_run(config: Any, backend: Any, sink: Any, uploader: Any, **_: Any) -> Any:
        seen.update(config=config, sink=sink, uploader=uploader)
        return RunSummary(Counters())

    monkeypatch.setattr(cli_camera, "_check_collection", check_collection)
    monkeypatch.setattr(cli_camera, "run", fake_run)
    return seen


def test_running_local_mode_is_used_without_aws_credentials(
    local_mode: tuple[str, LocalResources], started: dict[str, Any]
) -> None:
    # given: a running local mode and no AWS credentials anywhere
    url, resources = local_mode
    # when: only the camera and its source are given
    result = CliRunner().invoke(
        cli_camera.camera_app, ["run", "--camera", "door", "--source", str(CLIP)]
    )
    # then: no credentials error; every client talks to the local endpoint, with its names
    assert result.exit_code == 0, result.output
    assert started["rekognition_endpoint"] == url
    assert started["config"].collection_id == resources.collection_id
    assert started["sink"].stream_name == resources.data_stream
    assert started["sink"].client.meta.endpoint_url == url
    assert started["uploader"].bucket == resources.audit_bucket
    assert started["uploader"].s3.meta.endpoint_url == url


def test_explicit_resource_flags_win_over_a_running_local_mode(
    no_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a local mode is running
    state = {**LocalResources().describe("http://127.0.0.1:5123"), "pid": 1}
    monkeypatch.setattr(cli_common, "running_local", lambda root: state)
    asked: list[tuple[str | None, str | None]] = []

    def clients(region: str | None, endpoint_url: str | None) -> dict[str, Any]:
        asked.append((region, endpoint_url))
        raise cli_camera.AgentError("stop here", "nothing")

    monkeypatch.setattr(cli_camera, "_clients", clients)
    # when: the deployed stack's names are passed as flags
    CliRunner().invoke(
        cli_camera.camera_app,
        [
            *["run", "--camera", "door", "--source", str(CLIP)],
            *["--collection", "stack-faces", "--stream", "stack-records", "--region", "eu-west-1"],
        ],
    )
    # then: the clients are AWS's in that region, not the local endpoint's
    assert asked == [("eu-west-1", None)]
