"""Reading one Kinesis record of a match batch, and coalescing a batch's faces (used by
`handlers.decode`, the Pipe's enrichment; its docstring describes the entries).

Standard library only, so the Lambda package stays small.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# workflows.records.SNAPSHOT_FIELD: the Lambda package holds handlers/ only (a test checks
# that both say the same).
SNAPSHOT_FIELD = "FacewatchSnapshot"
_STREAM_SEGMENT = ":stream/"
# Kinesis video stream names; also keeps camera names safe inside HTML, keys and "#" ids.
_CAMERA = re.compile(r"[A-Za-z0-9_.\-]{1,256}")
# The frame's InputInformation.KinesisVideo fields: what the snapshot Lambda reads to fetch
# the frame (stream-processor mode) and the audit record keeps to name it.
_FRAME_FIELDS = (
    "StreamArn",
    "FragmentNumber",
    "ProducerTimestamp",
    "ServerTimestamp",
    "FrameOffsetInSeconds",
)


class MalformedRecord(ValueError):
    """A record the workflow cannot handle, with a message naming the problem."""


def rounded_similarity(similarity: float) -> float:
    """One decimal, half up (80.95174655705812 -> 81.0): what the channels show people.

    Computed here because ASL has no rounding intrinsic (``States.Format`` prints the float's
    every digit); the audit record keeps the exact value.
    """
    exact = Decimal(repr(float(similarity)))
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def similarity_text(similarity: float) -> str:
    """``similarity 81.0%``: the channel texts' wording of a match's similarity."""
    return f"similarity {rounded_similarity(similarity):.1f}%"


def _require(condition: bool, problem: str) -> None:
    if not condition:
        raise MalformedRecord(problem)


def is_number(value: Any) -> bool:
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
    _require(isinstance(document, dict), "'data' is JSON but not an object")
    return dict(document)


def _video(document: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The camera (the StreamArn's stream name) and the frame's KinesisVideo fields."""
    information = document.get("InputInformation")
    video = information.get("KinesisVideo") if isinstance(information, dict) else None
    if not isinstance(video, dict):
        raise MalformedRecord("missing InputInformation.KinesisVideo")
    stream_arn = video.get("StreamArn")
    _require(isinstance(stream_arn, str), "missing InputInformation.KinesisVideo.StreamArn")
    head, _, tail = str(stream_arn).partition(_STREAM_SEGMENT)
    camera = tail.split("/")[0]
    _require(
        head.startswith("arn:") and _CAMERA.fullmatch(camera) is not None,
        f"StreamArn {stream_arn!r} names no camera (arn:...:stream/<camera>/...)",
    )
    return camera, {name: video[name] for name in _FRAME_FIELDS if name in video}


def _compact_face(face: Any, where: str) -> dict[str, Any]:
    """The face as the workflow and the audit use it (landmarks, pose, quality are dropped)."""
    _require(isinstance(face, dict), f"{where} is not an object")
    detected = face.get("DetectedFace")
    _require(isinstance(detected, dict), f"missing {where}.DetectedFace")
    box = detected.get("BoundingBox")
    _require(isinstance(box, dict), f"missing {where}.DetectedFace.BoundingBox")
    matches = face.get("MatchedFaces")
    _require(isinstance(matches, list), f"missing {where}.MatchedFaces (a list)")
    compact = []
    for rank, match in enumerate(matches):
        at = f"{where}.MatchedFaces[{rank}]"
        _require(isinstance(match, dict), f"{at} is not an object")
        _require(is_number(match.get("Similarity")), f"missing {at}.Similarity")
        info = match.get("Face")
        info = info if isinstance(info, dict) else {}
        external_id = info.get("ExternalImageId")
        _require(
            isinstance(external_id, str) and bool(external_id), f"missing {at}.Face.ExternalImageId"
        )
        compact.append(
            {
                "Similarity": match["Similarity"],
                "Face": {"FaceId": info.get("FaceId"), "ExternalImageId": external_id},
            }
        )
    return {
        "DetectedFace": {"BoundingBox": box, "Confidence": detected.get("Confidence")},
        "MatchedFaces": compact,
    }


def _snapshot_keys(document: dict[str, Any], face_index: int) -> dict[str, Any] | None:
    """Edge mode: where the camera agent put this face's crop and its frame."""
    snapshot = document.get(SNAPSHOT_FIELD)
    if not isinstance(snapshot, dict):
        return None
    keys = snapshot.get("FaceKeys")
    face_key = keys[face_index] if isinstance(keys, list) and face_index < len(keys) else None
    return {
        "Bucket": snapshot.get("Bucket"),
        "FrameKey": snapshot.get("FrameKey"),
        "FaceKey": face_key,
    }


def record_metadata(record: Any) -> dict[str, Any]:
    """Where a record is in the stream (what Pipes' own DLQ messages name), without ``data``."""
    if not isinstance(record, dict):
        return {"shardId": None, "sequenceNumber": None}
    event_id = record.get("eventID")
    return {
        "shardId": event_id.split(":")[0] if isinstance(event_id, str) else None,
        "sequenceNumber": record.get("sequenceNumber"),
        "partitionKey": record.get("partitionKey"),
        "approximateArrivalTimestamp": record.get("approximateArrivalTimestamp"),
    }


def decode_record(record: Any) -> dict[str, Any]:
    """One record: its compact faces with their context, or why it is malformed."""
    try:
        document = _decode_data(record)
        camera, frame = _video(document)
        faces = document.get("FaceSearchResponse")
        if not isinstance(faces, list):
            raise MalformedRecord("missing FaceSearchResponse (a list)")
        compact = [_compact_face(f, f"FaceSearchResponse[{i}]") for i, f in enumerate(faces)]
        arrival = record.get("approximateArrivalTimestamp")
        _require(is_number(arrival), "missing approximateArrivalTimestamp (epoch seconds)")
    except MalformedRecord as problem:
        return {"Valid": False, "Problem": str(problem)}
    context = {
        "Camera": camera,
        # Whole seconds: the dedupe condition compares it with integer expiry times.
        "ArrivalSeconds": int(arrival),
        "Kinesis": record_metadata(record),
    }
    entries = []
    for index, face in enumerate(compact):
        snapshot = _snapshot_keys(document, index)
        entry = {
            "FaceIndex": index,
            **context,
            "Frame": {**frame, **({"Snapshot": snapshot} if snapshot else {})},
            "Face": face,
        }
        if face["MatchedFaces"]:
            best = max(face["MatchedFaces"], key=lambda m: m["Similarity"])  # first highest
            entry["Best"] = best
            entry["SimilarityRounded"] = rounded_similarity(best["Similarity"])
            entry["SimilarityText"] = similarity_text(best["Similarity"])
        entries.append(entry)
    return {"Valid": True, "Faces": entries}


def _sighting(index: int, face: dict[str, Any]) -> dict[str, Any]:
    """How a coalesced sighting is listed in the audit record of the match it joined."""
    best = face.get("Best")
    return {
        "recordIndex": index,
        "faceIndex": face["FaceIndex"],
        "sequenceNumber": face["Kinesis"]["sequenceNumber"],
        "producerTimestamp": face["Frame"].get("ProducerTimestamp"),
        "arrivalTimestamp": face["Kinesis"]["approximateArrivalTimestamp"],
        "similarity": best["Similarity"] if best else None,
    }


def coalesce(
    decoded: list[dict[str, Any]], skip: set[int], unknown_face_alerts: bool
) -> dict[str, Any]:
    """One entry per (camera, best match's ExternalImageId), or per camera for faces without
    a match, in order of first sighting; the later sightings join it. Records in ``skip``
    (offloaded) are left out."""
    groups: dict[str, dict[tuple[str, str | None], dict[str, Any]]] = {"Matches": {}, "Unknown": {}}
    counts = {"MatchedFaces": 0, "UnmatchedFaces": 0, "Coalesced": 0}
    for index, item in enumerate(decoded):
        if not item["Valid"] or index in skip:
            continue
        for face in item["Faces"]:
            best = face.get("Best")
            counts["MatchedFaces" if best else "UnmatchedFaces"] += 1
            if not (best or unknown_face_alerts):
                continue
            group = groups["Matches" if best else "Unknown"]
            key = (face["Camera"], best["Face"]["ExternalImageId"] if best else None)
            similarity = best["Similarity"] if best else None
            first = group.get(key)
            if first is None:
                group[key] = {
                    "RecordIndex": index,
                    **face,
                    "MaxSimilarity": similarity,
                    "Coalesced": [],
                }
                continue
            first["Coalesced"].append(_sighting(index, face))
            counts["Coalesced"] += 1
            if similarity is not None and similarity > first["MaxSimilarity"]:
                first["MaxSimilarity"] = similarity
    return {
        "Matches": list(groups["Matches"].values()),
        "UnknownFaces": list(groups["Unknown"].values()),
        "Counts": counts,
    }
