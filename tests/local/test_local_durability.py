"""Nothing seen before a crash is lost: `kill -9` of the real server process, then `local up`.

One background server (`facewatch local up`, as a user runs it) per module, its webhook a slow
receiver in this test that holds each request until released: enrol Lin-Manuel Miranda, put a
malformed record on the data stream (its execution fails, writes an audit record and a DLQ
message), start the camera's stream processor; once the webhook holds Lin's notification (so
its match execution is RUNNING), everything is read through the endpoint with boto3, then the
server process gets SIGKILL. After `local up` every audit object, queue
message, dedupe item and execution read before is there again with the same content (object
bytes, message ids and bodies, execution status and full history; an execution still running
at the kill comes back ABORTED, one event longer, saying why). The tests run in file order; the
last one checks the clean `down`/`up` path on the same state. The counts are printed
(`pytest -s` shows them) and are in the assertion messages.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from facewatch.cli import app
from facewatch.local.state import pid_alive, read_state

from .conftest import CAMERA, LIN, PHOTOS, free_port

runner = CliRunner()
FINISHED = {"SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT"}
MALFORMED = {"FaceSearchResponse": [{"DetectedFace": {"Confidence": 99.0}}]}
ABORT_ERROR = "Facewatch.LocalServerStopped"


def cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "250"})
    return result.exit_code, result.output


class SlowWebhook(ThreadingHTTPServer):
    """A webhook receiver that holds each request until `release` (at most a minute)."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()
        super().__init__(("127.0.0.1", 0), _HoldingHandler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/hook"


class _HoldingHandler(BaseHTTPRequestHandler):
    server: SlowWebhook

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.arrived.set()
        self.server.release.wait(60)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def webhook() -> Iterator[SlowWebhook]:
    server = SlowWebhook()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()


def up(root: Path, clip: Path, webhook: SlowWebhook) -> None:
    code, output = cli(
        "local", "up", "--root", str(root), "--port", str(free_port()),
        "--camera", f"stage={clip}", "--webhook-url", webhook.url,
    )  # fmt: skip
    assert code == 0, output


def client(root: Path, service: str) -> Any:
    state = read_state(root)
    assert state is not None
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=state["endpointUrl"],
        region_name=state["region"],
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )


@dataclass
class Execution:
    status: str
    error: str | None
    events: list[str]  # each history event as JSON


@dataclass
class Seen:
    """What a user can see through the endpoint at one moment."""

    objects: dict[str, str] = field(default_factory=dict)  # audit key -> sha256 of the bytes
    messages: dict[str, dict[str, str]] = field(default_factory=dict)  # queue -> id -> body
    items: list[dict[str, Any]] = field(default_factory=list)  # dedupe items
    faces: list[str] = field(default_factory=list)  # ExternalImageIds in the collection
    executions: dict[tuple[str, str], Execution] = field(default_factory=dict)  # (workflow, name)
    started: dict[tuple[str, str], datetime] = field(default_factory=dict)

    def counts(self) -> str:
        statuses: dict[str, int] = {}
        for execution in self.executions.values():
            statuses[execution.status] = statuses.get(execution.status, 0) + 1
        events = sum(len(execution.events) for execution in self.executions.values())
        queues = {name: len(ids) for name, ids in self.messages.items()}
        return (
            f"audit objects={len(self.objects)} messages={queues} dedupe items={len(self.items)} "
            f"faces={len(self.faces)} executions={len(self.executions)} {statuses} "
            f"history events={events}"
        )


def queue_messages(sqs: Any, url: str) -> dict[str, str]:
    """Every message of the queue, without consuming any (visibility timeout 0)."""
    found: dict[str, str] = {}
    for _ in range(20):
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        new = {m["MessageId"]: m["Body"] for m in batch.get("Messages", [])}
        if not new.keys() - found.keys():
            break
        found.update(new)
    return found


def execution_of(sfn: Any, summary: dict[str, Any]) -> Execution:
    events: list[str] = []
    for part in sfn.get_paginator("get_execution_history").paginate(
        executionArn=summary["executionArn"]
    ):
        events += [json.dumps(event, default=str, sort_keys=True) for event in part["events"]]
    described = sfn.describe_execution(executionArn=summary["executionArn"])
    return Execution(summary["status"], described.get("error"), events)


def look(root: Path) -> Seen:
    state = read_state(root)
    assert state is not None
    s3, sqs, sfn = client(root, "s3"), client(root, "sqs"), client(root, "stepfunctions")
    seen = Seen()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=state["auditBucket"]):
        for obj in page.get("Contents", []):
            body = s3.get_object(Bucket=state["auditBucket"], Key=obj["Key"])["Body"].read()
            seen.objects[obj["Key"]] = hashlib.sha256(body).hexdigest()
    for name in ("deadLetterQueueUrl", "notificationsQueueUrl"):
        seen.messages[name] = queue_messages(sqs, state[name])
    seen.items = client(root, "dynamodb").scan(TableName=state["dedupeTable"])["Items"]
    faces = client(root, "rekognition").list_faces(CollectionId=state["collectionId"])["Faces"]
    seen.faces = sorted(face["ExternalImageId"] for face in faces)
    for workflow in ("match", "indexing"):
        arn = state[f"{workflow}StateMachineArn"]
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=arn):
            for summary in page["executions"]:
                seen.executions[workflow, summary["name"]] = execution_of(sfn, summary)
                seen.started[workflow, summary["name"]] = summary["startDate"]
    return seen


def missing(before: Seen, after: Seen) -> list[str]:
    """What `before` showed that `after` does not show the same way."""
    problems = [
        f"audit {k}" for k, digest in before.objects.items() if after.objects.get(k) != digest
    ]
    for queue, ids in before.messages.items():
        problems += [
            f"{queue} {i}" for i, body in ids.items() if after.messages[queue].get(i) != body
        ]
    problems += [f"dedupe {item}" for item in before.items if item not in after.items]
    if after.faces != before.faces:
        problems.append(f"faces {before.faces} then {after.faces}")
    for name, seen in before.executions.items():
        now = after.executions.get(name)
        if now is None:
            problems.append(f"execution {name} ({seen.status}) is gone")
        elif seen.status in FINISHED:
            if (now.status, now.events) != (seen.status, seen.events):
                problems.append(f"execution {name}: {seen.status} then {now.status}, history")
        # Running when read: finished before the kill, or ABORTED after it (saying why); in
        # both cases its history starts with what was read.
        elif now.status not in FINISHED or now.events[: len(seen.events)] != seen.events:
            problems.append(f"running execution {name}: then {now.status}")
        elif now.status == "ABORTED" and now.error != ABORT_ERROR:
            problems.append(f"execution {name} ABORTED without the reason: {now.error}")
    return problems


@pytest.fixture(scope="module")
def root(
    clip: Path, webhook: SlowWebhook, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("durable")
    up(folder, clip, webhook)
    try:
        yield folder
    finally:
        cli("local", "down", "--root", str(folder))


def dead_lettered(root: Path) -> bool:
    """Whether the malformed record's execution FAILED and its DLQ message is there."""
    state = read_state(root)
    assert state is not None
    sfn = client(root, "stepfunctions")
    failed = sfn.list_executions(
        stateMachineArn=state["matchStateMachineArn"], statusFilter="FAILED"
    )["executions"]
    return bool(failed and queue_messages(client(root, "sqs"), state["deadLetterQueueUrl"]))


@pytest.fixture(scope="module")
def crash(root: Path, clip: Path, webhook: SlowWebhook) -> tuple[Seen, Seen, datetime]:
    """Enrol, dead-letter a record, stream, read everything while the webhook holds Lin's
    notification, kill -9 the server, `local up`, read again."""
    code, output = cli("faces", "add", str(PHOTOS[LIN]), "--name", LIN, "--root", str(root))
    assert code == 0, output
    state = read_state(root)
    assert state is not None
    client(root, "kinesis").put_record(
        StreamName=state["dataStream"], Data=json.dumps(MALFORMED).encode(), PartitionKey="x"
    )
    deadline = time.monotonic() + 60
    while not dead_lettered(root):
        assert time.monotonic() < deadline, "the malformed record was not dead-lettered"
        time.sleep(0.2)
    rekognition = client(root, "rekognition")
    processor = f"facewatch-{CAMERA}"
    rekognition.start_stream_processor(Name=processor)
    assert webhook.arrived.wait(60), "the webhook was not called"
    streaming = rekognition.describe_stream_processor(Name=processor)["Status"]
    before = look(root)
    running = [k for k, seen in before.executions.items() if seen.status == "RUNNING"]
    pid = state["pid"]
    os.kill(pid, signal.SIGKILL)
    while pid_alive(pid):
        time.sleep(0.05)
    webhook.release.set()
    restarted = datetime.now(UTC)
    up(root, clip, webhook)
    after = look(root)
    print(f"\nkill -9 with the stream processor {streaming}, {len(running)} execution(s) running")
    print(f"before kill -9: {before.counts()}\nafter  up:      {after.counts()}")
    return before, after, restarted


def test_kill_minus_9_then_up_loses_nothing_seen_before(
    crash: tuple[Seen, Seen, datetime],
) -> None:
    # Given what the endpoint showed just before the kill -9 (while the clip streamed)
    before, after, _ = crash
    # When `local up` started it again (done by the fixture)
    # Then every object, message, dedupe item, face and execution seen before is still there
    assert before.objects and before.messages["deadLetterQueueUrl"] and before.items
    assert missing(before, after) == [], f"before: {before.counts()}; after: {after.counts()}"


def test_the_execution_running_at_the_kill_comes_back_aborted_saying_why(
    crash: tuple[Seen, Seen, datetime],
) -> None:
    # Given the match execution that was waiting for the webhook when the server was killed
    before, after, _ = crash
    running = [name for name, seen in before.executions.items() if seen.status == "RUNNING"]
    assert running, f"nothing ran at the kill: {before.counts()}"
    # Then after `up` it is listed ABORTED with the local server's reason, its history the one
    # read before plus the abort event
    for name in running:
        now = after.executions[name]
        assert (now.status, now.error) == ("ABORTED", ABORT_ERROR), name
        assert now.events[: len(before.executions[name].events)] == before.executions[name].events
        assert '"type": "ExecutionAborted"' in now.events[-1]


def test_after_the_kill_nothing_runs_and_no_match_execution_runs_again(
    crash: tuple[Seen, Seen, datetime],
) -> None:
    # Given the restart after the kill
    before, after, restarted = crash
    # Then nothing is RUNNING, and no match execution started at or after the restart (the
    # restart re-indexes the photo, a new indexing execution, but re-runs no match and so
    # notifies nobody again)
    assert [name for name, seen in after.executions.items() if seen.status == "RUNNING"] == []
    rerun = [k for k, start in after.started.items() if k[0] == "match" and start >= restarted]
    assert rerun == [], f"before: {before.counts()}; after: {after.counts()}"


def test_a_clean_down_then_up_keeps_everything(
    root: Path, clip: Path, webhook: SlowWebhook, crash: tuple[Seen, Seen, datetime]
) -> None:
    # Given the state after the kill and restart, with more audit records since (the clip is
    # played once more to its end)
    rekognition = client(root, "rekognition")
    rekognition.start_stream_processor(Name=f"facewatch-{CAMERA}")
    deadline = time.monotonic() + 90
    while rekognition.describe_stream_processor(Name=f"facewatch-{CAMERA}")["Status"] != "STOPPED":
        assert time.monotonic() < deadline, "the clip did not end in time"
        time.sleep(0.3)
    before = look(root)
    # When the user runs `local down` then `local up`
    code, output = cli("local", "down", "--root", str(root))
    assert code == 0, output
    up(root, clip, webhook)
    after = look(root)
    print(f"\nbefore down: {before.counts()}\nafter  up:   {after.counts()}")
    # Then everything is there again, the ABORTED executions included (no second abort event)
    assert len(before.objects) > len(crash[1].objects)
    assert missing(before, after) == [], f"before: {before.counts()}; after: {after.counts()}"
