"""Record builders for the match workflow tests: what EventBridge Pipes delivers from Kinesis.

A stream processor document (face_document) holds detected faces (detected_face), each with
its matches in the collection (matched_face); kinesis_record wraps a document as the Pipe
delivers it, and sighting builds the common case (one face matched to one photo).
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import uuid
from pathlib import Path
from typing import Any

REGION = "us-east-1"
ACCOUNT = "123456789012"
EVENTS = Path(__file__).parent.parent / "events"
_sequence = itertools.count(1)


def matched_face(external_image_id: str, similarity: float = 99.1) -> dict[str, Any]:
    return {
        "Similarity": similarity,
        "Face": {
            "FaceId": str(uuid.uuid4()),
            "ExternalImageId": external_image_id,
            "ImageId": str(uuid.uuid4()),
            "BoundingBox": {"Left": 0.1, "Top": 0.1, "Width": 0.5, "Height": 0.6},
            "Confidence": 99.9,
        },
    }


def detected_face(*matches: dict[str, Any]) -> dict[str, Any]:
    return {
        "DetectedFace": {
            "BoundingBox": {"Left": 0.25, "Top": 0.2, "Width": 0.3, "Height": 0.4},
            "Confidence": 99.5,
            "Landmarks": [],
            "Pose": {"Pitch": 0.0, "Roll": 0.0, "Yaw": 0.0},
            "Quality": {"Brightness": 70.0, "Sharpness": 80.0},
        },
        "MatchedFaces": list(matches),
    }


def face_document(
    camera: str, *faces: dict[str, Any], producer_ts: float = 1_700_000_000.0
) -> dict[str, Any]:
    """A stream processor record (the shape of tests/events/stream_processor_record.json)."""
    document = copy.deepcopy(json.loads((EVENTS / "stream_processor_record.json").read_text()))
    video = document["InputInformation"]["KinesisVideo"]
    video["StreamArn"] = f"arn:aws:kinesisvideo:{REGION}:{ACCOUNT}:stream/{camera}/1700000000000"
    video["ProducerTimestamp"] = producer_ts
    document["FaceSearchResponse"] = list(faces)
    return document


def kinesis_record(
    document: Any, arrival: float = 1_700_000_000.25, *, raw_data: str | None = None
) -> dict[str, Any]:
    """A record as EventBridge Pipes delivers it from Kinesis (base64 `data`)."""
    data = (
        raw_data
        if raw_data is not None
        else base64.b64encode(json.dumps(document).encode()).decode()
    )
    sequence = next(_sequence)
    return {
        "kinesisSchemaVersion": "1.0",
        "partitionKey": "camera",
        "sequenceNumber": f"4959033827149025660855969253836157109592157598913658{sequence:04d}",
        "data": data,
        "approximateArrivalTimestamp": arrival,
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"shardId-000000000000:{sequence}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": f"arn:aws:iam::{ACCOUNT}:role/pipe",
        "awsRegion": REGION,
        "eventSourceARN": f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/facewatch-faces",
    }


def sighting(
    camera: str, external_image_id: str, arrival: float = 1_700_000_000.25, similarity: float = 99.1
) -> dict[str, Any]:
    """One record, one detected face, matched to one photo."""
    return kinesis_record(
        face_document(camera, detected_face(matched_face(external_image_id, similarity))), arrival
    )


def crowd_face(external_image_id: str | None) -> dict[str, Any]:
    """A detected face as Rekognition writes it (landmarks, pose, quality), matched to one
    photo or to none: a crowd's records are made of these."""
    template = json.loads((EVENTS / "stream_processor_record.json").read_text())
    face = copy.deepcopy(template["FaceSearchResponse"][0])
    if external_image_id is None:
        face["MatchedFaces"] = []
    else:
        face["MatchedFaces"] = [matched_face(external_image_id, similarity=97.0)]
    return dict(face)


def crowd_record(
    camera: str,
    faces: int,
    *,
    matched: list[str],
    arrival: float = 1_700_000_000.25,
    producer_ts: float = 1_700_000_000.0,
) -> dict[str, Any]:
    """One frame of a crowd: `faces` faces, the first ones matched to `matched` (one each)."""
    identities: list[str | None] = [*matched, *[None] * (faces - len(matched))]
    document = face_document(
        camera, *[crowd_face(identity) for identity in identities], producer_ts=producer_ts
    )
    return kinesis_record(document, arrival)


def data_size(record: dict[str, Any]) -> int:
    """The size of a record's data blob as Kinesis counts it (before base64)."""
    return len(base64.b64decode(record["data"]))
