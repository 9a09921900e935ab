"""The pipe's filter pattern keeps exactly the records that should start an execution.

Evaluated with the local mode's EventBridge matcher, which descends into arrays of objects
as EventBridge does, on records in the stream processor schema.
"""

from __future__ import annotations

import json

import pytest

from workflows.pipe_filter import filter_criteria, filter_pattern

event_pattern = pytest.importorskip("facewatch.local.event_pattern")


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


def test_filter_criteria_carry_the_pattern_as_json_text() -> None:
    (only,) = filter_criteria(True)["Filters"]

    assert json.loads(only["Pattern"]) == filter_pattern(True)
