"""Match workflow audit records: complete and correct for notified, suppressed and malformed.

Field names are those the definition writes (workflows/match_notify.py ``notify_states``,
workflows/match_common.py ``match_context``, workflows/match.py ``_face_item`` and
``_malformed_map``).
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC
from typing import Any

from match_fixtures import (  # noqa: F401  (pytest fixtures)
    MatchHarness,
    aws_env,
    detected_face,
    face_document,
    harness,
    http_endpoint,
    kinesis_record,
    matched_face,
    sighting,
)

from facewatch.workflows.match import MALFORMED_ERROR
from facewatch.workflows.settings import Channels, SnsChannel

CAMERA = "lobby-east"  # the stream-name segment of the record's StreamArn
ALL_CHANNELS = ["email", "slack", "sns", "webhook", "whatsapp"]


def _sns_only(h: MatchHarness) -> MatchHarness:
    assert h.settings.channels.sns is not None
    return h.deploy(channels=Channels(sns=SnsChannel(h.settings.channels.sns.topic_arn)))


def _two_match_record(arrival: float = 1_700_000_000.25) -> dict[str, Any]:
    """One face matched to two photos of Lin, best first (as Rekognition orders them)."""
    face = detected_face(
        matched_face("people_lin.png", similarity=98.7),
        matched_face("people_lin-old.png", similarity=91.2),
    )
    return kinesis_record(face_document(CAMERA, face), arrival)


def _expected_prefix(h: MatchHarness, described: dict[str, Any]) -> str:
    started = described["startDate"].astimezone(UTC)
    name = described["executionArn"].rsplit(":", 1)[-1]
    return f"audit/{started:%Y/%m/%d}/{name}/"


def _only_audit(h: MatchHarness) -> tuple[str, dict[str, Any]]:
    audits = h.audit_objects()
    assert len(audits) == 1, sorted(audits)
    [(key, audit)] = audits.items()
    return key, audit


def _assert_match_context(
    audit: dict[str, Any], sent: dict[str, Any], described: dict[str, Any]
) -> None:
    """What every audit record of a handled match holds, whatever the dedupe outcome."""
    # where the record is in the stream, and its frame (not the whole decoded document)
    document = json.loads(base64.b64decode(sent["data"]))
    assert audit["record"]["kinesis"] == {
        "shardId": sent["eventID"].split(":")[0],
        "sequenceNumber": sent["sequenceNumber"],
        "partitionKey": sent["partitionKey"],
        "approximateArrivalTimestamp": sent["approximateArrivalTimestamp"],
    }
    assert audit["record"]["frame"] == document["InputInformation"]["KinesisVideo"]
    assert "data" not in audit["record"]
    # the resolved name (from the key tag of the best match's photo)
    assert audit["person"]["Name"] == "Lin-Manuel Miranda"
    assert audit["person"]["Source"] == "object-key-tag"
    # the best match's similarity, as a number (not moto's list-wrapped indexed path)
    best = document["FaceSearchResponse"][0]["MatchedFaces"][0]["Similarity"]
    assert isinstance(audit["similarity"], int | float) and not isinstance(
        audit["similarity"], bool
    )
    assert audit["similarity"] == best == 98.7
    # the camera from the StreamArn, the execution that handled it
    assert audit["camera"] == CAMERA
    assert audit["executionArn"] == described["executionArn"]


def test_notified_audit_key_is_dated_by_the_execution_start(harness: MatchHarness) -> None:
    # given Lin enrolled
    h = _sns_only(harness)
    h.enrol("people/lin.png", "Lin-Manuel Miranda", "people_lin.png")
    # when a camera sees him
    described = h.run([_two_match_record()])
    assert described["status"] == "SUCCEEDED", h.explain(described)
    # then the audit object lies under audit/YYYY/MM/DD/<execution>/ of the start date (UTC)
    key, _ = _only_audit(h)
    assert re.fullmatch(r"audit/\d{4}/\d{2}/\d{2}/[^/]+/record-0-face-0\.json", key), key
    assert key.startswith(_expected_prefix(h, described)), key


def test_notified_audit_holds_record_name_similarity_camera_and_execution(
    harness: MatchHarness,
) -> None:
    # given Lin enrolled (his older photo is not: the best match decides)
    h = _sns_only(harness)
    h.enrol("people/lin.png", "Lin-Manuel Miranda", "people_lin.png")
    sent = _two_match_record()
    # when the camera sees him
    described = h.run([sent])
    assert described["status"] == "SUCCEEDED", h.explain(described)
    # then the audit record holds the match's whole context, and says it was notified
    _, audit = _only_audit(h)
    _assert_match_context(audit, sent, described)
    assert audit["outcome"] == "notified"
    assert audit["dedupe"] == "notified"


def test_notified_audit_has_one_outcome_per_configured_channel(harness: MatchHarness) -> None:
    # given all five channels configured (the local HTTP server accepts Slack/WhatsApp/webhook)
    h = harness
    h.enrol("people/lin.png", "Lin-Manuel Miranda", "people_lin.png")
    # when Lin is seen
    described = h.run([_two_match_record()])
    assert described["status"] == "SUCCEEDED", h.explain(described)
    # then the audit lists exactly one delivered outcome for each of them
    _, audit = _only_audit(h)
    assert sorted(c["Channel"] for c in audit["channels"]) == ALL_CHANNELS
    assert {c["Outcome"] for c in audit["channels"]} == {"delivered"}


def test_suppressed_audit_is_complete_without_channel_outcomes(harness: MatchHarness) -> None:
    # given Lin was notified 60 s ago on this camera
    h = _sns_only(harness)
    h.enrol("people/lin.png", "Lin-Manuel Miranda", "people_lin.png")
    first = h.run([_two_match_record(arrival=1_700_000_000.25)])
    assert first["status"] == "SUCCEEDED", h.explain(first)
    first_keys = set(h.audit_objects())
    h.sns_messages()
    # when the camera sees him again within the window
    sent = _two_match_record(arrival=1_700_000_060.25)
    described = h.run([sent])
    assert described["status"] == "SUCCEEDED", h.explain(described)
    # then its audit record is dated, suppressed, has no channel outcome, and is otherwise
    # as complete as a notified one
    assert h.sns_messages() == []
    [key] = set(h.audit_objects()) - first_keys
    assert key == f"{_expected_prefix(h, described)}record-0-face-0-suppressed.json"
    audit = h.audit_objects()[key]
    assert audit["outcome"] == "suppressed"
    assert audit["dedupe"] == "suppressed"
    assert not audit.get("channels")
    _assert_match_context(audit, sent, described)


def test_malformed_record_audit_and_dead_letter_name_the_problem(harness: MatchHarness) -> None:
    # given a record whose only match lacks its Similarity
    h = _sns_only(harness)
    document = face_document(CAMERA, detected_face(matched_face("people_lin.png")))
    del document["FaceSearchResponse"][0]["MatchedFaces"][0]["Similarity"]
    bad = kinesis_record(document)
    # when the workflow runs
    described = h.run([bad])
    # then the execution fails in the named state, and both the audit record (under the
    # execution's dated prefix) and the dead letter say which field is missing, with the
    # record as received and the execution
    assert described["status"] == "FAILED"
    assert described["error"] == MALFORMED_ERROR
    key, audit = _only_audit(h)
    assert key == f"{_expected_prefix(h, described)}record-0-malformed.json"
    problem = "missing FaceSearchResponse[0].MatchedFaces[0].Similarity"
    assert audit["outcome"] == "malformed"
    assert audit["problem"] == problem
    assert audit["record"] == bad
    assert audit["executionArn"] == described["executionArn"]
    [letter] = h.dead_letters()
    assert letter["kind"] == "malformed-record"
    assert letter["problem"] == problem
    assert letter["record"] == bad
    assert h.sns_messages() == []


def test_audit_objects_carry_a_checksum_for_object_lock_buckets(harness: MatchHarness) -> None:
    # given Lin enrolled (an Object Lock bucket refuses a PutObject without a checksum)
    h = _sns_only(harness)
    h.enrol("people/lin.png", "Lin-Manuel Miranda", "people_lin.png")
    # when a camera sees him
    described = h.run([_two_match_record()])
    assert described["status"] == "SUCCEEDED", h.explain(described)
    # then the audit object was written with a SHA-256 checksum the SDK computed
    key, _ = _only_audit(h)
    head = h.clients["s3"].head_object(
        Bucket=h.settings.audit_bucket, Key=key, ChecksumMode="ENABLED"
    )
    assert head.get("ChecksumSHA256"), head
