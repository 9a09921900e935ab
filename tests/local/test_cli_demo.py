"""`facewatch demo`: alert lines name a snapshot that outlives the demo; errors are one line.

The local endpoint keeps its buckets in memory, so what the demo prints must point at the
copies it writes to its state folder. These tests use a moto bucket (the same S3 API the
local endpoint serves) and, for the error path, a stand-in local mode, so they run in
well under a second.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from PIL import Image
from typer.testing import CliRunner

from facewatch.cli import app
from facewatch.cli.common import console
from facewatch.cli.demo import alert_line
from facewatch.local import scenario
from facewatch.local.notifications import alert_from_audit
from facewatch.local.resources import LocalResources

BUCKET = "facewatch-audit"
SNAPSHOT_KEY = "snapshots/stage/1795476517185/face-0.jpg"


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 120, 40)).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Any:
    """An audit bucket holding one snapshot and the audit record that names it."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        client.put_object(
            Bucket=BUCKET, Key=SNAPSHOT_KEY, Body=jpeg_bytes(), ContentType="image/jpeg"
        )
        client.put_object(
            Bucket=BUCKET,
            Key="audit/2026/05/01/exec-1/record.json",
            Body=json.dumps(audit_document()).encode(),
        )
        yield client


def audit_document() -> dict[str, Any]:
    return {
        "outcome": "notified",
        "person": {"Name": "Lin-Manuel Miranda"},
        "camera": "stage",
        "similarity": 97.25,
        "channels": [{"Channel": "slack", "Outcome": "delivered"}],
        "snapshot": {"bucket": BUCKET, "key": SNAPSHOT_KEY},
    }


def printed(text: str, capsys: pytest.CaptureFixture[str]) -> str:
    console().print(text)
    return str(capsys.readouterr().out)


def test_alert_line_names_a_local_snapshot_that_is_a_jpeg(
    s3: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given: a notified alert whose snapshot is in the (in-memory) audit bucket
    alert = alert_from_audit("audit/2026/05/01/exec-1/record.json", audit_document())
    # when: the demo prints its line
    line = printed(alert_line(alert, s3, tmp_path), capsys)
    # then: the printed path is a local file, and a JPEG image
    match = re.search(r"snapshot: (\S+)", line)
    assert match, line
    path = Path(match.group(1))
    assert path == tmp_path / SNAPSHOT_KEY
    assert path.is_file()
    with Image.open(path) as image:
        assert image.format == "JPEG"


def test_alert_line_keeps_name_camera_similarity_and_channel_outcomes(
    s3: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given
    alert = alert_from_audit("audit/2026/05/01/exec-1/record.json", audit_document())
    # when
    line = printed(alert_line(alert, s3, tmp_path), capsys)
    # then
    assert "ALERT Lin-Manuel Miranda on camera stage, similarity 97.2" in line
    assert "channels: slack (delivered)" in line
    assert "s3://" not in line


def test_export_copies_snapshots_next_to_the_audit_records(s3: Any, tmp_path: Path) -> None:
    # when
    counts = scenario.export_bucket(s3, BUCKET, tmp_path)
    # then
    assert counts == {"audit/": 1, "snapshots/": 1}
    assert (tmp_path / SNAPSHOT_KEY).read_bytes() == jpeg_bytes()
    assert (tmp_path / "audit/2026/05/01/exec-1/record.json").is_file()


class FakeLocalMode:
    """Stands in for the local mode: the demo's steps are what these tests exercise."""

    instances: list[FakeLocalMode] = []

    def __init__(self, root: Path, resources: LocalResources, **_: Any) -> None:
        self.root, self.resources = root, resources
        self.endpoint_url = "http://127.0.0.1:1"
        self.stopped = False
        FakeLocalMode.instances.append(self)

    def start(self) -> FakeLocalMode:
        return self

    def stop(self) -> None:
        self.stopped = True


def test_a_step_that_times_out_exits_2_with_one_line_and_its_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # given: enrolment never gets its indexing outcome
    from facewatch.local import server

    def enrol_times_out(*args: Any, **kwargs: Any) -> tuple[str, str]:
        raise scenario.StepTimeout(
            "no indexing outcome for lin/photo.png after 60s",
            "see the indexing execution with `facewatch executions list --workflow indexing`",
        )

    monkeypatch.setattr(server, "LocalMode", FakeLocalMode)
    monkeypatch.setattr(scenario, "enrol", enrol_times_out)
    # when
    result = CliRunner().invoke(app, ["demo", "--root", str(tmp_path / "demo")])
    # then: no traceback, one error line naming the fix, and the local mode was stopped
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: no indexing outcome for lin/photo.png after 60s (fix: see the indexing "
        "execution with `facewatch executions list --workflow indexing`)"
    ]
    assert "Traceback" not in result.output
    assert FakeLocalMode.instances[-1].stopped
