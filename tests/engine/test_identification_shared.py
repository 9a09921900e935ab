"""Identification on the shared photos and clip (skipped when the shared data is absent).

Lin-Manuel Miranda is enrolled from his reference photo (the shared one, else the bundled
copy); a frame of the Hamilton clip
where he sings must match him above the default threshold, and strangers must not.
Frames are from seconds where his face is about 90 pixels wide (found by looking at the
clip): 5.0 s and 6.0 s.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from shared_data import reference_photo, shared_path

from facewatch.engine import FaceEngine

from .conftest import LIN, external_ids, jpeg_bytes


@pytest.fixture(scope="module")
def lin_enrolled(tmp_path_factory: pytest.TempPathFactory) -> FaceEngine:
    reference = reference_photo("lin-manuel-miranda")
    engine = FaceEngine(tmp_path_factory.mktemp("shared"))
    engine.create_collection(CollectionId="cast")
    response = engine.index_faces(
        CollectionId="cast", Image={"Bytes": reference.read_bytes()}, ExternalImageId=LIN
    )
    assert len(response["FaceRecords"]) == 1
    return engine


@pytest.mark.parametrize("seconds", [5.0, 6.0])
def test_clip_frame_with_lin_matches_him_above_80(
    lin_enrolled: FaceEngine, clip_frame: Callable[[float], np.ndarray], seconds: float
) -> None:
    # Given a whole frame of the clip where Lin sings
    frame = clip_frame(seconds)

    # When it is searched against the collection holding Lin's reference photo
    response = lin_enrolled.search_faces_by_image(
        CollectionId="cast", Image={"Bytes": jpeg_bytes(frame)}
    )

    # Then Lin matches above the default threshold
    assert external_ids(response["FaceMatches"]) == [LIN]
    assert response["FaceMatches"][0]["Similarity"] > 80


@pytest.mark.parametrize(
    "photo",
    [("faces", "reference", "alex-lacamoire.png"), ("faces", "reference", "obama-480p.jpg")],
)
def test_stranger_does_not_match_lin(lin_enrolled: FaceEngine, photo: tuple[str, ...]) -> None:
    # Given a photo of someone else
    path: Path = shared_path(*photo)

    # When it is searched
    response = lin_enrolled.search_faces_by_image(
        CollectionId="cast", Image={"Bytes": path.read_bytes()}
    )

    # Then nobody matches
    assert response["FaceMatches"] == []


def test_enrolled_person_matches_his_test_photo(tmp_path: Path) -> None:
    # Given Obama enrolled from the training photos
    engine = FaceEngine(tmp_path)
    engine.create_collection(CollectionId="people")
    for photo in sorted(shared_path("faces", "train", "obama").iterdir()):
        engine.index_faces(
            CollectionId="people", Image={"Bytes": photo.read_bytes()}, ExternalImageId="obama"
        )

    # When his own test photo is searched
    response = engine.search_faces_by_image(
        CollectionId="people",
        Image={"Bytes": shared_path("faces", "test", "obama1.jpg").read_bytes()},
    )

    # Then both of his enrolled faces match
    assert external_ids(response["FaceMatches"]) == ["obama", "obama"]
