"""SearchFacesByImage: the largest face of the image searched against the collection."""

from __future__ import annotations

import numpy as np
import pytest

from facewatch.engine import FaceEngine
from facewatch.engine.detection import detect_faces
from facewatch.engine.errors import InvalidParameterException, ResourceNotFoundException

from .conftest import ALEX, ENROLLED, LIN, external_ids, jpeg_bytes


def test_enrolled_person_matches_above_threshold(
    enrolled_engine: FaceEngine, lin_bytes: bytes
) -> None:
    # When Lin's photo is searched with the default threshold (80)
    response = enrolled_engine.search_faces_by_image(
        CollectionId=ENROLLED, Image={"Bytes": lin_bytes}
    )

    # Then Lin, and only Lin, matches
    assert external_ids(response["FaceMatches"]) == [LIN]
    assert response["FaceMatches"][0]["Similarity"] >= 80
    assert response["SearchedFaceConfidence"] > 90
    assert 0 < response["SearchedFaceBoundingBox"]["Width"] <= 1
    assert response["FaceModelVersion"]


def test_other_enrolled_person_matches_themself(
    enrolled_engine: FaceEngine, alex_bytes: bytes
) -> None:
    response = enrolled_engine.search_faces_by_image(
        CollectionId=ENROLLED, Image={"Bytes": alex_bytes}
    )
    assert external_ids(response["FaceMatches"]) == [ALEX]


def test_zero_threshold_returns_every_face_most_similar_first(
    enrolled_engine: FaceEngine, alex_bytes: bytes
) -> None:
    # When Alex is searched with FaceMatchThreshold 0
    response = enrolled_engine.search_faces_by_image(
        CollectionId=ENROLLED, Image={"Bytes": alex_bytes}, FaceMatchThreshold=0
    )

    # Then both faces come back, Alex first, Lin below the default threshold
    matches = response["FaceMatches"]
    assert external_ids(matches) == [ALEX, LIN]
    assert matches[0]["Similarity"] >= matches[1]["Similarity"]
    assert matches[1]["Similarity"] < 80


def test_max_faces_limits_the_matches(enrolled_engine: FaceEngine, alex_bytes: bytes) -> None:
    response = enrolled_engine.search_faces_by_image(
        CollectionId=ENROLLED, Image={"Bytes": alex_bytes}, FaceMatchThreshold=0, MaxFaces=1
    )
    assert external_ids(response["FaceMatches"]) == [ALEX]


def test_largest_face_is_the_searched_one(
    enrolled_engine: FaceEngine, two_people_png: bytes
) -> None:
    # Given a photo with Lin's larger face left of Alex's smaller one
    response = enrolled_engine.search_faces_by_image(
        CollectionId=ENROLLED, Image={"Bytes": two_people_png}
    )

    # Then the searched face is Lin's (left half) and it matches Lin
    assert response["SearchedFaceBoundingBox"]["Left"] < 0.5
    assert external_ids(response["FaceMatches"]) == [LIN]


def test_tight_face_crop_is_still_searched(
    enrolled_engine: FaceEngine, lin_rgb: np.ndarray
) -> None:
    # Given a crop of exactly the detected face box (no context around the face)
    box = detect_faces(lin_rgb)[0]
    crop = np.ascontiguousarray(lin_rgb[box.top : box.bottom, box.left : box.right])

    # When it is searched
    response = enrolled_engine.search_faces_by_image(
        CollectionId=ENROLLED, Image={"Bytes": jpeg_bytes(crop)}
    )

    # Then the face is found and matches Lin
    assert external_ids(response["FaceMatches"]) == [LIN]


def test_image_without_face_is_an_invalid_parameter(
    enrolled_engine: FaceEngine, blank_png: bytes
) -> None:
    with pytest.raises(InvalidParameterException, match="no faces in the image"):
        enrolled_engine.search_faces_by_image(CollectionId=ENROLLED, Image={"Bytes": blank_png})


def test_search_in_unknown_collection_is_not_found(
    enrolled_engine: FaceEngine, lin_bytes: bytes
) -> None:
    with pytest.raises(ResourceNotFoundException):
        enrolled_engine.search_faces_by_image(CollectionId="nobody", Image={"Bytes": lin_bytes})


def test_search_in_empty_collection_has_no_matches(engine: FaceEngine, lin_bytes: bytes) -> None:
    response = engine.search_faces_by_image(CollectionId="faces", Image={"Bytes": lin_bytes})
    assert response["FaceMatches"] == []


@pytest.mark.parametrize("threshold", [-1, 100.5, "80"])
def test_threshold_out_of_range_is_refused(
    enrolled_engine: FaceEngine, lin_bytes: bytes, threshold: object
) -> None:
    with pytest.raises(InvalidParameterException, match="FaceMatchThreshold"):
        enrolled_engine.search_faces_by_image(
            CollectionId=ENROLLED, Image={"Bytes": lin_bytes}, FaceMatchThreshold=threshold
        )
