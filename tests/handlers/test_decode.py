"""handlers/decode.py: every record comes back decoded or with the reason it is malformed."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from handlers.decode import lambda_handler

EVENT = json.loads(
    (Path(__file__).parent.parent / "events" / "stream_processor_record.json").read_text()
)


def _record(data: str, arrival: Any = 1_700_000_000.75) -> dict[str, Any]:
    return {"data": data, "approximateArrivalTimestamp": arrival, "sequenceNumber": "1"}


def _encode(document: Any) -> str:
    return base64.b64encode(json.dumps(document).encode()).decode()


def test_valid_record_is_decoded_with_camera_and_whole_seconds() -> None:
    [item] = lambda_handler({"Records": [_record(_encode(EVENT))]}, None)["records"]
    assert item["Valid"] is True
    assert item["Camera"] == "front-door"
    assert item["ArrivalSeconds"] == 1_700_000_000
    assert item["Decoded"] == EVENT
    assert "data" not in item["Kinesis"] and item["Kinesis"]["sequenceNumber"] == "1"


def test_faces_are_split_by_match_with_the_best_match_picked() -> None:
    # given a face matched twice (not best-first), and a face without matches
    def match(external_id: str, similarity: float) -> dict[str, Any]:
        return {"Similarity": similarity, "Face": {"ExternalImageId": external_id}}

    matched = {"DetectedFace": {"BoundingBox": {}}, "MatchedFaces": [match("b", 91.0)]}
    matched["MatchedFaces"].append(match("a", 98.5))
    unknown = {"DetectedFace": {"BoundingBox": {}}, "MatchedFaces": []}
    document = {**EVENT, "FaceSearchResponse": [unknown, matched]}
    # when it is decoded
    [item] = lambda_handler({"Records": [_record(_encode(document))]}, None)["records"]
    # then each face keeps its index; the matched one carries its highest-similarity match
    assert item["Matched"] == [{"FaceIndex": 1, "Face": matched, "Best": match("a", 98.5)}]
    assert item["Unmatched"] == [{"FaceIndex": 0, "Face": unknown}]


def test_each_problem_is_named() -> None:
    no_match_id = json.loads(json.dumps(EVENT))
    del no_match_id["FaceSearchResponse"][0]["MatchedFaces"][0]["Face"]["ExternalImageId"]
    bad_camera = json.loads(json.dumps(EVENT))
    bad_camera["InputInformation"]["KinesisVideo"]["StreamArn"] = (
        "arn:aws:kinesisvideo:r:1:stream/<x>/1"
    )
    records = [
        _record("!!!"),
        _record(base64.b64encode(b"[1, 2").decode()),
        _record(_encode(no_match_id)),
        _record(_encode(bad_camera)),
        _record(_encode(EVENT), arrival="yesterday"),
    ]
    problems = [item["Problem"] for item in lambda_handler({"Records": records}, None)["records"]]
    assert "not base64" in problems[0]
    assert "not UTF-8 JSON" in problems[1]
    assert "MatchedFaces[0].Face.ExternalImageId" in problems[2]
    assert "names no camera" in problems[3]
    assert "approximateArrivalTimestamp" in problems[4]


def test_malformed_record_is_returned_as_received() -> None:
    record = _record("%%%")
    [item] = lambda_handler({"Records": [record]}, None)["records"]
    assert item == {"Valid": False, "Record": record, "Problem": item["Problem"]}
