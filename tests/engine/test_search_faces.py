"""SearchFaces: search the collection with one of its own faces."""

from __future__ import annotations

import uuid

import numpy as np
import pytest

from facewatch.engine import FaceEngine
from facewatch.engine.errors import InvalidParameterException

from .conftest import ALEX, LIN, external_ids, png_bytes


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> FaceEngine:
    """Read-only in this module: one engine shared by its tests."""
    face_engine = FaceEngine(tmp_path_factory.mktemp("search-faces"))
    face_engine.create_collection(CollectionId="faces")
    return face_engine


@pytest.fixture(scope="module")
def three_faces(
    engine: FaceEngine, lin_rgb: np.ndarray, lin_bytes: bytes, alex_bytes: bytes
) -> dict[str, str]:
    """Lin twice (the photo and its mirror image) and Alex once; name -> FaceId."""
    ids = {}
    for key, image, person in (
        ("lin", lin_bytes, LIN),
        ("lin-mirrored", png_bytes(np.ascontiguousarray(lin_rgb[:, ::-1])), LIN),
        ("alex", alex_bytes, ALEX),
    ):
        response = engine.index_faces(
            CollectionId="faces", Image={"Bytes": image}, ExternalImageId=person
        )
        ids[key] = response["FaceRecords"][0]["Face"]["FaceId"]
    return ids


def test_search_faces_finds_the_same_person_but_not_the_face_itself(
    engine: FaceEngine, three_faces: dict[str, str]
) -> None:
    # When the collection is searched with Lin's first face
    response = engine.search_faces(CollectionId="faces", FaceId=three_faces["lin"])

    # Then only the other face of Lin matches
    assert response["SearchedFaceId"] == three_faces["lin"]
    assert [m["Face"]["FaceId"] for m in response["FaceMatches"]] == [three_faces["lin-mirrored"]]
    assert external_ids(response["FaceMatches"]) == [LIN]
    assert response["FaceMatches"][0]["Similarity"] >= 80


def test_search_faces_with_zero_threshold_sorts_by_similarity(
    engine: FaceEngine, three_faces: dict[str, str]
) -> None:
    response = engine.search_faces(
        CollectionId="faces", FaceId=three_faces["lin"], FaceMatchThreshold=0
    )
    similarities = [m["Similarity"] for m in response["FaceMatches"]]
    assert external_ids(response["FaceMatches"]) == [LIN, ALEX]
    assert similarities == sorted(similarities, reverse=True)


def test_search_faces_with_unknown_face_id_is_an_invalid_parameter(
    engine: FaceEngine, three_faces: dict[str, str]
) -> None:
    unknown = str(uuid.uuid4())
    with pytest.raises(InvalidParameterException, match=unknown):
        engine.search_faces(CollectionId="faces", FaceId=unknown)


def test_search_faces_with_malformed_face_id_is_an_invalid_parameter(
    engine: FaceEngine, three_faces: dict[str, str]
) -> None:
    with pytest.raises(InvalidParameterException):
        engine.search_faces(CollectionId="faces", FaceId="lin")
