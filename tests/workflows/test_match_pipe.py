"""The Pipe's filters and the match workflow together: records written to the data stream go
through the local Pipe (the stack's FilterCriteria, Pipes' batch shape) into the workflow."""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3
import pytest
from match_fixtures import (  # noqa: F401  (pytest fixtures)
    REGION,
    MatchHarness,
    aws_env,
    detected_face,
    face_document,
    harness,
    http_endpoint,
)

from facewatch.local.pipe import KinesisPipe, decode_enrichment, patterns_from_filter_criteria
from facewatch.workflows.match import MALFORMED_ERROR
from facewatch.workflows.pipe_filter import filter_criteria
from facewatch.workflows.settings import Channels, SnsChannel

STREAM = "facewatch-records"


@pytest.fixture
def piped(harness: MatchHarness) -> tuple[MatchHarness, Any, KinesisPipe]:
    """The harness with SNS only, a data stream and the local Pipe in front of the workflow."""
    assert harness.settings.channels.sns is not None
    h = harness.deploy(channels=Channels(sns=SnsChannel(harness.settings.channels.sns.topic_arn)))
    kinesis = boto3.client("kinesis", region_name=REGION)
    kinesis.create_stream(StreamName=STREAM, ShardCount=1)
    pipe = KinesisPipe(
        kinesis=kinesis,
        stepfunctions=h.clients["stepfunctions"],
        stream_name=STREAM,
        state_machine_arn=h.state_machine_arn,
        region=REGION,
        role_arn="arn:aws:iam::123456789012:role/pipe",
        patterns=patterns_from_filter_criteria(filter_criteria(h.settings.unknown_face_alerts)),
        enrichment=decode_enrichment(
            h.clients["s3"],
            audit_bucket=h.settings.audit_bucket,
            unknown_face_alerts=h.settings.unknown_face_alerts,
        ),
    )
    pipe.start()
    pipe.stop()  # no background thread: the tests poll explicitly
    return h, kinesis, pipe


def write(kinesis: Any, document: Any) -> None:
    data = document if isinstance(document, bytes) else json.dumps(document).encode()
    kinesis.put_record(StreamName=STREAM, Data=data, PartitionKey="camera")


def finished(h: MatchHarness, pipe: KinesisPipe) -> list[dict[str, Any]]:
    return [h.wait(arn) for arn in pipe.stats.executions]


def test_a_json_record_without_a_camera_ends_in_the_dead_letter_queue(
    piped: tuple[MatchHarness, Any, KinesisPipe],
) -> None:
    # given a JSON record with a matched face but no InputInformation (names no camera)
    h, kinesis, pipe = piped
    document = face_document("front-door", detected_face())
    del document["InputInformation"]
    document["FaceSearchResponse"] = [{"DetectedFace": {"Confidence": 99.0}}]
    write(kinesis, document)
    # when the Pipe polls the stream
    pipe.poll_once()
    # then one execution ends in the MalformedRecord outcome and the record is dead-lettered
    [result] = finished(h, pipe)
    assert (result["status"], result["error"]) == ("FAILED", MALFORMED_ERROR)
    [letter] = h.dead_letters()
    assert letter["kind"] == "malformed-record"
    assert json.loads(base64.b64decode(letter["record"]["data"])) == document
    assert "InputInformation" in letter["problem"]


def test_frames_without_faces_and_non_json_records_start_no_execution(
    piped: tuple[MatchHarness, Any, KinesisPipe],
) -> None:
    # given a frame without faces and a record that is not JSON
    h, kinesis, pipe = piped
    write(kinesis, face_document("front-door"))
    write(kinesis, b"\x00 not json")
    # when the Pipe polls the stream
    pipe.poll_once()
    # then nothing starts: both are dropped by the filters, as on AWS
    assert (pipe.stats.records_read, pipe.stats.records_kept) == (2, 0)
    assert pipe.stats.executions == []
    assert h.dead_letters() == []
