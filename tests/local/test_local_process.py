"""`facewatch local up | down | status` as a user runs them, with `faces` commands in between.

The server runs as a background process; the CLI finds it through the state folder. After
`down` then `up` the enrolled person is still there (photos re-uploaded from the state
folder, registry rebuilt by the indexing workflow, collection kept on disk).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from PIL import Image
from typer.testing import CliRunner

from facewatch.cli import app
from facewatch.local.state import pid_alive, read_state

from .conftest import LIN, PHOTOS, free_port

runner = CliRunner()
WIDE = {"COLUMNS": "250"}


def cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=WIDE)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def root(clip: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("state")
    port = str(free_port())
    code, output = cli(
        "local", "up", "--root", str(folder), "--port", port, "--camera", f"stage={clip}"
    )
    assert code == 0, output
    try:
        yield folder
    finally:
        cli("local", "down", "--root", str(folder))


def test_up_records_a_running_endpoint_and_status_reports_it(root: Path) -> None:
    state = read_state(root)
    assert state is not None and pid_alive(state["pid"])
    code, output = cli("local", "status", "--root", str(root))
    assert code == 0, output
    assert state["endpointUrl"] in output
    assert "facewatch-stage: STOPPED" in output


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


def test_faces_remove_by_name_deletes_the_photos_and_faces(root: Path) -> None:
    code, output = cli("faces", "remove", LIN, "--root", str(root))
    assert code == 0, output
    assert "faces deleted" in output
    code, listing = cli("faces", "list", "--root", str(root))
    assert LIN not in listing


def test_down_stops_the_process(root: Path) -> None:
    state = read_state(root)
    assert state is not None
    code, _ = cli("local", "down", "--root", str(root))
    assert code == 0
    assert not pid_alive(state["pid"]) and read_state(root) is None
    assert os.path.isdir(root / "engine")
