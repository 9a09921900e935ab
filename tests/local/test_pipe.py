"""The local Pipe adapter: Kinesis records in, executions with Pipes' batch shape out."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from facewatch.local.pipe import (
    DEFAULT_BATCH_SIZE,
    KinesisPipe,
    filter_view,
    keep,
    patterns_from_filter_criteria,
    pipe_record,
)
from workflows import pipe_settings
from workflows.pipe_filter import filter_criteria, filter_pattern  # the stack's filters

REGION = "us-east-1"
STREAM = "records"
ROLE = "arn:aws:iam::123456789012:role/pipe"
PIPES_RECORD_KEYS = {
    "eventSource",
    "eventVersion",
    "eventID",
    "eventName",
    "invokeIdentityArn",
    "awsRegion",
    "eventSourceARN",
    "kinesisSchemaVersion",
    "partitionKey",
    "sequenceNumber",
    "data",
    "approximateArrivalTimestamp",
}


def record(matched: bool) -> dict[str, Any]:
    matches = [{"Similarity": 91.0, "Face": {"FaceId": "face-1", "ExternalImageId": "lin"}}]
    return {
        "InputInformation": {
            "KinesisVideo": {"StreamArn": "arn:aws:kinesisvideo:r:a:stream/cam/x"}
        },
        "StreamProcessorInformation": {"Status": "RUNNING"},
        "FaceSearchResponse": [
            {"DetectedFace": {"Confidence": 99.0}, "MatchedFaces": matches if matched else []}
        ],
    }


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        kinesis = boto3.client("kinesis", region_name=REGION)
        sfn = boto3.client("stepfunctions", region_name=REGION)
        kinesis.create_stream(StreamName=STREAM, ShardCount=1)
        arn = sfn.create_state_machine(
            name="match",
            definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
            roleArn="arn:aws:iam::123456789012:role/sfn",
        )["stateMachineArn"]
        yield {"kinesis": kinesis, "sfn": sfn, "arn": arn}


def make_pipe(aws: dict[str, Any], batch_size: int = DEFAULT_BATCH_SIZE) -> KinesisPipe:
    pipe = KinesisPipe(
        kinesis=aws["kinesis"],
        stepfunctions=aws["sfn"],
        stream_name=STREAM,
        state_machine_arn=aws["arn"],
        region=REGION,
        role_arn=ROLE,
        patterns=patterns_from_filter_criteria(filter_criteria(False)),  # the stack's filters
        batch_size=batch_size,
    )
    pipe.start()
    pipe.stop()  # no background thread: the tests poll explicitly
    return pipe


def put(aws: dict[str, Any], data: bytes, key: str = "cam") -> None:
    aws["kinesis"].put_record(StreamName=STREAM, Data=data, PartitionKey=key)


def inputs(aws: dict[str, Any]) -> list[list[dict[str, Any]]]:
    executions = aws["sfn"].list_executions(stateMachineArn=aws["arn"])["executions"]
    return [
        json.loads(aws["sfn"].describe_execution(executionArn=e["executionArn"])["input"])
        for e in sorted(executions, key=lambda e: e["startDate"])
    ]


def test_batch_has_the_shape_eventbridge_pipes_delivers(aws: dict[str, Any]) -> None:
    # Given one matching record on the stream
    document = record(matched=True)
    put(aws, json.dumps(document).encode(), key="stage")
    # When the pipe polls
    make_pipe(aws).poll_once()
    # Then one execution gets a one-element array shaped like a Pipes Kinesis record
    (batch,) = inputs(aws)
    (item,) = batch
    assert set(item) == PIPES_RECORD_KEYS
    assert json.loads(base64.b64decode(item["data"])) == document
    assert item["partitionKey"] == "stage"
    assert item["eventSource"] == "aws:kinesis"
    assert item["eventName"] == "aws:kinesis:record"
    assert item["eventSourceARN"].endswith(f":stream/{STREAM}")
    assert item["eventID"] == f"shardId-000000000000:{item['sequenceNumber']}"
    assert item["invokeIdentityArn"] == ROLE
    assert item["awsRegion"] == REGION
    assert isinstance(item["approximateArrivalTimestamp"], float)


def test_records_without_matches_and_malformed_records_are_filtered_out(
    aws: dict[str, Any],
) -> None:
    # Given a record without matches, a non-JSON record and a matching one
    put(aws, json.dumps(record(matched=False)).encode())
    put(aws, b"not json at all")
    put(aws, json.dumps(record(matched=True)).encode())
    # When the pipe polls
    pipe = make_pipe(aws)
    pipe.poll_once()
    # Then only the matching record reaches the workflow, as the stack's filter decides
    (batch,) = inputs(aws)
    assert len(batch) == 1
    assert json.loads(base64.b64decode(batch[0]["data"])) == record(matched=True)
    assert (pipe.stats.records_read, pipe.stats.records_kept) == (3, 1)


def test_kept_records_are_split_into_batches_of_the_configured_size(aws: dict[str, Any]) -> None:
    for _ in range(5):
        put(aws, json.dumps(record(matched=True)).encode())
    make_pipe(aws, batch_size=2).poll_once()
    batches = inputs(aws)
    assert [len(b) for b in batches] == [2, 2, 1]
    sequence = [item["sequenceNumber"] for b in batches for item in b]
    assert sequence == sorted(sequence, key=int)


def test_records_already_read_are_not_sent_again(aws: dict[str, Any]) -> None:
    put(aws, json.dumps(record(matched=True)).encode())
    pipe = make_pipe(aws)
    pipe.poll_once()
    pipe.poll_once()
    assert len(inputs(aws)) == 1


def test_filter_sees_decoded_data_but_the_batch_keeps_base64() -> None:
    raw = {
        "Data": json.dumps(record(matched=True)).encode(),
        "PartitionKey": "cam",
        "SequenceNumber": "1",
        "ApproximateArrivalTimestamp": 1700000000.5,
    }
    item = pipe_record(raw, shard_id="shardId-1", stream_arn="arn:s", region=REGION, role_arn=ROLE)
    assert isinstance(item["data"], str)
    assert filter_view(item)["data"]["FaceSearchResponse"][0]["MatchedFaces"]
    assert keep(item, [filter_pattern(False)])
    assert keep(item, [])  # a pipe without filter keeps everything


def test_a_json_record_that_names_no_camera_is_forwarded(aws: dict[str, Any]) -> None:
    # Given a JSON record without InputInformation (not a face-search record) and a frame
    # without faces
    malformed = {"FaceSearchResponse": [{"DetectedFace": {"Confidence": 99.0}}]}
    no_faces = {**record(matched=False), "FaceSearchResponse": []}
    put(aws, json.dumps(malformed).encode())
    put(aws, json.dumps(no_faces).encode())
    # When the pipe polls
    pipe = make_pipe(aws)
    pipe.poll_once()
    # Then the malformed record reaches the workflow (which reports it); the frame does not
    (batch,) = inputs(aws)
    assert [json.loads(base64.b64decode(item["data"])) for item in batch] == [malformed]
    assert (pipe.stats.records_read, pipe.stats.records_kept) == (2, 1)


def test_the_local_pipe_batches_like_the_stacks_pipe() -> None:
    assert DEFAULT_BATCH_SIZE == pipe_settings.BATCH_SIZE
