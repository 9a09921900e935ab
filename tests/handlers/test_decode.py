"""handlers/decode.py (the Pipe's enrichment): every record decoded or named malformed;
sightings coalesced per batch; the entries compact (the oversized-batch tests are in
test_decode_budget.py)."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest

from facewatch.handlers import decode_records
from facewatch.handlers.decode import Settings, decode_batch
from facewatch.workflows import records as records_contract
from facewatch.workflows.records import SNAPSHOT_FIELD

EVENT = json.loads(
    (Path(__file__).parent.parent / "events" / "stream_processor_record.json").read_text()
)
_sequence = iter(range(1, 1_000))


def _record(data: str, arrival: Any = 1_700_000_000.75) -> dict[str, Any]:
    return {
        "data": data,
        "approximateArrivalTimestamp": arrival,
        "sequenceNumber": str(next(_sequence)),
    }


def _encode(document: Any) -> str:
    return base64.b64encode(json.dumps(document).encode()).decode()


def _match(external_id: str, similarity: float) -> dict[str, Any]:
    return {"Similarity": similarity, "Face": {"ExternalImageId": external_id}}


def _face(*matches: dict[str, Any]) -> dict[str, Any]:
    return {"DetectedFace": {"BoundingBox": {}}, "MatchedFaces": list(matches)}


def _document(camera: str, *faces: dict[str, Any], producer_ts: float = 1_700_000_000.0) -> Any:
    document = copy.deepcopy(EVENT)
    video = document["InputInformation"]["KinesisVideo"]
    video["StreamArn"] = f"arn:aws:kinesisvideo:us-east-1:123456789012:stream/{camera}/1"
    video["ProducerTimestamp"] = producer_ts
    document["FaceSearchResponse"] = list(faces)
    return document


def _seen(camera: str, external_id: str, similarity: float = 99.0, at: float = 0.0) -> Any:
    """A record of one face on `camera` matched to `external_id`, `at` seconds in."""
    document = _document(
        camera, _face(_match(external_id, similarity)), producer_ts=1_700_000_000.0 + at
    )
    return _record(_encode(document), arrival=1_700_000_000.5 + at)


def _decode(records: list[Any], unknown_face_alerts: bool = False) -> dict[str, Any]:
    settings = Settings(unknown_face_alerts, audit_bucket="audit", offload_prefix="oversized/")
    return decode_batch(records, settings)


def _compact(face: dict[str, Any]) -> dict[str, Any]:
    """A face as an entry holds it: box, confidence and each match's ids and similarity."""
    detected = face["DetectedFace"]
    return {
        "DetectedFace": {
            "BoundingBox": detected["BoundingBox"],
            "Confidence": detected.get("Confidence"),
        },
        "MatchedFaces": [
            {
                "Similarity": m["Similarity"],
                "Face": {
                    "FaceId": m["Face"].get("FaceId"),
                    "ExternalImageId": m["Face"]["ExternalImageId"],
                },
            }
            for m in face["MatchedFaces"]
        ],
    }


def test_valid_record_is_decoded_with_camera_and_whole_seconds() -> None:
    [item] = _decode([_record(_encode(EVENT))])["Matches"]
    assert item["Camera"] == "front-door"
    assert item["ArrivalSeconds"] == 1_700_000_000
    assert item["RecordIndex"] == 0
    assert item["Kinesis"]["approximateArrivalTimestamp"] == 1_700_000_000.75


def test_an_entry_keeps_the_frame_and_the_compact_face_not_the_document() -> None:
    # given a stream processor record (landmarks, pose, quality, a matched face's own box...)
    record = _record(_encode(EVENT))
    # when it is decoded
    [item] = _decode([record])["Matches"]
    # then the entry holds the frame's KinesisVideo fields and the face's box, confidence
    # and match ids, and nothing of the raw record's data
    assert item["Frame"] == EVENT["InputInformation"]["KinesisVideo"]
    assert item["Face"] == _compact(EVENT["FaceSearchResponse"][0])
    assert "Landmarks" not in json.dumps(item) and record["data"] not in json.dumps(item)
    assert set(item["Kinesis"]) == {
        "shardId",
        "sequenceNumber",
        "partitionKey",
        "approximateArrivalTimestamp",
    }


def test_faces_are_split_by_match_with_the_best_match_picked() -> None:
    # given a face matched twice (not best-first), and a face without matches
    matched = _face(_match("b", 91.0), _match("a", 98.5))
    unknown = _face()
    record = _record(_encode(_document("front-door", unknown, matched)))
    # when it is decoded with unknown-face alerts on
    batch = _decode([record], unknown_face_alerts=True)
    # then each face keeps its index; the matched one carries its highest-similarity match
    [handled] = batch["Matches"]
    assert (handled["FaceIndex"], handled["Face"]) == (1, _compact(matched))
    assert handled["Best"] == {"Similarity": 98.5, "Face": {"FaceId": None, "ExternalImageId": "a"}}
    assert handled["MaxSimilarity"] == 98.5 and handled["Coalesced"] == []
    [unknown_item] = batch["UnknownFaces"]
    assert (unknown_item["FaceIndex"], unknown_item["Face"]) == (0, _compact(unknown))
    assert "Best" not in unknown_item and unknown_item["MaxSimilarity"] is None


def test_unknown_faces_are_not_listed_when_alerts_are_off() -> None:
    record = _record(_encode(_document("front-door", _face())))
    batch = _decode([record], unknown_face_alerts=False)
    assert batch["UnknownFaces"] == [] and batch["Matches"] == []
    assert batch["Summary"]["UnmatchedFaces"] == 1


def test_same_person_same_camera_is_handled_once_with_the_others_coalesced() -> None:
    # given five records of one face identity on one camera, the third the most similar
    records = [
        _seen("front-door", "lin", similarity, at)
        for at, similarity in enumerate([97.0, 98.0, 99.5, 96.0, 98.2])
    ]
    # when the batch is decoded
    batch = _decode(records)
    # then the first (earliest) sighting is the handled match, the four others join it in
    # order with their sequence number, timestamps and similarity; the best similarity is kept
    [handled] = batch["Matches"]
    assert handled["RecordIndex"] == 0 and handled["Best"]["Similarity"] == 97.0
    assert handled["ArrivalSeconds"] == 1_700_000_000
    assert handled["MaxSimilarity"] == 99.5
    assert handled["Coalesced"] == [
        {
            "recordIndex": i,
            "faceIndex": 0,
            "sequenceNumber": records[i]["sequenceNumber"],
            "producerTimestamp": 1_700_000_000.0 + i,
            "arrivalTimestamp": 1_700_000_000.5 + i,
            "similarity": [97.0, 98.0, 99.5, 96.0, 98.2][i],
        }
        for i in range(1, 5)
    ]
    assert batch["Summary"] == {
        "Records": 5,
        "Malformed": 0,
        "Oversized": 0,
        "MatchedFaces": 5,
        "Matches": 1,
        "UnmatchedFaces": 0,
        "UnknownFaces": 0,
        "Coalesced": 4,
    }


def test_same_person_on_two_cameras_is_not_coalesced() -> None:
    batch = _decode([_seen("front-door", "lin"), _seen("stage-left", "lin", at=1)])
    assert [m["Camera"] for m in batch["Matches"]] == ["front-door", "stage-left"]
    assert all(m["Coalesced"] == [] for m in batch["Matches"])


def test_two_people_on_one_camera_are_not_coalesced() -> None:
    # given Lin, then Alex, then Lin again on one camera
    records = [_seen("front-door", "lin"), _seen("front-door", "alex", at=1)]
    records.append(_seen("front-door", "lin", at=2))
    # when decoded
    matches = _decode(records)["Matches"]
    # then one handled match each, in order of first sighting; Lin's second sighting joins his
    assert [m["Best"]["Face"]["ExternalImageId"] for m in matches] == ["lin", "alex"]
    assert [c["recordIndex"] for c in matches[0]["Coalesced"]] == [2]
    assert matches[1]["Coalesced"] == []


def test_two_faces_of_one_identity_in_one_record_are_coalesced() -> None:
    record = _record(
        _encode(_document("front-door", _face(_match("lin", 95.0)), _face(_match("lin", 97.0))))
    )
    [handled] = _decode([record])["Matches"]
    assert handled["FaceIndex"] == 0
    assert [(c["recordIndex"], c["faceIndex"]) for c in handled["Coalesced"]] == [(0, 1)]


def test_unknown_faces_coalesce_per_camera() -> None:
    # given unknown faces: two in one record and one more later on front-door, one on stage-left
    records = [
        _record(_encode(_document("front-door", _face(), _face()))),
        _record(_encode(_document("stage-left", _face()))),
        _record(_encode(_document("front-door", _face()))),
    ]
    # when decoded with unknown-face alerts on
    unknown = _decode(records, unknown_face_alerts=True)["UnknownFaces"]
    # then one handled unknown face per camera, the others coalesced into it
    assert [u["Camera"] for u in unknown] == ["front-door", "stage-left"]
    front, stage = unknown
    assert [(c["recordIndex"], c["faceIndex"]) for c in front["Coalesced"]] == [(0, 1), (2, 0)]
    assert all(c["similarity"] is None for c in front["Coalesced"])
    assert stage["Coalesced"] == []


def test_producer_timestamp_missing_is_null_and_arrival_still_listed() -> None:
    document = _document("front-door", _face(_match("lin", 99.0)))
    del document["InputInformation"]["KinesisVideo"]["ProducerTimestamp"]
    records = [_seen("front-door", "lin"), _record(_encode(document), arrival=1_700_000_003.0)]
    [handled] = _decode(records)["Matches"]
    [joined] = handled["Coalesced"]
    assert joined["producerTimestamp"] is None and joined["arrivalTimestamp"] == 1_700_000_003.0


def test_malformed_record_keeps_its_batch_index_and_spares_the_others() -> None:
    # given a malformed record between sightings of Lin and Alex
    bad = _record("%%%")
    # when the batch is decoded
    batch = _decode([_seen("front-door", "lin"), bad, _seen("front-door", "alex", at=2)])
    # then the record comes back as received, with its position and problem; the others proceed
    assert batch["AnyMalformed"] is True and batch["AnyRejected"] is True
    [malformed] = batch["Rejected"]
    assert (malformed["RecordIndex"], malformed["Record"]) == (1, bad)
    assert (malformed["Outcome"], malformed["Kind"]) == ("malformed", "malformed-record")
    assert malformed["Offloaded"] is None
    assert malformed["Problem"].startswith("'data' is not base64")
    assert [m["RecordIndex"] for m in batch["Matches"]] == [0, 2]


def test_batch_without_malformed_records_says_so() -> None:
    batch = _decode([_seen("front-door", "lin")])
    assert batch["AnyMalformed"] is False and batch["AnyRejected"] is False
    assert batch["Rejected"] == []


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
    problems = [item["Problem"] for item in _decode(records)["Rejected"]]
    assert "not base64" in problems[0]
    assert "not UTF-8 JSON" in problems[1]
    assert "MatchedFaces[0].Face.ExternalImageId" in problems[2]
    assert "names no camera" in problems[3]
    assert "approximateArrivalTimestamp" in problems[4]


@pytest.mark.parametrize(
    ("exact", "text"),
    [
        (80.95174655705812, "similarity 81.0%"),
        (80.95, "similarity 81.0%"),  # half up, though the float is 80.9499999...
        (80.94999, "similarity 80.9%"),
        (97.312, "similarity 97.3%"),
        (100.0, "similarity 100.0%"),
    ],
)
def test_similarity_text_has_one_decimal_rounded_half_up(exact: float, text: str) -> None:
    [item] = _decode([_seen("front-door", "lin", similarity=exact)])["Matches"]
    assert item["SimilarityText"] == text
    assert item["SimilarityRounded"] == float(text.split()[1].rstrip("%"))
    assert item["Best"]["Similarity"] == item["MaxSimilarity"] == exact


def test_edge_snapshot_keys_of_the_face_go_with_its_frame() -> None:
    # given an edge record naming the agent's frame and one crop per face
    document = _document("gate", _face(), _face(_match("lin", 99.0)))
    document[SNAPSHOT_FIELD] = {
        "Bucket": "audit",
        "FrameKey": "snapshots/gate/1/frame.jpg",
        "FaceKeys": ["snapshots/gate/1/face-0.jpg", "snapshots/gate/1/face-1.jpg"],
    }
    # when decoded
    [item] = _decode([_record(_encode(document))])["Matches"]
    # then the matched face (index 1) names its own crop
    assert item["Frame"]["Snapshot"] == {
        "Bucket": "audit",
        "FrameKey": "snapshots/gate/1/frame.jpg",
        "FaceKey": "snapshots/gate/1/face-1.jpg",
    }


def test_the_handler_reads_the_snapshot_field_the_record_contract_names() -> None:
    assert decode_records.SNAPSHOT_FIELD == records_contract.SNAPSHOT_FIELD
