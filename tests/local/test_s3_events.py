"""The local S3 -> EventBridge adapter: faces-bucket changes start the indexing workflow."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from tenacity import wait_none

from facewatch.local.delivery import DeadLetters
from facewatch.local.s3_events import (
    OBJECT_CREATED,
    OBJECT_DELETED,
    RETRY_ATTEMPTS,
    S3EventBridge,
    s3_event,
)

from .fakes import ACCOUNT, RefusingStepFunctions, mocked_aws, pass_state_machine

REGION = "us-east-1"
FACES = "faces"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    with mocked_aws(monkeypatch):
        s3 = boto3.client("s3", region_name=REGION)
        sfn = boto3.client("stepfunctions", region_name=REGION)
        for bucket in (FACES, "other"):
            s3.create_bucket(Bucket=bucket)
        arn = pass_state_machine(sfn, "indexing")
        changes: list[tuple[str, str, str]] = []
        bridge = S3EventBridge(
            stepfunctions=sfn,
            state_machine_arn=arn,
            buckets=[FACES],
            region=REGION,
            account=ACCOUNT,
            on_change=lambda *change: changes.append(change),
        ).install()
        try:
            yield {"s3": s3, "sfn": sfn, "arn": arn, "bridge": bridge, "changes": changes}
        finally:
            bridge.uninstall()


def events(aws: dict[str, Any]) -> list[dict[str, Any]]:
    assert aws["bridge"].wait_idle(10)
    executions = aws["sfn"].list_executions(stateMachineArn=aws["arn"])["executions"]
    return [
        json.loads(aws["sfn"].describe_execution(executionArn=e["executionArn"])["input"])
        for e in sorted(executions, key=lambda e: e["startDate"])
    ]


def test_upload_starts_indexing_with_the_eventbridge_object_created_event(
    aws: dict[str, Any],
) -> None:
    # Given a photo uploaded under a key with spaces and a slash
    key = "people/Lin Manuel.png"
    put = aws["s3"].put_object(Bucket=FACES, Key=key, Body=b"photo-bytes")
    # Then the indexing workflow gets one event shaped as S3 sends to EventBridge
    (event,) = events(aws)
    assert event["detail-type"] == OBJECT_CREATED
    assert event["source"] == "aws.s3"
    assert event["version"] == "0"
    assert (event["account"], event["region"]) == (ACCOUNT, REGION)
    assert event["resources"] == [f"arn:aws:s3:::{FACES}"]
    assert event["detail"]["bucket"] == {"name": FACES}
    obj = event["detail"]["object"]
    assert obj["key"] == key  # EventBridge keys are not URL-encoded
    assert obj["size"] == len(b"photo-bytes")
    assert obj["etag"] == put["ETag"].strip('"')
    assert event["detail"]["reason"] == "PutObject"
    assert {"id", "time"} <= set(event)


def test_delete_starts_indexing_with_object_deleted(aws: dict[str, Any]) -> None:
    aws["s3"].put_object(Bucket=FACES, Key="a.png", Body=b"x")
    aws["s3"].delete_object(Bucket=FACES, Key="a.png")
    created, deleted = events(aws)
    assert created["detail-type"] == OBJECT_CREATED
    assert deleted["detail-type"] == OBJECT_DELETED
    assert deleted["detail"]["object"]["key"] == "a.png"
    assert deleted["detail"]["deletion-type"] == "Permanently Deleted"


def test_other_buckets_are_ignored(aws: dict[str, Any]) -> None:
    aws["s3"].put_object(Bucket="other", Key="a.png", Body=b"x")
    assert events(aws) == []


def test_tagging_is_reported_for_the_mirror_but_not_forwarded(aws: dict[str, Any]) -> None:
    aws["s3"].put_object(Bucket=FACES, Key="a.png", Body=b"x", Tagging="a.png=Ann")
    aws["s3"].put_object_tagging(
        Bucket=FACES, Key="a.png", Tagging={"TagSet": [{"Key": "facewatch-status", "Value": "x"}]}
    )
    assert len(events(aws)) == 1
    kinds = [kind for kind, _, _ in aws["changes"]]
    assert kinds.count(OBJECT_CREATED) == 1 and "tagging" in kinds


def test_event_builder_leaves_size_out_of_deletions() -> None:
    event = s3_event(
        OBJECT_DELETED, bucket="b", key="k", region=REGION, account=ACCOUNT, etag='"e"'
    )
    assert "size" not in event["detail"]["object"]
    assert event["detail"]["object"]["etag"] == "e"


@pytest.fixture
def refusing(aws: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A second bridge on the `faces` bucket, with a DLQ and a refusing Step Functions."""
    aws["bridge"].uninstall()  # only the bridge under test forwards
    sqs = boto3.client("sqs", region_name=REGION)
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]

    def make(failures: int) -> tuple[S3EventBridge, RefusingStepFunctions]:
        sfn = RefusingStepFunctions(aws["sfn"], failures)
        bridge = S3EventBridge(
            stepfunctions=sfn,
            state_machine_arn=aws["arn"],
            buckets=[FACES],
            region=REGION,
            account=ACCOUNT,
            dead_letters=DeadLetters(sqs, dlq),
            retry_wait=wait_none(),
        ).install()
        bridges.append(bridge)
        return bridge, sfn

    bridges: list[S3EventBridge] = []
    try:
        yield {**aws, "make": make, "sqs": sqs, "dlq": dlq}
    finally:
        for bridge in bridges:
            bridge.uninstall()


def dlq_messages(env: dict[str, Any]) -> list[dict[str, Any]]:
    return (
        env["sqs"]
        .receive_message(QueueUrl=env["dlq"], MaxNumberOfMessages=10, MessageAttributeNames=["All"])
        .get("Messages", [])
    )


def test_a_refused_start_is_retried_and_then_forwarded(refusing: dict[str, Any]) -> None:
    # Given Step Functions refusing the first two StartExecution calls
    bridge, sfn = refusing["make"](failures=2)
    # When a photo is uploaded
    refusing["s3"].put_object(Bucket=FACES, Key="a.png", Body=b"x")
    assert bridge.wait_idle(10)
    # Then the third attempt started the indexing workflow and nothing was dead-lettered
    assert sfn.calls == 3 and bridge.stats.forwarded == 1
    assert dlq_messages(refusing) == []


def test_an_event_still_refused_after_the_retries_goes_to_the_dlq(
    refusing: dict[str, Any],
) -> None:
    # Given Step Functions refusing every StartExecution
    bridge, sfn = refusing["make"](failures=10**6)
    # When a photo is uploaded
    refusing["s3"].put_object(Bucket=FACES, Key="a.png", Body=b"x")
    assert bridge.wait_idle(10)
    # Then after RETRY_ATTEMPTS attempts the EventBridge event is in the DLQ with the error
    assert sfn.calls == RETRY_ATTEMPTS
    (message,) = dlq_messages(refusing)
    event = json.loads(message["Body"])
    assert event["detail-type"] == OBJECT_CREATED
    assert event["detail"]["object"]["key"] == "a.png"
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "ThrottlingException"
    assert attributes["TARGET_ARN"] == refusing["arn"]
