"""The whole pipeline through the local endpoint, on the clip.

One local-mode instance for the module: enrol Lin-Manuel Miranda and Alex Lacamoire, stream
the clip (pass 1), stream it again inside the dedupe window (pass 2), remove Lin-Manuel
Miranda and stream once more (pass 3). Each test asserts one behaviour on those results,
read back through the public interfaces (audit bucket, Step Functions, CLI).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from facewatch.cli import app
from facewatch.local import scenario
from facewatch.local.notifications import Alert, AuditWatcher
from facewatch.local.resources import LocalResources
from facewatch.local.server import LocalMode
from facewatch.local.sink import captured
from facewatch.local.state import write_state
from facewatch.workflows.records import camera_from_stream_arn

from .conftest import ALEX, CAMERA, LIN, PHOTOS

CHANNELS = {"email", "sns", "slack", "whatsapp", "webhook"}


@dataclass
class Run:
    local: LocalMode
    root: Path
    keys: dict[str, str] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)
    passes: list[list[Alert]] = field(default_factory=list)
    faces_list: str = ""
    executions_list: str = ""
    sink_after_pass: list[int] = field(default_factory=list)


@pytest.fixture(scope="module")
def run(clip: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("facewatch")
    local = LocalMode(root, resources=LocalResources(cameras={CAMERA: str(clip)}))
    local.start()
    try:
        # The CLI finds the instance through the state file, as after `facewatch local up`.
        write_state(root, {**local.describe(), "pid": os.getpid(), "ready": True})
        result = Run(local, root)
        for name, photo in PHOTOS.items():
            result.keys[name], result.outcomes[name] = scenario.enrol(local, photo, name)
        cli = CliRunner()
        result.faces_list = cli.invoke(
            app, ["faces", "list", "--root", str(root)], env={"COLUMNS": "250"}
        ).output
        watcher = AuditWatcher(local.client("s3"), local.resources.audit_bucket)
        for number in (1, 2, 3):
            if number == 3:
                scenario.remove(local, result.keys[LIN])
            result.passes.append(scenario.stream_camera(local, CAMERA, watcher=watcher))
            result.sink_after_pass.append(len(captured(local.paths.sink)))
        result.executions_list = cli.invoke(
            app,
            ["executions", "list", "--limit", "100", "--root", str(root)],
            env={"COLUMNS": "250"},
        ).output
        yield result
    finally:
        local.stop()


def notified(alerts: list[Alert]) -> list[Alert]:
    return [a for a in alerts if a.outcome == "notified"]


def test_both_people_are_indexed_and_listed(run: Run) -> None:
    assert run.outcomes == {LIN: "indexed", ALEX: "indexed"}
    for name, key in run.keys.items():
        line = next(line for line in run.faces_list.splitlines() if key in line)
        assert name in line and "indexed" in line


def test_first_pass_notifies_lin_manuel_miranda_exactly_once(run: Run) -> None:
    lin = [a for a in notified(run.passes[0]) if a.name == LIN]
    assert len(lin) == 1
    assert lin[0].camera == CAMERA


def test_duplicates_within_the_window_are_suppressed_not_sent(run: Run) -> None:
    suppressed = [a for a in run.passes[0] if a.outcome == "suppressed"]
    assert suppressed, "the clip shows him in many frames: later sightings must be suppressed"
    assert all(a.name == LIN for a in suppressed)


def test_second_pass_inside_the_window_adds_no_notification(run: Run) -> None:
    second = run.passes[1]
    assert any(a.name == LIN for a in second), "the second pass must reach the workflow"
    assert notified(second) == []
    # Nothing more reached Slack, WhatsApp or the webhook either.
    assert run.sink_after_pass[1] == run.sink_after_pass[0]


def test_nobody_else_is_named(run: Run) -> None:
    names = {a.name for p in run.passes for a in p}
    assert names <= {LIN, ALEX}
    assert {a.name for a in notified(run.passes[0])} <= {LIN, ALEX}


def test_the_notification_went_to_every_configured_channel(run: Run) -> None:
    (alert,) = [a for a in notified(run.passes[0]) if a.name == LIN]
    assert dict(alert.channels) == dict.fromkeys(CHANNELS, "delivered")
    sent = captured(run.local.paths.sink)
    assert {r["channel"] for r in sent} == {"slack", "whatsapp", "webhook"}
    assert all(LIN in str(r["body"]) for r in sent)


def test_every_audit_record_is_complete(run: Run) -> None:
    for alert in (a for p in run.passes for a in p):
        doc = alert.document
        assert alert.outcome in {"notified", "suppressed"}
        assert alert.name and alert.camera == CAMERA
        assert alert.similarity is not None and alert.similarity >= 80.0
        assert doc["executionArn"].startswith("arn:aws:states:")
        assert doc["record"]["kinesis"]["sequenceNumber"]
        assert doc["record"]["kinesis"]["partitionKey"] == CAMERA
        assert camera_from_stream_arn(doc["record"]["frame"]["StreamArn"]) == CAMERA
        assert doc["face"]
        if alert.outcome == "notified":
            assert alert.snapshot and alert.channels


def test_executions_are_listed_with_their_status(run: Run) -> None:
    sfn = run.local.client("stepfunctions")
    executions = sfn.list_executions(
        stateMachineArn=run.local.resources.state_machine_arn(
            run.local.resources.match_state_machine
        )
    )["executions"]
    assert executions
    lines = run.executions_list.splitlines()
    for execution in executions:
        # two lines an execution: time, status, person, camera, outcome; then the name
        at = lines.index(f"  {execution['name']}")
        assert execution["status"] in lines[at - 1]
    assert any(LIN in r and "notified" in r for r in lines)


def test_removing_a_person_stops_their_alerts(run: Run) -> None:
    assert all(a.name != LIN for a in run.passes[2])
    summary = run.local.agent_summaries[f"facewatch-{CAMERA}"]
    assert summary.counters.faces > 0  # the clip was analysed: faces seen, none matched him


def test_stream_processor_api_answers_like_rekognition(run: Run) -> None:
    rekognition = run.local.client("rekognition")
    names = [p["Name"] for p in rekognition.list_stream_processors()["StreamProcessors"]]
    assert names == [f"facewatch-{CAMERA}"]
    described = rekognition.describe_stream_processor(Name=f"facewatch-{CAMERA}")
    assert described["Status"] == "STOPPED"
    assert described["Settings"]["FaceSearch"]["CollectionId"] == run.local.resources.collection_id
    with pytest.raises(rekognition.exceptions.ResourceNotFoundException):
        rekognition.start_stream_processor(Name="facewatch-nope")


def test_deployed_definitions_are_the_builders_output_unmodified(run: Run) -> None:
    from facewatch.workflows.indexing import build_indexing_definition
    from facewatch.workflows.match import build_match_definition

    resources, url = run.local.resources, run.local.endpoint_url
    expected = {
        resources.match_state_machine: build_match_definition(resources.match_settings(url)),
        resources.indexing_state_machine: build_indexing_definition(
            resources.indexing_settings(url)
        ),
    }
    sfn = run.local.client("stepfunctions")
    for name, definition in expected.items():
        deployed = sfn.describe_state_machine(stateMachineArn=resources.state_machine_arn(name))
        assert json.loads(deployed["definition"]) == definition
