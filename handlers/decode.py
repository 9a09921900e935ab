"""Decode and check the Kinesis records of one match-workflow batch (the workflow's first task).

Why a Lambda and not ``States.StringToJson(States.Base64Decode(...))``: an intrinsic function
that fails on bad input raises ``States.Runtime``, which no ``Catch`` (not even ``States.ALL``)
can handle, on AWS and in moto alike; one bad record would fail the whole batch with no
dead-letter message. Decoding here turns every bad record into data the workflow routes to
its ``MalformedRecord`` path while the other records of the batch proceed.

Input: ``{"Records": [<EventBridge Pipes Kinesis record>, ...], "UnknownFaceAlerts": <bool>}``.

Coalescing. A camera with a known person in view writes ~5 records a second, each carrying the
same match, and the Pipe batches up to 10 of them per execution. Within one batch, the matched
faces with the same (camera, best match's ExternalImageId) are handled ONCE: the first of them
(batch order: a Pipe batch is one shard's records in sequence order, so the earliest) is the
handled match, and the others are attached to it as ``Coalesced`` sightings, so the workflow
resolves, dedupes, notifies and audits one match per (camera, face identity) per batch. The
first rather than the highest-similarity sighting because the alert, the dedupe window (which
starts at the handled match's arrival) and the snapshot then tell when the person was *first*
seen: later frames would delay every timestamp by up to the batching window. The best
similarity is not lost: ``MaxSimilarity`` (handled and coalesced sightings) goes into the audit
record with the list. Several photos of one person have different ExternalImageIds and are not
coalesced here: the workflow's dedupe by person catches them. Faces without matches (when
``UnknownFaceAlerts``) coalesce the same way per camera. Nothing is lost: every coalesced
sighting is listed in the audit record of the match it joined, and every malformed record is
handled on its own.

Output (only what the workflow must iterate over; a record whose faces all joined an earlier
match, or that has no face to handle, appears nowhere but in those lists and ``Summary``):
``{"Matches": [<handled>], "UnknownFaces": [<handled>] ([] unless UnknownFaceAlerts),
"Malformed": [{"RecordIndex": i, "Record": <record as received>, "Problem": <what is wrong>}],
"AnyMalformed": <bool>, "Summary": {"Records", "Malformed", "MatchedFaces", "Matches",
"UnmatchedFaces", "UnknownFaces", "Coalesced"}}`` where a handled entry is
``{"RecordIndex": i, "FaceIndex": j, "Camera": <camera name>, "ArrivalSeconds": <int epoch
seconds>, "Kinesis": <record without data>, "Decoded": <document>, "Face": <face>,
"Best": <its highest-similarity match>, "SimilarityRounded": <one decimal>, "SimilarityText":
"similarity 81.0%" (these three matched only), "MaxSimilarity": <number or null>,
"Coalesced": [{"recordIndex", "faceIndex", "sequenceNumber", "producerTimestamp",
"arrivalTimestamp", "similarity"}, ...]}`` (``RecordIndex`` is the record's position in the
batch: audit keys ``record-<i>-face-<j>[-suppressed|-malformed].json`` keep naming it). A
record with faces of several identities repeats its ``Decoded`` document in each of their
entries: bounded by the Pipe's batch of 10 records (~1.4 KB each), far below the 256 KB state
payload limit for the few people a camera sees at once.

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
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

_STREAM_SEGMENT = ":stream/"
# Kinesis video stream names; also keeps camera names safe inside HTML, keys and "#" ids.
_CAMERA = re.compile(r"[A-Za-z0-9_.\-]{1,256}")


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
            similarity = best["Similarity"]
            matched.append(
                {
                    "FaceIndex": index,
                    "Face": face,
                    "Best": best,
                    "SimilarityRounded": rounded_similarity(similarity),
                    "SimilarityText": similarity_text(similarity),
                }
            )
        else:
            unmatched.append({"FaceIndex": index, "Face": face})
    return matched, unmatched


def decode_record(record: Any) -> dict[str, Any]:
    """One record: decoded and checked, or why it is malformed."""
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


def _producer_timestamp(document: dict[str, Any]) -> Any:
    video = document["InputInformation"]["KinesisVideo"]
    value = video.get("ProducerTimestamp")
    return value if _is_number(value) else None


def _sighting(index: int, record: dict[str, Any], face: dict[str, Any]) -> dict[str, Any]:
    """How a coalesced sighting is listed in the audit record of the match it joined."""
    best = face.get("Best")
    return {
        "recordIndex": index,
        "faceIndex": face["FaceIndex"],
        "sequenceNumber": record["Kinesis"].get("sequenceNumber"),
        "producerTimestamp": _producer_timestamp(record["Decoded"]),
        "arrivalTimestamp": record["Kinesis"]["approximateArrivalTimestamp"],
        "similarity": best["Similarity"] if best is not None else None,
    }


class _Coalescer:
    """One handled entry per key, in order of first sighting; later ones join it."""

    def __init__(self) -> None:
        self.handled: dict[tuple[str, str | None], dict[str, Any]] = {}
        self.coalesced = 0

    def add(
        self, key: tuple[str, str | None], index: int, record: dict[str, Any], face: Any
    ) -> None:
        similarity = face["Best"]["Similarity"] if "Best" in face else None
        first = self.handled.get(key)
        if first is None:
            self.handled[key] = {
                "RecordIndex": index,
                **face,
                "Camera": record["Camera"],
                "ArrivalSeconds": record["ArrivalSeconds"],
                "Kinesis": record["Kinesis"],
                "Decoded": record["Decoded"],
                "MaxSimilarity": similarity,
                "Coalesced": [],
            }
            return
        first["Coalesced"].append(_sighting(index, record, face))
        if similarity is not None and similarity > first["MaxSimilarity"]:
            first["MaxSimilarity"] = similarity
        self.coalesced += 1

    def entries(self) -> list[dict[str, Any]]:
        return list(self.handled.values())


def decode_batch(records: list[Any], *, unknown_face_alerts: bool) -> dict[str, Any]:
    """The batch as the workflow iterates it: coalesced matches, unknown faces, malformed."""
    matches, unknown = _Coalescer(), _Coalescer()
    malformed: list[dict[str, Any]] = []
    matched_faces = unmatched_faces = 0
    for index, record in enumerate(records):
        item = decode_record(record)
        if not item["Valid"]:
            malformed.append({"RecordIndex": index, "Record": record, "Problem": item["Problem"]})
            continue
        for face in item["Matched"]:
            matched_faces += 1
            identity = face["Best"]["Face"]["ExternalImageId"]
            matches.add((item["Camera"], identity), index, item, face)
        for face in item["Unmatched"]:
            unmatched_faces += 1
            if unknown_face_alerts:
                unknown.add((item["Camera"], None), index, item, face)
    handled_matches, handled_unknown = matches.entries(), unknown.entries()
    return {
        "Matches": handled_matches,
        "UnknownFaces": handled_unknown,
        "Malformed": malformed,
        "AnyMalformed": bool(malformed),
        "Summary": {
            "Records": len(records),
            "Malformed": len(malformed),
            "MatchedFaces": matched_faces,
            "Matches": len(handled_matches),
            "UnmatchedFaces": unmatched_faces,
            "UnknownFaces": len(handled_unknown),
            "Coalesced": matches.coalesced + unknown.coalesced,
        },
    }


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records = event.get("Records")
    if not isinstance(records, list):
        records = [] if records is None else [records]
    return decode_batch(records, unknown_face_alerts=event.get("UnknownFaceAlerts") is True)
