"""Decode and check the Kinesis records of one match-workflow batch (the workflow's first task).

Why a Lambda and not ``States.StringToJson(States.Base64Decode(...))``: an intrinsic function
that fails on bad input raises ``States.Runtime``, which no ``Catch`` (not even ``States.ALL``)
can handle, on AWS and in moto alike; one bad record would fail the whole batch with no
dead-letter message. Decoding here turns every bad record into data the workflow routes to
its ``MalformedRecord`` path while the other records of the batch proceed.

Input: ``{"Records": [<EventBridge Pipes Kinesis record>, ...]}``.
Output: ``{"records": [...]}``, one entry per input record, in order:
- valid: ``{"Valid": true, "Kinesis": <record without data>, "Decoded": <document>,
  "Camera": <camera name>, "ArrivalSeconds": <int epoch seconds>,
  "Matched": [{"FaceIndex": i, "Face": <face>, "Best": <its highest-similarity match>}],
  "Unmatched": [{"FaceIndex": i, "Face": <face without matches>}]}``;
- invalid: ``{"Valid": false, "Record": <record as received>, "Problem": <what is wrong>}``.

Only the fields the workflow dereferences are checked (the record contract's full JSON schema
lives with the producers, in ``facewatch/schemas``); the handler needs nothing beyond the
standard library, so the Lambda package stays small.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from typing import Any

_STREAM_SEGMENT = ":stream/"
# Kinesis video stream names; also keeps camera names safe inside HTML, keys and "#" ids.
_CAMERA = re.compile(r"[A-Za-z0-9_.\-]{1,256}")


class MalformedRecord(ValueError):
    """A record the workflow cannot handle, with a message naming the problem."""


def _require(condition: bool, problem: str) -> None:
    if not condition:
        raise MalformedRecord(problem)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _decode_data(record: Any) -> dict[str, Any]:
    _require(isinstance(record, dict), "the record is not a JSON object")
    data = record.get("data")
    _require(isinstance(data, str), "the record has no base64 'data' string")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as error:
        raise MalformedRecord(f"'data' is not base64: {error}") from error
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise MalformedRecord(f"'data' is not UTF-8 JSON: {error}") from error
    if not isinstance(document, dict):
        raise MalformedRecord("'data' is JSON but not an object")
    return document


def _camera(document: dict[str, Any]) -> str:
    information = document.get("InputInformation")
    video = information.get("KinesisVideo") if isinstance(information, dict) else None
    if not isinstance(video, dict):
        raise MalformedRecord("missing InputInformation.KinesisVideo")
    stream_arn = video.get("StreamArn")
    if not isinstance(stream_arn, str):
        raise MalformedRecord("missing InputInformation.KinesisVideo.StreamArn")
    head, _, tail = stream_arn.partition(_STREAM_SEGMENT)
    camera = tail.split("/")[0]
    _require(
        head.startswith("arn:") and _CAMERA.fullmatch(camera) is not None,
        f"StreamArn {stream_arn!r} names no camera (arn:...:stream/<camera>/...)",
    )
    return camera


def _check_faces(document: dict[str, Any]) -> None:
    faces = document.get("FaceSearchResponse")
    if not isinstance(faces, list):
        raise MalformedRecord("missing FaceSearchResponse (a list)")
    for index, face in enumerate(faces):
        where = f"FaceSearchResponse[{index}]"
        _require(isinstance(face, dict), f"{where} is not an object")
        detected = face.get("DetectedFace")
        _require(isinstance(detected, dict), f"missing {where}.DetectedFace")
        _require(
            isinstance(detected.get("BoundingBox"), dict),
            f"missing {where}.DetectedFace.BoundingBox",
        )
        matches = face.get("MatchedFaces")
        _require(isinstance(matches, list), f"missing {where}.MatchedFaces (a list)")
        for rank, match in enumerate(matches):
            at = f"{where}.MatchedFaces[{rank}]"
            _require(isinstance(match, dict), f"{at} is not an object")
            _require(_is_number(match.get("Similarity")), f"missing {at}.Similarity")
            face_info = match.get("Face")
            external_id = face_info.get("ExternalImageId") if isinstance(face_info, dict) else None
            _require(
                isinstance(external_id, str) and bool(external_id),
                f"missing {at}.Face.ExternalImageId",
            )


def _split_faces(document: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """Faces with matches (and their best match), faces without: one workflow Map each.

    Picking here saves the workflow a count, a Choice and a pick per face (JSONPath cannot
    index a list that may be empty without failing the execution).
    """
    matched: list[Any] = []
    unmatched: list[Any] = []
    for index, face in enumerate(document["FaceSearchResponse"]):
        matches = face["MatchedFaces"]
        if matches:
            best = max(matches, key=lambda match: match["Similarity"])  # first of the highest
            matched.append({"FaceIndex": index, "Face": face, "Best": best})
        else:
            unmatched.append({"FaceIndex": index, "Face": face})
    return matched, unmatched


def decode_record(record: Any) -> dict[str, Any]:
    """One workflow item: the decoded, checked record, or why it is malformed."""
    try:
        document = _decode_data(record)
        camera = _camera(document)
        _check_faces(document)
        arrival = record.get("approximateArrivalTimestamp")
        _require(_is_number(arrival), "missing approximateArrivalTimestamp (epoch seconds)")
    except MalformedRecord as problem:
        return {"Valid": False, "Record": record, "Problem": str(problem)}
    kinesis = {key: value for key, value in record.items() if key != "data"}
    matched, unmatched = _split_faces(document)
    return {
        "Valid": True,
        "Kinesis": kinesis,
        "Decoded": document,
        "Camera": camera,
        # Whole seconds: the dedupe condition compares it with integer expiry times.
        "ArrivalSeconds": int(arrival),
        "Matched": matched,
        "Unmatched": unmatched,
    }


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records = event.get("Records")
    if not isinstance(records, list):
        records = [] if records is None else [records]
    return {"records": [decode_record(record) for record in records]}
