"""The stream processor record schema accepts AWS-shaped records and rejects broken ones."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from jsonschema import ValidationError

from facewatch.schemas import record_errors, record_schema, validate_record

FACE_ID = "3f8a6b9e-2c41-4d6f-9a0b-7e5c1d2f3a4b"
IMAGE_ID = "9c1e2d3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f"


def aws_shaped_record() -> dict[str, Any]:
    """A record with every member the AWS reference page lists (values made up)."""
    return {
        "InputInformation": {
            "KinesisVideo": {
                "StreamArn": (
                    "arn:aws:kinesisvideo:eu-west-1:111122223333:stream/door/1700000000000"
                ),
                "FragmentNumber": "91343852333181432392682062607743920146485765455",
                "ServerTimestamp": 1700000001.25,
                "ProducerTimestamp": 1700000001.0,
                "FrameOffsetInSeconds": 1.5,
            }
        },
        "StreamProcessorInformation": {"Status": "RUNNING"},
        "FaceSearchResponse": [
            {
                "DetectedFace": {
                    "BoundingBox": {"Height": 0.2, "Width": 0.1, "Left": 0.4, "Top": 0.3},
                    "Confidence": 99.9,
                    "Landmarks": [{"X": 0.42, "Y": 0.35, "Type": "eyeLeft"}],
                    "Pose": {"Pitch": 3.1, "Roll": -2.0, "Yaw": 10.5},
                    "Quality": {"Brightness": 40.0, "Sharpness": 90.0},
                },
                "MatchedFaces": [
                    {
                        "Similarity": 97.3,
                        "Face": {
                            "BoundingBox": {"Height": 0.5, "Width": 0.4, "Left": 0.3, "Top": 0.2},
                            "FaceId": FACE_ID,
                            "Confidence": 99.99,
                            "ImageId": IMAGE_ID,
                            "ExternalImageId": "alice.jpg",
                        },
                    }
                ],
            }
        ],
    }


def test_schema_is_valid_draft_2020_12_and_cites_the_aws_page() -> None:
    # given / when
    schema = record_schema()
    # then
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "streaming-video-kinesis-output-reference" in schema["description"]


def test_record_with_every_documented_member_is_valid() -> None:
    # given
    record = aws_shaped_record()
    # when / then
    assert record_errors(record) == []


def test_edge_record_with_snapshot_is_valid() -> None:
    # given
    record = aws_shaped_record()
    record["FacewatchSnapshot"] = {
        "Bucket": "audit-bucket",
        "FrameKey": "snapshots/door/1700000001000/frame.jpg",
        "FaceKeys": ["snapshots/door/1700000001000/face-0.jpg"],
    }
    # when / then
    validate_record(record)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("InputInformation", "KinesisVideo", "FragmentNumber"), "fragment-1"),
        (("InputInformation", "KinesisVideo", "StreamArn"), "arn:aws:kinesis:eu-west-1:1:stream/x"),
        (("InputInformation", "KinesisVideo", "ProducerTimestamp"), "1700000001"),
        (("StreamProcessorInformation", "Status"), "running"),
    ],
)
def test_wrong_input_information_is_rejected(path: tuple[str, ...], value: Any) -> None:
    # given
    record = aws_shaped_record()
    target = record
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    # when / then
    with pytest.raises(ValidationError):
        validate_record(record)


def test_missing_face_search_response_is_rejected() -> None:
    # given
    record = aws_shaped_record()
    del record["FaceSearchResponse"]
    # when / then
    with pytest.raises(ValidationError, match="FaceSearchResponse"):
        validate_record(record)


def test_bounding_box_in_pixels_is_rejected() -> None:
    # given a box written in pixels instead of ratios of the frame
    record = aws_shaped_record()
    record["FaceSearchResponse"][0]["DetectedFace"]["BoundingBox"]["Width"] = 87
    # when / then
    with pytest.raises(ValidationError):
        validate_record(record)


def test_match_without_face_id_is_rejected() -> None:
    # given
    record = aws_shaped_record()
    del record["FaceSearchResponse"][0]["MatchedFaces"][0]["Face"]["FaceId"]
    # when / then
    with pytest.raises(ValidationError, match="FaceId"):
        validate_record(record)


def test_misspelt_member_is_rejected() -> None:
    # given a producer typo
    record = aws_shaped_record()
    face = record["FaceSearchResponse"][0]
    face["MatchedFace"] = face.pop("MatchedFaces")
    # when / then
    assert record_errors(record)


def test_snapshot_key_outside_snapshots_prefix_is_rejected() -> None:
    # given
    record = copy.deepcopy(aws_shaped_record())
    record["FacewatchSnapshot"] = {
        "Bucket": "audit-bucket",
        "FrameKey": "audit/door/frame.jpg",
        "FaceKeys": [],
    }
    # when / then
    with pytest.raises(ValidationError):
        validate_record(record)
