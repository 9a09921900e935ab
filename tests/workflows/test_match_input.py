"""Match workflow input handling: malformed records, faces without matches."""

from __future__ import annotations

import base64
import json

import pytest
from match_fixtures import (  # noqa: F401  (pytest fixtures)
    MatchHarness,
    aws_env,
    detected_face,
    face_document,
    harness,
    http_endpoint,
    kinesis_record,
    sighting,
)

from facewatch.workflows.match import MALFORMED_ERROR
from facewatch.workflows.settings import Channels, SnsChannel


def sns_only(h: MatchHarness, **overrides: object) -> MatchHarness:
    assert h.settings.channels.sns is not None
    return h.deploy(
        channels=Channels(sns=SnsChannel(h.settings.channels.sns.topic_arn)), **overrides
    )


def _missing_stream_arn() -> dict[str, object]:
    document = face_document("front-door", detected_face())
    del document["InputInformation"]["KinesisVideo"]["StreamArn"]
    return kinesis_record(document)


MALFORMED = {
    "not-base64": lambda: kinesis_record(None, raw_data="%%% not base64 %%%"),
    "not-json": lambda: kinesis_record(None, raw_data=base64.b64encode(b"{not json").decode()),
    "missing-stream-arn": _missing_stream_arn,
    "missing-faces": lambda: kinesis_record(
        {
            "InputInformation": {
                "KinesisVideo": {
                    "StreamArn": "arn:aws:kinesisvideo:us-east-1:123456789012:stream/cam/1"
                }
            }
        }
    ),
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_malformed_record_fails_visibly_and_spares_the_batch(
    harness: MatchHarness, kind: str
) -> None:
    # given a batch with one malformed record between two good ones
    h = sns_only(harness)
    h.enrol("people/lin.png", "Lin", "people_lin.png")
    bad = MALFORMED[kind]()
    batch = [
        sighting("front-door", "people_lin.png"),
        bad,
        sighting("stage-left", "people_lin.png"),
    ]
    # when the workflow runs
    result = h.run(batch)
    # then the execution ends FAILED in the named state, the good records were notified,
    # and the bad record is in the DLQ and in the audit bucket
    assert result["status"] == "FAILED"
    assert result["error"] == MALFORMED_ERROR
    assert len(h.sns_messages()) == 2
    [letter] = h.dead_letters()
    assert letter["kind"] == "malformed-record"
    assert letter["record"] == bad
    assert letter["problem"]
    malformed = [a for k, a in h.audit_objects().items() if k.endswith("-malformed.json")]
    assert [a["record"] for a in malformed] == [bad]


def test_malformed_record_is_not_retried(harness: MatchHarness) -> None:
    h = sns_only(harness)
    result = h.run([kinesis_record(None, raw_data="@@@")])
    entered = [
        e["stateEnteredEventDetails"]["name"]
        for e in h.history(result["executionArn"])
        if e["type"].endswith("StateEntered")
    ]
    assert entered.count("RejectedToDeadLetterQueue") == 1
    assert entered[-1] == "MalformedRecord"


def test_unknown_face_is_ignored_by_default(harness: MatchHarness) -> None:
    # given the default settings and a face without matches
    h = sns_only(harness)
    result = h.run([kinesis_record(face_document("front-door", detected_face()))])
    # then nothing is sent or audited, and the execution succeeds
    assert result["status"] == "SUCCEEDED", h.explain(result)
    assert h.sns_messages() == []
    assert h.audit_objects() == {}
    # (faces without matches are not even iterated: no state transition)
    output = json.loads(result["output"])
    assert output["Matches"] == [] and output["UnknownFaces"] == []
    assert output["Summary"]["UnmatchedFaces"] == 1 and output["AnyRejected"] is False


def test_unknown_face_alerts_once_per_camera(harness: MatchHarness) -> None:
    # given unknown-face alerts on, and two unknown faces on one camera plus one on another
    h = sns_only(harness, unknown_face_alerts=True)
    batch = [
        kinesis_record(
            face_document("front-door", detected_face(), detected_face()), arrival=1_700_000_000.0
        ),
        kinesis_record(face_document("stage-left", detected_face()), arrival=1_700_000_000.0),
    ]
    # when the workflow runs
    result = h.run(batch)
    # then one "Unknown person" alert per camera
    assert result["status"] == "SUCCEEDED", h.explain(result)
    messages = sorted(h.sns_messages())
    assert len(messages) == 2
    assert all(m.startswith("Unknown person was seen") for m in messages)
    keys = sorted(item["pk"]["S"] for item in h.dedupe_items())
    assert keys == ["unknown#front-door", "unknown#stage-left"]


def test_empty_face_search_response_does_nothing(harness: MatchHarness) -> None:
    h = sns_only(harness)
    result = h.run([kinesis_record(face_document("front-door"))])
    assert result["status"] == "SUCCEEDED", h.explain(result)
    assert h.sns_messages() == [] and h.audit_objects() == {}


@pytest.mark.parametrize("shape", ["array", "object"])
def test_the_decoded_batch_is_read_as_an_array_or_a_bare_object(
    harness: MatchHarness, shape: str
) -> None:
    # given the enrichment's answer for Lin's sighting, handed over as Pipes pass it (the
    # one-element array) or unwrapped
    h = sns_only(harness)
    h.enrol("people/lin.png", "Lin", "people_lin.png")
    [batch] = h.enrich([sighting("front-door", "people_lin.png")])
    # when the execution starts with it
    result = h.wait(h.start_input([batch] if shape == "array" else batch))
    # then Lin is notified either way
    assert result["status"] == "SUCCEEDED", h.explain(result)
    [message] = h.sns_messages()
    assert message.startswith("Lin was seen on camera front-door")
