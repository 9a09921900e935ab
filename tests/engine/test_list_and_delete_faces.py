"""ListFaces (pagination, FaceIds filter) and DeleteFaces."""

from __future__ import annotations

import uuid

import pytest

from facewatch.engine import FaceEngine
from facewatch.engine.errors import InvalidPaginationTokenException, InvalidParameterException

from .conftest import LIN


@pytest.fixture
def three_face_ids(engine: FaceEngine, two_people_png: bytes, alex_bytes: bytes) -> list[str]:
    ids = []
    for image in (two_people_png, alex_bytes):
        response = engine.index_faces(CollectionId="faces", Image={"Bytes": image})
        ids += [record["Face"]["FaceId"] for record in response["FaceRecords"]]
    assert len(ids) == 3
    return ids


def test_list_faces_pages_through_every_face(engine: FaceEngine, three_face_ids: list[str]) -> None:
    # When the faces are listed two at a time
    first = engine.list_faces(CollectionId="faces", MaxResults=2)
    second = engine.list_faces(CollectionId="faces", MaxResults=2, NextToken=first["NextToken"])

    # Then every face comes once, in index order, and the last page has no token
    listed = [face["FaceId"] for face in first["Faces"] + second["Faces"]]
    assert listed == three_face_ids
    assert len(first["Faces"]) == 2
    assert "NextToken" not in second
    assert first["FaceModelVersion"]


def test_list_faces_filters_by_face_ids(engine: FaceEngine, three_face_ids: list[str]) -> None:
    response = engine.list_faces(CollectionId="faces", FaceIds=[three_face_ids[2]])
    assert [face["FaceId"] for face in response["Faces"]] == [three_face_ids[2]]


def test_list_faces_refuses_a_token_of_another_collection(
    engine: FaceEngine, three_face_ids: list[str]
) -> None:
    # Given a token of collection "faces" and another collection
    token = engine.list_faces(CollectionId="faces", MaxResults=1)["NextToken"]
    engine.create_collection(CollectionId="other")

    # When the token is used on the other collection
    with pytest.raises(InvalidPaginationTokenException):
        engine.list_faces(CollectionId="other", NextToken=token)


def test_delete_faces_reports_deleted_and_missing_faces(
    engine: FaceEngine, three_face_ids: list[str]
) -> None:
    # When one existing face and one unknown face are deleted
    missing = str(uuid.uuid4())
    response = engine.delete_faces(CollectionId="faces", FaceIds=[three_face_ids[0], missing])

    # Then the existing one is deleted and the other reported as not found
    assert response["DeletedFaces"] == [three_face_ids[0]]
    assert response["UnsuccessfulFaceDeletions"] == [
        {"FaceId": missing, "Reasons": ["FACE_NOT_FOUND"]}
    ]
    remaining = [face["FaceId"] for face in engine.list_faces(CollectionId="faces")["Faces"]]
    assert remaining == three_face_ids[1:]


def test_deleted_face_no_longer_matches(engine: FaceEngine, lin_bytes: bytes) -> None:
    # Given Lin indexed, then deleted
    response = engine.index_faces(
        CollectionId="faces", Image={"Bytes": lin_bytes}, ExternalImageId=LIN
    )
    engine.delete_faces(
        CollectionId="faces", FaceIds=[response["FaceRecords"][0]["Face"]["FaceId"]]
    )

    # When Lin's photo is searched
    result = engine.search_faces_by_image(CollectionId="faces", Image={"Bytes": lin_bytes})

    # Then nothing matches
    assert result["FaceMatches"] == []


def test_delete_faces_needs_face_ids(engine: FaceEngine) -> None:
    with pytest.raises(InvalidParameterException):
        engine.delete_faces(CollectionId="faces", FaceIds=[])
