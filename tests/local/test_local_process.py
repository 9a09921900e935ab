"""`facewatch local up | down | status` as a user runs them, with `faces` commands in between.

The server runs as a background process; the CLI finds it through the state folder. After
`down` then `up` the enrolled person is still there (photos re-uploaded from the state
folder; collection and registry rebuilt together by the indexing workflow) and the dedupe
entries are back. The tests run in file order on one instance (a user's session).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from PIL import Image
from typer.testing import CliRunner

from facewatch.cli import app
from facewatch.local.notifications import Alert, AuditWatcher
from facewatch.local.state import pid_alive, read_state
from facewatch.workflows.indexing import external_image_id

from .conftest import CAMERA, LIN, PHOTOS, free_port

runner = CliRunner()
WIDE = {"COLUMNS": "250"}


def cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=WIDE)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def root(clip: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("state")
    port = str(free_port())
    code, output = cli("local", "up", "--root", str(folder), "--port", port, *_cameras(clip))
    assert code == 0, output
    try:
        yield folder
    finally:
        cli("local", "down", "--root", str(folder))


REFUSED_PORT = free_port()  # bound, then closed: connections to it are refused


def _cameras(clip: Path) -> list[str]:
    # The sample clip, a camera whose file does not exist and an RTSP camera that refuses
    # connections (their processors must fail, saying why).
    return [
        *("--camera", f"stage={clip}"),
        *("--camera", f"broken={clip.parent / 'missing.mp4'}"),
        *("--camera", f"refused=rtsp://127.0.0.1:{REFUSED_PORT}/stream"),
    ]


def endpoint_client(root: Path, service: str) -> Any:
    state = read_state(root)
    assert state is not None
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=state["endpointUrl"],
        region_name=state["region"],
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )


def collection_faces(root: Path) -> list[dict[str, Any]]:
    state = read_state(root)
    assert state is not None
    rekognition = endpoint_client(root, "rekognition")
    return list(rekognition.list_faces(CollectionId=state["collectionId"])["Faces"])


def lin_key(root: Path) -> str:
    _, listing = cli("faces", "list", "--root", str(root))
    row = next(line for line in listing.splitlines() if LIN in line)
    return next(cell.strip() for cell in row.split("│") if cell.strip().endswith(".png"))


def stream_clip(root: Path, timeout: float = 120.0) -> list[Alert]:
    """Start the camera's stream processor through the API, wait until the clip ended and
    every execution it caused finished; returns the new alerts (audit records)."""
    state = read_state(root)
    assert state is not None
    watcher = AuditWatcher(endpoint_client(root, "s3"), state["auditBucket"])
    watcher.poll()  # what was there before
    rekognition, sfn = endpoint_client(root, "rekognition"), endpoint_client(root, "stepfunctions")
    name = f"facewatch-{CAMERA}"
    rekognition.start_stream_processor(Name=name)
    deadline = time.monotonic() + timeout
    while rekognition.describe_stream_processor(Name=name)["Status"] != "STOPPED":
        assert time.monotonic() < deadline, "the clip did not end in time"
        time.sleep(0.3)
    # Settled: no execution running and none started for longer than the Pipe's window.
    seen, quiet_since = -1, time.monotonic()
    while time.monotonic() - quiet_since < 2.5:
        assert time.monotonic() < deadline, "executions did not settle in time"
        executions = sfn.list_executions(stateMachineArn=state["matchStateMachineArn"])
        statuses = [e["status"] for e in executions["executions"]]
        if len(statuses) != seen or "RUNNING" in statuses:
            seen, quiet_since = len(statuses), time.monotonic()
        time.sleep(0.3)
    return watcher.poll()


def test_up_records_a_running_endpoint_and_status_reports_it(root: Path) -> None:
    state = read_state(root)
    assert state is not None and pid_alive(state["pid"])
    code, output = cli("local", "status", "--root", str(root))
    assert code == 0, output
    assert state["endpointUrl"] in output
    assert "facewatch-stage: STOPPED" in output


def _port(root: Path) -> str:
    state = read_state(root)
    assert state is not None
    return str(state["endpointUrl"]).rsplit(":", 1)[1]


def test_up_again_with_the_same_options_reports_the_running_instance(
    root: Path, clip: Path
) -> None:
    # given a running local mode; when `up` is run again exactly as it was started
    code, output = cli("local", "up", "--root", str(root), "--port", _port(root), *_cameras(clip))
    # then it succeeds without starting anything new
    assert code == 0, output
    assert "already running" in output


def test_up_again_with_other_options_is_refused_naming_the_restart(root: Path, clip: Path) -> None:
    # given a running local mode; when `up` asks for another dedupe window
    pid = read_state(root)["pid"]  # type: ignore[index]
    code, output = cli(
        "local", "up", "--root", str(root), "--port", _port(root), *_cameras(clip),
        "--dedupe-window", "60",
    )  # fmt: skip
    # then it is refused (not ignored), says how to apply the options, and the instance runs on
    assert code == 2, output
    assert "already runs" in output and "other options" in output
    assert "facewatch local down" in output
    assert read_state(root)["pid"] == pid and pid_alive(pid)  # type: ignore[index]


def _failed_message(root: Path, name: str) -> str:
    rekognition = endpoint_client(root, "rekognition")
    rekognition.start_stream_processor(Name=name)
    deadline = time.monotonic() + 60
    while (described := rekognition.describe_stream_processor(Name=name))["Status"] != "FAILED":
        assert described["Status"] in ("STARTING", "RUNNING"), described
        assert time.monotonic() < deadline, "the processor did not fail"
        time.sleep(0.2)
    return str(described["StatusMessage"])


@pytest.mark.parametrize(
    ("camera", "reason"),
    [("broken", "does not exist"), ("refused", "cannot open network source")],
)
def test_a_processor_with_a_bad_source_fails_and_status_says_why(
    root: Path, camera: str, reason: str
) -> None:
    # given a camera whose file does not exist / whose RTSP port refuses; when started
    message = _failed_message(root, f"facewatch-{camera}")
    # then it is FAILED with the agent's reason, and `local status` shows that reason
    assert reason in message, message
    code, output = cli("local", "status", "--root", str(root))
    assert code == 0, output
    [line] = [row for row in output.splitlines() if f"facewatch-{camera}" in row]
    assert "FAILED" in line and reason in line


def test_faces_add_waits_for_indexing_and_list_shows_the_face(root: Path) -> None:
    code, output = cli("faces", "add", str(PHOTOS[LIN]), "--name", LIN, "--root", str(root))
    assert code == 0, output
    assert "indexed" in output
    code, listing = cli("faces", "list", "--root", str(root))
    row = next(line for line in listing.splitlines() if LIN in line)
    assert "indexed" in row and "lin-manuel-miranda/lin-manuel-miranda.png" in row


def test_cloud_clients_see_the_executions(root: Path) -> None:
    # What `aws --endpoint-url ... stepfunctions list-executions` does, with boto3.
    state = read_state(root)
    assert state is not None
    sfn = boto3.client(
        "stepfunctions",
        endpoint_url=state["endpointUrl"],
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    executions = sfn.list_executions(stateMachineArn=state["indexingStateMachineArn"])
    assert [e["status"] for e in executions["executions"]] == ["SUCCEEDED"]


def test_photo_without_face_gets_a_visible_outcome_and_exit_1(root: Path, tmp_path: Path) -> None:
    blank = tmp_path / "wall.png"
    Image.new("RGB", (320, 240), (200, 200, 200)).save(blank)
    code, output = cli("faces", "add", str(blank), "--name", "Nobody", "--root", str(root))
    assert code == 1, output
    assert "no-face" in output
    code, output = cli("faces", "remove", "Nobody", "--root", str(root))
    assert code == 0, output


def test_down_then_up_keeps_the_enrolled_person(root: Path) -> None:
    code, output = cli("local", "down", "--root", str(root))
    assert code == 0, output
    assert read_state(root) is None
    code, output = cli("local", "up", "--root", str(root), "--port", str(free_port()))
    assert code == 0, output
    code, listing = cli("faces", "list", "--root", str(root))
    row = next(line for line in listing.splitlines() if LIN in line)
    assert "indexed" in row
    assert row.split("│")[3].strip() != "-"  # a face id, from the rebuilt registry


def test_streaming_the_clip_notifies_the_enrolled_person_once(root: Path) -> None:
    # Given Lin-Manuel Miranda enrolled (and restored by the previous `up`)
    # When the stage camera's stream processor plays the clip
    alerts = stream_clip(root)
    # Then he is notified exactly once (this also writes his dedupe entry)
    assert [a.name for a in alerts if a.outcome == "notified"] == [LIN]


def test_a_second_down_up_cycle_leaves_exactly_one_face_per_photo(root: Path) -> None:
    # Given one enrolled photo, already through one down/up cycle
    key = lin_key(root)
    # When the local mode goes down and up once more
    assert cli("local", "down", "--root", str(root))[0] == 0
    code, output = cli("local", "up", "--root", str(root), "--port", str(free_port()))
    assert code == 0, output
    # Then the collection holds one face, the photo's
    faces = collection_faces(root)
    assert [face["ExternalImageId"] for face in faces] == [external_image_id(key)]


def test_a_dedupe_entry_from_before_down_still_suppresses_after_up(root: Path) -> None:
    # Given he was notified before the last down/up, inside the dedupe window
    # When the clip plays again after `up`
    alerts = stream_clip(root)
    # Then his sightings reach the workflow but are all suppressed
    assert any(a.name == LIN for a in alerts)
    assert [a for a in alerts if a.outcome == "notified"] == []


def test_faces_remove_by_name_deletes_the_photos_and_faces(root: Path) -> None:
    code, output = cli("faces", "remove", LIN, "--root", str(root))
    assert code == 0, output
    assert "faces deleted" in output
    code, listing = cli("faces", "list", "--root", str(root))
    assert LIN not in listing


def test_after_remove_the_collection_holds_no_face(root: Path) -> None:
    assert collection_faces(root) == []


def test_after_remove_a_stream_names_nobody(root: Path) -> None:
    # Given nobody enrolled any more; when the clip plays
    alerts = stream_clip(root)
    # Then no alert names anyone (no stale face matches him by its ExternalImageId)
    assert [a.name for a in alerts] == []


def test_down_stops_the_process(root: Path) -> None:
    state = read_state(root)
    assert state is not None
    code, _ = cli("local", "down", "--root", str(root))
    assert code == 0
    assert not pid_alive(state["pid"]) and read_state(root) is None
    assert os.path.isdir(root / "engine")
