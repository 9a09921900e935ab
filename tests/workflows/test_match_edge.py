"""Edge mode: the crop the camera agent uploaded (named in the record's FacewatchSnapshot)
becomes the notification's snapshot, with no video archive involved."""

from __future__ import annotations

import copy
import json

import numpy as np
from match_fixtures import (  # noqa: F401  (pytest fixtures)
    EVENTS,
    MatchHarness,
    aws_env,
    harness,
    http_endpoint,
    kinesis_record,
)

from facewatch.agent.record_builder import FaceResult, RecordBuilder
from facewatch.agent.source import Frame
from facewatch.schemas import validate_record
from facewatch.workflows.records import SNAPSHOT_FIELD
from facewatch.workflows.settings import Channels, SnsChannel

EDGE_RECORD = json.loads((EVENTS / "edge_agent_record.json").read_text())


def test_fixture_is_a_valid_record_shaped_as_the_agent_writes_it() -> None:
    # given what the agent's RecordBuilder writes for one matched face with a snapshot
    snapshot = EDGE_RECORD[SNAPSHOT_FIELD]
    video = EDGE_RECORD["InputInformation"]["KinesisVideo"]
    frame = Frame(index=0, segment=0, source_time=0.0, epoch=video["ProducerTimestamp"],
                  bgr=np.zeros((360, 640, 3), dtype=np.uint8))  # fmt: skip
    face = FaceResult(
        box=(280.0, 70.0, 380.0, 170.0),
        confidence=99.2,
        matches=EDGE_RECORD["FaceSearchResponse"][0]["MatchedFaces"],
    )
    builder = RecordBuilder(video["StreamArn"], clock=lambda: video["ServerTimestamp"])
    built = builder.build(frame, builder.fragment_number(frame), [face], snapshot)
    # then the fixture validates and is exactly what the agent writes for that frame
    validate_record(EDGE_RECORD)
    assert built == EDGE_RECORD
    assert snapshot["FaceKeys"][0].startswith(f"snapshots/front-door/{video['FragmentNumber']}/")


def test_edge_snapshot_named_in_the_record_becomes_the_notification_link(
    harness: MatchHarness,
) -> None:
    # given an edge record whose crop the agent uploaded to the audit bucket, and Lin enrolled
    assert harness.settings.channels.sns is not None
    h = harness.deploy(
        channels=Channels(sns=SnsChannel(harness.settings.channels.sns.topic_arn)),
    )
    record = copy.deepcopy(EDGE_RECORD)
    snapshot = record[SNAPSHOT_FIELD]
    assert snapshot["Bucket"] == h.settings.audit_bucket
    crop_key = snapshot["FaceKeys"][0]
    h.clients["s3"].put_object(Bucket=snapshot["Bucket"], Key=crop_key, Body=b"\xff\xd8jpeg")
    h.enrol("people/lin-manuel-miranda.png", "Lin-Manuel Miranda", "people_lin-manuel-miranda.png")
    # when the workflow handles the record
    result = h.run([kinesis_record(record)])
    # then the audit record names that very object, and the SNS message links to it
    assert result["status"] == "SUCCEEDED", h.explain(result)
    [audit] = h.audit_objects().values()
    assert audit["outcome"] == "notified"
    assert audit["snapshot"]["available"] is True
    assert (audit["snapshot"]["bucket"], audit["snapshot"]["key"]) == (
        snapshot["Bucket"],
        crop_key,
    )
    [message] = h.sns_messages()
    assert message.startswith("Lin-Manuel Miranda was seen on camera front-door")
    assert f" Snapshot: {audit['snapshot']['url']}" in message
    assert f"/{crop_key}?" in audit["snapshot"]["url"]
    # no frame was cut from video: nothing but the agent's crop under snapshots/
    listing = h.clients["s3"].list_objects_v2(Bucket=snapshot["Bucket"], Prefix="snapshots/")
    assert [item["Key"] for item in listing["Contents"]] == [crop_key]
