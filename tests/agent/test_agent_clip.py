"""The whole shared clip through the agent with the local face engine in-process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from facewatch.agent import AgentError, ListSink, run
from facewatch.schemas import record_errors
from facewatch.workflows.records import camera_from_stream_arn

from .conftest import CAMERA, LIN_ID, agent_config


def matched_ids(record: dict[str, Any]) -> list[str]:
    return [
        match["Face"].get("ExternalImageId", "")
        for face in record["FaceSearchResponse"]
        for match in face["MatchedFaces"]
    ]


def test_enrolled_person_is_matched_by_external_image_id(enrolled_run: dict[str, Any]) -> None:
    # given Lin-Manuel Miranda enrolled from his reference photo, the clip analysed
    records = enrolled_run["sink"].records
    # when
    ids = [i for record in records for i in matched_ids(record)]
    # then his matches are in the records, and nobody else is matched
    assert records, "the agent produced no records for the clip"
    assert ids.count(LIN_ID) >= 5
    assert set(ids) == {LIN_ID}


def test_matches_carry_similarity_at_or_above_the_threshold(enrolled_run: dict[str, Any]) -> None:
    # given
    records = enrolled_run["sink"].records
    # when
    similarities = [
        match["Similarity"]
        for record in records
        for face in record["FaceSearchResponse"]
        for match in face["MatchedFaces"]
    ]
    # then
    assert similarities and min(similarities) >= 80.0


def test_nobody_enrolled_gives_detected_faces_without_matches(
    empty_run: dict[str, Any],
) -> None:
    # given an empty collection, the clip analysed
    records = empty_run["sink"].records
    # when
    faces = [face for record in records for face in record["FaceSearchResponse"]]
    # then faces are reported, none matched
    assert len(faces) >= 10
    assert all(face["MatchedFaces"] == [] for face in faces)


@pytest.mark.parametrize("scenario", ["enrolled_run", "empty_run"])
def test_every_record_validates_against_the_schema(
    scenario: str, request: pytest.FixtureRequest
) -> None:
    # given
    records = request.getfixturevalue(scenario)["sink"].records
    # when
    errors = {i: record_errors(record) for i, record in enumerate(records)}
    # then
    assert {i: e for i, e in errors.items() if e} == {}


def test_one_record_per_analysed_frame_with_faces(enrolled_run: dict[str, Any]) -> None:
    # given
    records = enrolled_run["sink"].records
    counters = enrolled_run["summary"].counters
    # then records only for frames with faces, at most one per analysed frame
    assert all(record["FaceSearchResponse"] for record in records)
    assert len(records) == counters.records < counters.frames_analysed
    assert sum(len(r["FaceSearchResponse"]) for r in records) == counters.faces


def test_records_name_the_camera_and_increase_in_time(enrolled_run: dict[str, Any]) -> None:
    # given
    sink = enrolled_run["sink"]
    videos = [record["InputInformation"]["KinesisVideo"] for record in sink.records]
    # then
    assert {camera_from_stream_arn(v["StreamArn"]) for v in videos} == {CAMERA}
    assert set(sink.partition_keys) == {CAMERA}
    fragments = [int(v["FragmentNumber"]) for v in videos]
    assert fragments == sorted(set(fragments))
    producer = [v["ProducerTimestamp"] for v in videos]
    assert producer == sorted(producer)


def test_face_boxes_are_ratios_of_the_frame(enrolled_run: dict[str, Any]) -> None:
    # given
    boxes = [
        face["DetectedFace"]["BoundingBox"]
        for record in enrolled_run["sink"].records
        for face in record["FaceSearchResponse"]
    ]
    # then each box lies inside the frame and is a plausible face size for a 640x360 clip
    for box in boxes:
        assert box["Left"] >= 0 and box["Left"] + box["Width"] <= 1.0 + 1e-6
        assert box["Top"] >= 0 and box["Top"] + box["Height"] <= 1.0 + 1e-6
        assert 0.05 < box["Width"] < 0.5


def test_tracking_searches_far_less_than_once_per_face(enrolled_run: dict[str, Any]) -> None:
    # given 5 analysed frames per second and a 1 s search interval
    calls = enrolled_run["backend"].calls
    counters = enrolled_run["summary"].counters
    # then each call is counted, and a face in view is not searched on every frame
    assert len(calls) == counters.searches
    assert 0 < len(calls) <= counters.faces / 3
    assert all(call["FaceMatchThreshold"] == 80.0 for call in calls)


def test_missing_collection_is_a_clear_error(clip: Path, engine: Any) -> None:
    # given a collection that does not exist
    config = agent_config(clip, "nobody-created-this")
    # when / then
    with pytest.raises(AgentError, match="face collection 'nobody-created-this' not found") as e:
        run(config, engine, ListSink())
    assert "--collection" in e.value.hint


def test_unreadable_source_is_a_clear_error(tmp_path: Path, engine: Any) -> None:
    # given
    config = agent_config(tmp_path / "missing.mp4", "enrolled")
    # when / then
    with pytest.raises(AgentError, match="does not exist"):
        run(config, engine, ListSink())
