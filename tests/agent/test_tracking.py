"""A face that stays in view is searched at most once per search interval per track."""

from __future__ import annotations

import pytest

from facewatch.agent import AgentConfig, ListSink, run
from facewatch.agent.tracker import IouTracker

from .fakes import Box, MatchingBackend, fixed_detector, synthetic_frames

ARN = "arn:aws:kinesisvideo:us-east-1:123456789012:stream/door/edge"


def config(**overrides: object) -> AgentConfig:
    return AgentConfig(
        camera="door", source="unused", collection_id="c", stream_arn=ARN, **overrides
    )


def test_still_face_is_searched_once_per_interval() -> None:
    # given one face in view for 3 s, sampled at 5 fps (15 frames), interval 1 s
    backend = MatchingBackend()
    sink = ListSink()
    # when
    run(
        config(search_interval=1.0),
        backend,
        sink,
        frames=synthetic_frames(3.0),
        detector=fixed_detector(Box(100, 100, 200, 200)),
    )
    # then searches happen at t = 0, 1 and 2 s only, while every frame gets a record
    assert len(backend.calls) == 3
    assert len(sink.records) == 15


def test_frames_between_searches_carry_the_tracks_last_match() -> None:
    # given
    backend = MatchingBackend(external_id="alice")
    sink = ListSink()
    # when
    run(
        config(search_interval=1.0),
        backend,
        sink,
        frames=synthetic_frames(2.0),
        detector=fixed_detector(Box(100, 100, 200, 200)),
    )
    # then every record (searched or not) names alice
    ids = [
        record["FaceSearchResponse"][0]["MatchedFaces"][0]["Face"]["ExternalImageId"]
        for record in sink.records
    ]
    assert ids == ["alice"] * 10


def test_each_track_has_its_own_search_budget() -> None:
    # given two separate faces in view for 2 s
    backend = MatchingBackend()
    # when
    run(
        config(search_interval=1.0),
        backend,
        ListSink(),
        frames=synthetic_frames(2.0),
        detector=fixed_detector(Box(50, 50, 150, 150), Box(400, 100, 500, 200)),
    )
    # then each face is searched at t = 0 and t = 1 s
    assert len(backend.calls) == 4


def test_zero_interval_searches_every_analysed_frame() -> None:
    # given
    backend = MatchingBackend()
    # when
    run(
        config(search_interval=0.0),
        backend,
        ListSink(),
        frames=synthetic_frames(1.0),
        detector=fixed_detector(Box(100, 100, 200, 200)),
    )
    # then
    assert len(backend.calls) == 5


def test_slightly_moved_face_keeps_its_track() -> None:
    # given
    tracker = IouTracker()
    first = tracker.update([Box(100, 100, 200, 200)], now=0.0)
    # when the face moves by 10 px in the next sample
    second = tracker.update([Box(110, 105, 210, 205)], now=0.2)
    # then
    assert second[0].track_id == first[0].track_id


def test_face_elsewhere_starts_a_new_track() -> None:
    # given
    tracker = IouTracker()
    first = tracker.update([Box(100, 100, 200, 200)], now=0.0)
    # when
    second = tracker.update([Box(400, 100, 500, 200)], now=0.2)
    # then
    assert second[0].track_id != first[0].track_id


def test_track_unseen_longer_than_max_age_is_forgotten() -> None:
    # given
    tracker = IouTracker(max_age=1.0)
    first = tracker.update([Box(100, 100, 200, 200)], now=0.0)
    # when the same box comes back after 2 s
    again = tracker.update([Box(100, 100, 200, 200)], now=2.0)
    # then it is a new track (and will be searched again)
    assert again[0].track_id != first[0].track_id


@pytest.mark.parametrize("code", ["InvalidParameterException", "InvalidImageFormatException"])
def test_crop_without_face_gives_face_without_matches(code: str) -> None:
    # given a backend that finds no face in the crop
    from .fakes import RaisingBackend

    backend = RaisingBackend(code)
    sink = ListSink()
    # when
    run(
        config(),
        backend,
        sink,
        frames=synthetic_frames(0.2),
        detector=fixed_detector(Box(100, 100, 200, 200)),
    )
    # then the face is reported, unmatched
    assert sink.records[0]["FaceSearchResponse"][0]["MatchedFaces"] == []
