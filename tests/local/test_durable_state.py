"""The state store: what moto held comes back after the server dies, without side effects.

Each test runs moto's server in this process with `DurableState` in front (as the local mode
does), writes through boto3, then "crashes": the server is dropped without any final save
(`close` writes nothing) and moto is reset; a new server restores from the same file. The
end-to-end `kill -9` of a real server process is in test_local_durability.py.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from facewatch.local import moto_plumbing
from facewatch.local.durable import ABORT_ERROR, DurableState

REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sfn"
BUCKET, FACES, TABLE, QUEUE = "audit", "faces", "dedupe", "dlq"


class Endpoint:
    """One life of the local server: moto + DurableState on `path`."""

    def __init__(self, path: Path, include: Callable[[str, str], bool]) -> None:
        self.undo = [moto_plumbing.configure_moto()]
        self.durable = DurableState(path, include=include)
        self.port, shutdown = moto_plumbing.serve(
            self.durable.middleware(moto_plumbing.moto_app()), 0
        )
        self.undo.append(shutdown)
        self.undo.append(moto_plumbing.set_env({"MOTO_PORT": str(self.port)}))
        self.url = f"http://127.0.0.1:{self.port}"
        self._clients: dict[str, Any] = {}
        self.create()
        self.restored = self.durable.restore()

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service,  # type: ignore[call-overload]
                endpoint_url=self.url,
                region_name=REGION,
                aws_access_key_id="x",
                aws_secret_access_key="x",
            )
        return self._clients[service]

    def create(self) -> None:
        s3, ddb, sqs = self.client("s3"), self.client("dynamodb"), self.client("sqs")
        for bucket in (BUCKET, FACES):
            s3.create_bucket(Bucket=bucket)
        s3.put_bucket_notification_configuration(
            Bucket=FACES, NotificationConfiguration={"EventBridgeConfiguration": {}}
        )
        ddb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        ddb.update_time_to_live(
            TableName=TABLE,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiresAt"},
        )
        self.queue_url = sqs.create_queue(QueueName=QUEUE)["QueueUrl"]
        sfn = self.client("stepfunctions")
        self.machines = {
            name: sfn.create_state_machine(
                name=name, definition=json.dumps(definition), roleArn=ROLE
            )["stateMachineArn"]
            for name, definition in MACHINES.items()
        }

    def crash(self) -> None:
        """Stop without saving anything more, and forget everything moto held."""
        self.durable.close()
        while self.undo:
            self.undo.pop()()


def send_to_dlq(queue_url: str) -> dict[str, Any]:
    return {
        "StartAt": "Send",
        "States": {
            "Send": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sqs:sendMessage",
                "Parameters": {"QueueUrl": queue_url, "MessageBody.$": "$.body"},
                "End": True,
            }
        },
    }


MACHINES: dict[str, dict[str, Any]] = {
    "passes": {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"ok": 1}, "End": True}}},
    "fails": {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Bad", "Cause": "why"}}},
    "waits": {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}},
    # QueueUrl filled in by the test (the endpoint's port differs per life).
    "sends": send_to_dlq("QUEUE_URL"),
}


def keep_all_but_faces(kind: str, container: str) -> bool:
    return not (kind == "s3" and container == FACES)


@pytest.fixture
def lives(tmp_path: Path) -> Iterator[Callable[[], Endpoint]]:
    """Start an endpoint on the same state file; each call crashes the previous one."""
    current: list[Endpoint] = []

    def start() -> Endpoint:
        if current:
            current.pop().crash()
        endpoint = Endpoint(tmp_path / "state.sqlite3", keep_all_but_faces)
        current.append(endpoint)
        return endpoint

    yield start
    if current:
        current.pop().crash()


def wait_status(sfn: Any, arn: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while (status := sfn.describe_execution(executionArn=arn)["status"]) == "RUNNING":
        assert time.monotonic() < deadline, f"{arn} still running"
        time.sleep(0.05)
    return str(status)


def history(sfn: Any, arn: str) -> list[dict[str, Any]]:
    return list(sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"])


def test_an_object_is_on_disk_when_put_object_returns(
    lives: Callable[[], Endpoint], tmp_path: Path
) -> None:
    # Given a running endpoint
    endpoint = lives()
    # When PutObject returns
    endpoint.client("s3").put_object(Bucket=BUCKET, Key="audit/a.json", Body=b'{"a": 1}')
    # Then another reader of the file already sees the object (committed, not buffered)
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        rows = db.execute("SELECT container, key, body FROM entities WHERE kind='s3'").fetchall()
    assert rows == [(BUCKET, "audit/a.json", b'{"a": 1}')]


def test_objects_come_back_whole_after_a_crash(lives: Callable[[], Endpoint]) -> None:
    # Given an object with a content type, user metadata and tags
    s3 = lives().client("s3")
    s3.put_object(
        Bucket=BUCKET,
        Key="audit/2026/rec.json",
        Body=b"{}",
        ContentType="application/json",
        Metadata={"camera": "stage"},
        Tagging="kind=audit",
    )
    before = s3.head_object(Bucket=BUCKET, Key="audit/2026/rec.json")
    # When the server crashes and starts again
    s3 = lives().client("s3")
    # Then the object is back with its bytes, type, metadata, ETag, date and tags
    after = s3.get_object(Bucket=BUCKET, Key="audit/2026/rec.json")
    assert after["Body"].read() == b"{}"
    for field in ("ContentType", "Metadata", "ETag", "LastModified", "ContentLength"):
        assert after[field] == before[field], field
    tags = s3.get_object_tagging(Bucket=BUCKET, Key="audit/2026/rec.json")["TagSet"]
    assert tags == [{"Key": "kind", "Value": "audit"}]


def test_a_deleted_object_stays_deleted(lives: Callable[[], Endpoint]) -> None:
    s3 = lives().client("s3")
    s3.put_object(Bucket=BUCKET, Key="gone", Body=b"x")
    s3.put_object(Bucket=BUCKET, Key="kept", Body=b"y")
    s3.delete_object(Bucket=BUCKET, Key="gone")
    s3 = lives().client("s3")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]] == ["kept"]


def test_restoring_sends_no_s3_notification_and_skips_excluded_buckets(
    lives: Callable[[], Endpoint], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given objects in the kept bucket and in the excluded faces bucket (EventBridge on)
    s3 = lives().client("s3")
    s3.put_object(Bucket=BUCKET, Key="a", Body=b"a")
    s3.put_object(Bucket=FACES, Key="photo.png", Body=b"p")
    # When the server starts again, with moto's notification point watched
    from moto.s3 import notifications

    sent: list[Any] = []
    original = notifications.send_event
    monkeypatch.setattr(
        notifications, "send_event", lambda *a, **k: (sent.append(a), original(*a, **k))
    )
    endpoint = lives()
    # Then the kept object is back without any notification; the faces bucket is left empty
    assert endpoint.restored["s3"] == 1 and sent == []
    assert endpoint.client("s3").list_objects_v2(Bucket=FACES).get("Contents") is None


def test_items_come_back_except_expired_ones_and_updates_are_kept(
    lives: Callable[[], Endpoint],
) -> None:
    # Given a live item updated in place, and an item whose TTL has passed
    ddb = lives().client("dynamodb")
    now = int(time.time())
    ddb.put_item(
        TableName=TABLE, Item={"pk": {"S": "lin#stage"}, "expiresAt": {"N": str(now + 300)}}
    )
    ddb.update_item(
        TableName=TABLE,
        Key={"pk": {"S": "lin#stage"}},
        UpdateExpression="SET person = :p",
        ExpressionAttributeValues={":p": {"S": "Lin"}},
    )
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "old"}, "expiresAt": {"N": str(now - 1)}})
    # When the server crashes and starts again
    endpoint = lives()
    # Then the live item is back with its update; the expired one is gone
    items = endpoint.client("dynamodb").scan(TableName=TABLE)["Items"]
    assert items == [
        {"pk": {"S": "lin#stage"}, "expiresAt": {"N": str(now + 300)}, "person": {"S": "Lin"}}
    ]


def test_a_deleted_item_stays_deleted(lives: Callable[[], Endpoint]) -> None:
    ddb = lives().client("dynamodb")
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "a"}})
    ddb.delete_item(TableName=TABLE, Key={"pk": {"S": "a"}})
    assert lives().client("dynamodb").scan(TableName=TABLE)["Items"] == []


def receive_all(sqs: Any, url: str) -> list[dict[str, Any]]:
    return list(
        sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=0,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
    )


def test_messages_come_back_with_ids_bodies_and_attributes(lives: Callable[[], Endpoint]) -> None:
    # Given two messages, one with attributes, and a third one received and deleted
    endpoint = lives()
    sqs, url = endpoint.client("sqs"), endpoint.queue_url
    attributes = {"ERROR_CODE": {"DataType": "String", "StringValue": "Throttled"}}
    sent = [
        sqs.send_message(QueueUrl=url, MessageBody="one", MessageAttributes=attributes),
        sqs.send_message(QueueUrl=url, MessageBody="two"),
    ]
    sqs.send_message(QueueUrl=url, MessageBody="done")
    (done,) = [m for m in receive_all(sqs, url) if m["Body"] == "done"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=done["ReceiptHandle"])
    # When the server crashes and starts again
    endpoint = lives()
    # Then exactly the two undeleted messages are there, same ids, bodies and attributes
    messages = receive_all(endpoint.client("sqs"), endpoint.queue_url)
    assert sorted((m["MessageId"], m["Body"]) for m in messages) == sorted(
        [(sent[0]["MessageId"], "one"), (sent[1]["MessageId"], "two")]
    )
    (first,) = [m for m in messages if m["Body"] == "one"]
    assert first["MessageAttributes"] == attributes


def test_finished_executions_come_back_with_output_error_and_history(
    lives: Callable[[], Endpoint],
) -> None:
    # Given one succeeded and one failed execution
    endpoint = lives()
    sfn = endpoint.client("stepfunctions")
    ok = sfn.start_execution(stateMachineArn=endpoint.machines["passes"], name="ok", input="{}")
    bad = sfn.start_execution(stateMachineArn=endpoint.machines["fails"], name="bad", input="{}")
    statuses = [wait_status(sfn, ok["executionArn"]), wait_status(sfn, bad["executionArn"])]
    before = {
        arn: (sfn.describe_execution(executionArn=arn), history(sfn, arn))
        for arn in (ok["executionArn"], bad["executionArn"])
    }
    # When the server crashes and starts again
    sfn = lives().client("stepfunctions")
    # Then both are listed with their status, and describe/history answer as before
    assert statuses == ["SUCCEEDED", "FAILED"]
    for arn, (description, events) in before.items():
        after = sfn.describe_execution(executionArn=arn)
        for field in ("name", "status", "startDate", "stopDate", "input", "error", "cause"):
            assert after.get(field) == description.get(field), field
        assert history(sfn, arn) == events
    assert json.loads(sfn.describe_execution(executionArn=ok["executionArn"])["output"]) == {
        "ok": 1
    }


def test_restored_executions_are_not_run_again(lives: Callable[[], Endpoint]) -> None:
    # Given an execution whose task sent one message to the queue
    endpoint = lives()
    sfn = endpoint.client("stepfunctions")
    sfn.update_state_machine(
        stateMachineArn=endpoint.machines["sends"],
        definition=json.dumps(send_to_dlq(endpoint.queue_url)),
    )
    arn = sfn.start_execution(
        stateMachineArn=endpoint.machines["sends"], name="once", input='{"body": "alert"}'
    )["executionArn"]
    assert wait_status(sfn, arn) == "SUCCEEDED"
    # When the server crashes and starts again (twice: restoring must be idempotent)
    lives()
    endpoint = lives()
    # Then the queue holds that one message, and the execution is listed once
    assert [m["Body"] for m in receive_all(endpoint.client("sqs"), endpoint.queue_url)] == ["alert"]
    listed = endpoint.client("stepfunctions").list_executions(
        stateMachineArn=endpoint.machines["sends"]
    )["executions"]
    assert [(e["name"], e["status"]) for e in listed] == [("once", "SUCCEEDED")]


def test_an_execution_running_at_the_crash_comes_back_aborted_once(
    lives: Callable[[], Endpoint],
) -> None:
    # Given an execution waiting in a Wait state when the server dies
    endpoint = lives()
    sfn = endpoint.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=endpoint.machines["waits"], name="w", input="{}")[
        "executionArn"
    ]
    deadline = time.monotonic() + 10
    while len(events := history(sfn, arn)) < 2:  # ExecutionStarted, WaitStateEntered
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # When the server starts again, twice
    lives()
    sfn = lives().client("stepfunctions")
    # Then it is ABORTED, its history is the one seen plus one ExecutionAborted saying why
    description = sfn.describe_execution(executionArn=arn)
    assert description["status"] == "ABORTED" and description["error"] == ABORT_ERROR
    after = history(sfn, arn)
    assert after[: len(events)] == events
    assert [e["type"] for e in after[len(events) :]] == ["ExecutionAborted"]


def test_a_row_that_cannot_be_restored_is_skipped_and_kept(
    lives: Callable[[], Endpoint], tmp_path: Path
) -> None:
    # Given two saved objects, one of whose rows has become unreadable
    s3 = lives().client("s3")
    s3.put_object(Bucket=BUCKET, Key="good", Body=b"g")
    s3.put_object(Bucket=BUCKET, Key="bad", Body=b"b")
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        db.execute("UPDATE entities SET meta='{' WHERE key='bad'")
    # When the server starts again
    endpoint = lives()
    # Then it starts, with the readable object back, and the unreadable row still in the file
    listed = endpoint.client("s3").list_objects_v2(Bucket=BUCKET)["Contents"]
    assert [o["Key"] for o in listed] == ["good"] and endpoint.restored["s3"] == 1
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        assert db.execute("SELECT meta FROM entities WHERE key='bad'").fetchall() == [("{",)]


def test_an_execution_killed_after_its_last_event_gets_the_status_that_event_says(
    lives: Callable[[], Endpoint], tmp_path: Path
) -> None:
    # Given a succeeded execution whose saved record still says RUNNING (the server was killed
    # between the ExecutionSucceeded event and moto setting the status)
    endpoint = lives()
    sfn = endpoint.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=endpoint.machines["passes"], name="p", input="{}")[
        "executionArn"
    ]
    assert wait_status(sfn, arn) == "SUCCEEDED"
    events = history(sfn, arn)
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        (meta,) = db.execute("SELECT meta FROM entities WHERE key=?", (arn,)).fetchone()
        running = {**json.loads(meta), "status": "RUNNING", "stopDate": None, "output": None}
        db.execute("UPDATE entities SET meta=? WHERE key=?", (json.dumps(running), arn))
    # When the server starts again
    sfn = lives().client("stepfunctions")
    # Then it is SUCCEEDED with the event's output, and no abort event is added
    description = sfn.describe_execution(executionArn=arn)
    assert description["status"] == "SUCCEEDED" and json.loads(description["output"]) == {"ok": 1}
    assert history(sfn, arn) == events
