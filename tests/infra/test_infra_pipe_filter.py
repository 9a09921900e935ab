"""The pipe's filter pattern keeps exactly the records that should start an execution.

Evaluated with the local mode's EventBridge matcher, which descends into arrays of objects
as EventBridge does, on records in the stream processor schema.
"""

from __future__ import annotations

import json

import pytest

from facewatch.local import event_pattern
from facewatch.workflows.pipe_filter import filter_criteria, filter_pattern, filter_patterns


def record(*faces: list[str]) -> dict[str, object]:
    """A decoded pipe record: one FaceSearchResponse entry per face, with these matches."""
    return {
        "data": {
            "InputInformation": {
                "KinesisVideo": {"StreamArn": "arn:aws:kinesisvideo:us-east-1:1:stream/a/1"}
            },
            "StreamProcessorInformation": {"Status": "RUNNING"},
            "FaceSearchResponse": [
                {
                    "DetectedFace": {"Confidence": 99.9, "BoundingBox": {"Width": 0.1}},
                    "MatchedFaces": [{"Similarity": 95.0, "Face": {"FaceId": f}} for f in matches],
                }
                for matches in faces
            ],
        }
    }


MATCHED = record(["f-1"])
UNKNOWN_ONLY = record([])
UNKNOWN_THEN_MATCHED = record([], ["f-2"])
NO_FACES = record()


@pytest.mark.parametrize(
    ("event", "kept"),
    [(MATCHED, True), (UNKNOWN_THEN_MATCHED, True), (UNKNOWN_ONLY, False), (NO_FACES, False)],
)
def test_default_filter_keeps_records_with_a_matched_face(
    event: dict[str, object], kept: bool
) -> None:
    assert event_pattern.matches(filter_pattern(False), event) is kept


@pytest.mark.parametrize(
    ("event", "kept"),
    [(MATCHED, True), (UNKNOWN_ONLY, True), (UNKNOWN_THEN_MATCHED, True), (NO_FACES, False)],
)
def test_unknown_face_alerts_keep_any_detected_face(event: dict[str, object], kept: bool) -> None:
    assert event_pattern.matches(filter_pattern(True), event) is kept


def test_filter_criteria_carry_every_pattern_as_json_text() -> None:
    filters = filter_criteria(True)["Filters"]

    assert [json.loads(f["Pattern"]) for f in filters] == filter_patterns(True)
    assert filter_patterns(True)[0] == filter_pattern(True)
    assert 1 < len(filters) <= 5  # Pipes take at most five filters, OR'ed


def kept(event: dict[str, object], unknown_face_alerts: bool = False) -> bool:
    """What the whole FilterCriteria (filters OR'ed) does with a decoded record."""
    return any(event_pattern.matches(p, event) for p in filter_patterns(unknown_face_alerts))


def without(field: str) -> dict[str, object]:
    event = record(["f-1"])
    data = event["data"]
    assert isinstance(data, dict)
    if field == "StreamArn":
        del data["InputInformation"]["KinesisVideo"]["StreamArn"]
    else:
        del data[field]
    return event


@pytest.mark.parametrize("unknown", [False, True])
@pytest.mark.parametrize(
    "event",
    [
        {"data": {"Unrelated": True}},  # JSON, but not a face-search record
        without("StreamArn"),  # a record that names no camera
        without("InputInformation"),
        {"data": {**NO_FACES["data"], "FaceSearchResponse": "none"}},  # not a list
        {"data": {**NO_FACES["data"], "FaceSearchResponse": None}},
    ],
)
def test_malformed_json_records_are_kept_for_the_workflow_to_report(
    event: dict[str, object], unknown: bool
) -> None:
    assert kept(event, unknown) is True


@pytest.mark.parametrize("unknown", [False, True])
def test_a_frame_without_faces_still_starts_nothing(unknown: bool) -> None:
    assert kept(NO_FACES, unknown) is False


def test_a_record_without_face_search_response_is_dropped_like_a_frame_without_faces() -> None:
    # EventBridge flattens events to leaves: an absent field and an empty list look the same,
    # so this malformed record cannot be told from a frame without faces (module docstring).
    assert kept(without("FaceSearchResponse")) is kept(NO_FACES) is False


def test_exists_false_on_face_search_response_would_keep_every_frame() -> None:
    # Why the filters do not use {"FaceSearchResponse": [{"exists": false}]}: `exists` only
    # sees leaves, and FaceSearchResponse is a list of objects (or empty) in every record.
    naive = {"data": {"FaceSearchResponse": [{"exists": False}]}}

    assert event_pattern.matches(naive, NO_FACES)
    assert event_pattern.matches(naive, MATCHED)
