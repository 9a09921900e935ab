"""The local Pipe adapter: Kinesis records in, executions with Pipes' batch shape out."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from tenacity import wait_none

from facewatch.local.delivery import DeadLetters
from facewatch.local.pipe import (
    DEFAULT_BATCH_SIZE,
    RECORD_TOO_OLD,
    RETRIES_EXHAUSTED,
    KinesisPipe,
    filter_view,
    keep,
    patterns_from_filter_criteria,
    pipe_record,
)
from facewatch.workflows import pipe_settings
from facewatch.workflows.pipe_filter import filter_criteria, filter_pattern  # the stack's filters

from .fakes import RefusingStepFunctions, mocked_aws, pass_state_machine

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
    with mocked_aws(monkeypatch):
        kinesis = boto3.client("kinesis", region_name=REGION)
        sfn = boto3.client("stepfunctions", region_name=REGION)
        kinesis.create_stream(StreamName=STREAM, ShardCount=1)
        sqs = boto3.client("sqs", region_name=REGION)
        dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
        arn = pass_state_machine(sfn, "match")
        yield {"kinesis": kinesis, "sfn": sfn, "arn": arn, "sqs": sqs, "dlq": dlq}


class Clock:
    """Epoch seconds the tests move by hand (the pipe reads time only through it)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def make_pipe(
    aws: dict[str, Any],
    batch_size: int = DEFAULT_BATCH_SIZE,
    *,
    clock: Clock | None = None,
    sfn: Any = None,
) -> KinesisPipe:
    pipe = KinesisPipe(
        kinesis=aws["kinesis"],
        stepfunctions=sfn or aws["sfn"],
        stream_name=STREAM,
        state_machine_arn=aws["arn"],
        region=REGION,
        role_arn=ROLE,
        patterns=patterns_from_filter_criteria(filter_criteria(False)),  # the stack's filters
        batch_size=batch_size,
        dead_letters=DeadLetters(aws["sqs"], aws["dlq"]),
        clock=clock or Clock(),
        retry_wait=wait_none(),
    )
    pipe.start(background=False)  # the tests poll explicitly
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


def dead_letters(aws: dict[str, Any]) -> list[dict[str, Any]]:
    messages = aws["sqs"].receive_message(QueueUrl=aws["dlq"], MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def put_matches(aws: dict[str, Any], count: int) -> None:
    for _ in range(count):
        put(aws, json.dumps(record(matched=True)).encode())


def test_by_default_a_full_batch_of_the_stacks_size_goes_at_once_and_the_rest_waits(
    aws: dict[str, Any],
) -> None:
    # Given one record more than the stack's batch size, and a pipe with default settings
    put_matches(aws, pipe_settings.BATCH_SIZE + 1)
    clock = Clock()
    pipe = make_pipe(aws, clock=clock)
    # When the pipe reads them and delivers what is due, before the window has passed
    pipe.read_once()
    pipe.flush()
    # Then one batch of exactly BATCH_SIZE records started; one record is still buffered
    assert [len(b) for b in inputs(aws)] == [pipe_settings.BATCH_SIZE]
    assert pipe.pending == 1


def test_a_partial_batch_waits_for_the_batching_window(aws: dict[str, Any]) -> None:
    # Given one record read by a pipe with the stack's batching window
    put_matches(aws, 1)
    clock = Clock()
    pipe = make_pipe(aws, clock=clock)
    pipe.read_once()
    # When the window has not quite passed, then nothing is started
    clock.now += pipe_settings.BATCHING_WINDOW_SECONDS - 0.01
    pipe.flush()
    assert inputs(aws) == []
    # When it has passed, then the record goes in a batch of its own
    clock.now += 0.01
    pipe.flush()
    assert [len(b) for b in inputs(aws)] == [1]


def test_stopping_delivers_the_buffered_records(aws: dict[str, Any]) -> None:
    # Given a record buffered inside the batching window
    put_matches(aws, 1)
    pipe = make_pipe(aws)
    pipe.read_once()
    # When the pipe stops
    pipe.stop()
    # Then the record is delivered, not lost
    assert [len(b) for b in inputs(aws)] == [1]


def test_stopping_delivers_the_records_still_on_the_stream(aws: dict[str, Any]) -> None:
    # Given a pipe that has read nothing yet, and two records written to the stream since
    pipe = make_pipe(aws)
    put_matches(aws, 2)
    # When the pipe stops (the local mode's `down`: the stream itself is not kept)
    pipe.stop()
    # Then both records are delivered, not left behind
    assert [len(b) for b in inputs(aws)] == [2]


def test_a_start_that_fails_then_works_is_retried_and_not_dead_lettered(
    aws: dict[str, Any],
) -> None:
    # Given Step Functions refusing the first two StartExecution calls
    put_matches(aws, 1)
    flaky = RefusingStepFunctions(aws["sfn"], failures=2, code="ServiceUnavailable")
    # When the pipe delivers the record
    make_pipe(aws, sfn=flaky).poll_once()
    # Then the third attempt started the execution and the DLQ stays empty
    assert flaky.calls == 3
    assert [len(b) for b in inputs(aws)] == [1]
    assert dead_letters(aws) == []


def test_a_batch_still_failing_after_the_retries_goes_to_the_dlq_with_its_positions(
    aws: dict[str, Any],
) -> None:
    # Given Step Functions refusing every StartExecution, and two records on the stream
    put_matches(aws, 2)
    flaky = RefusingStepFunctions(aws["sfn"], failures=10**6, code="ServiceUnavailable")
    # When the pipe delivers them
    pipe = make_pipe(aws, sfn=flaky)
    pipe.poll_once()
    # Then it tried once plus MAXIMUM_RETRY_ATTEMPTS times, then dead-lettered the batch
    assert flaky.calls == 1 + pipe_settings.MAXIMUM_RETRY_ATTEMPTS
    (message,) = dead_letters(aws)
    assert message["context"]["condition"] == RETRIES_EXHAUSTED
    info = message["KinesisBatchInfo"]
    sequences = [r["sequenceNumber"] for r in message["records"]]
    assert info["shardId"] == "shardId-000000000000"
    assert (info["startSequenceNumber"], info["endSequenceNumber"]) == (sequences[0], sequences[1])
    assert info["batchSize"] == 2 and info["streamArn"].endswith(f":stream/{STREAM}")
    assert pipe.stats.records_dead_lettered == 2


def test_records_older_than_the_maximum_age_go_to_the_dlq_not_the_workflow(
    aws: dict[str, Any],
) -> None:
    # Given a record read later than the stack's maximum record age after its arrival
    put_matches(aws, 1)
    clock = Clock()
    clock.now += pipe_settings.MAXIMUM_RECORD_AGE_SECONDS + 5
    # When the pipe delivers it
    make_pipe(aws, clock=clock).poll_once()
    # Then no execution starts and the record is in the DLQ, marked as too old
    assert inputs(aws) == []
    (message,) = dead_letters(aws)
    assert message["context"]["condition"] == RECORD_TOO_OLD
    assert message["KinesisBatchInfo"]["batchSize"] == 1


def _crowd(faces: int) -> dict[str, Any]:
    """A frame of a crowd: `faces` matched faces, each with Rekognition's full detail."""
    document = record(matched=True)
    face = document["FaceSearchResponse"][0]
    face["DetectedFace"]["Landmarks"] = [{"Type": f"p{i}", "X": 0.5, "Y": 0.5} for i in range(30)]
    face["DetectedFace"]["BoundingBox"] = {"Left": 0.1, "Top": 0.1, "Width": 0.2, "Height": 0.2}
    document["FaceSearchResponse"] = [json.loads(json.dumps(face)) for _ in range(faces)]
    return document


def test_the_execution_starts_with_what_the_enrichment_returns(aws: dict[str, Any]) -> None:
    # given a pipe whose enrichment answers with a summary of the batch
    put_matches(aws, 3)
    pipe = make_pipe(aws)
    seen: list[int] = []

    def enrichment(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        seen.append(len(batch))
        return [{"Records": len(batch)}]

    pipe.enrichment = enrichment
    # when it delivers the batch
    pipe.poll_once()
    # then the enrichment got the Pipes batch, and the workflow its answer
    assert seen == [3]
    assert inputs(aws) == [[{"Records": 3}]]  # type: ignore[comparison-overlap]


def test_a_batch_over_the_execution_input_limit_is_refused_like_step_functions(
    aws: dict[str, Any],
) -> None:
    # given records of a crowd, over 256 KB in all, and no enrichment to make them compact
    for _ in range(3):
        put(aws, json.dumps(_crowd(60)).encode())
    pipe = make_pipe(aws)
    # when the pipe delivers them
    pipe.poll_once()
    # then no execution starts, and the batch ends in the dead-letter queue
    assert inputs(aws) == []
    (message,) = dead_letters(aws)
    assert "exceeds" in message["context"]["errorMessage"]
    assert pipe.stats.records_dead_lettered == 3
