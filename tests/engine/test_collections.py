"""CreateCollection, DescribeCollection, ListCollections, DeleteCollection."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from facewatch.engine import FaceEngine
from facewatch.engine.errors import (
    InvalidPaginationTokenException,
    InvalidParameterException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
)


def test_create_collection_returns_arn_and_status(tmp_path: Path) -> None:
    # Given an engine for region eu-west-1 and account 111122223333
    engine = FaceEngine(tmp_path, region="eu-west-1", account_id="111122223333")

    # When a collection is created
    response = engine.create_collection(CollectionId="staff")

    # Then the response has Rekognition's shape (its collection ARNs lack "arn:")
    assert response["StatusCode"] == 200
    assert response["CollectionArn"] == "aws:rekognition:eu-west-1:111122223333:collection/staff"
    assert response["FaceModelVersion"]


def test_create_existing_collection_is_refused(engine: FaceEngine) -> None:
    # Given the collection "faces" exists
    # When it is created again
    with pytest.raises(ResourceAlreadyExistsException) as raised:
        engine.create_collection(CollectionId="faces")

    # Then the error carries Rekognition's error name
    assert raised.value.code == "ResourceAlreadyExistsException"


@pytest.mark.parametrize("bad_id", ["", "a/b", "..", "with space", "x" * 256])
def test_invalid_collection_id_is_refused(tmp_path: Path, bad_id: str) -> None:
    # Given an engine
    engine = FaceEngine(tmp_path)

    # When a collection id outside [a-zA-Z0-9_.\-]{1,255} is used
    with pytest.raises(InvalidParameterException):
        engine.create_collection(CollectionId=bad_id)

    # Then no collection was created
    assert engine.list_collections()["CollectionIds"] == []


def test_unsupported_parameter_is_refused_by_name(engine: FaceEngine) -> None:
    # When a parameter the engine does not implement is passed
    with pytest.raises(InvalidParameterException, match="Tags"):
        engine.create_collection(CollectionId="other", Tags={"team": "a"})


def test_describe_collection_counts_faces(engine: FaceEngine, lin_bytes: bytes) -> None:
    # Given one face indexed in "faces"
    engine.index_faces(CollectionId="faces", Image={"Bytes": lin_bytes})

    # When the collection is described
    response = engine.describe_collection(CollectionId="faces")

    # Then it reports the face, its ARN and an aware creation time
    assert response["FaceCount"] == 1
    assert response["CollectionARN"].endswith(":collection/faces")
    assert isinstance(response["CreationTimestamp"], datetime)
    assert response["CreationTimestamp"].tzinfo is not None


def test_describe_unknown_collection_is_not_found(tmp_path: Path) -> None:
    # Given an engine without collections
    engine = FaceEngine(tmp_path)

    # When an unknown collection is described
    with pytest.raises(ResourceNotFoundException) as raised:
        engine.describe_collection(CollectionId="nobody")

    # Then the error names the collection
    assert raised.value.code == "ResourceNotFoundException"
    assert "nobody" in raised.value.message


def test_list_collections_pages_in_id_order(tmp_path: Path) -> None:
    # Given three collections
    engine = FaceEngine(tmp_path)
    for name in ("c", "a", "b"):
        engine.create_collection(CollectionId=name)

    # When they are listed two at a time
    first = engine.list_collections(MaxResults=2)
    second = engine.list_collections(MaxResults=2, NextToken=first["NextToken"])

    # Then the pages hold every id once, in order, and the last page has no token
    assert first["CollectionIds"] == ["a", "b"]
    assert second["CollectionIds"] == ["c"]
    assert "NextToken" not in second
    assert len(first["FaceModelVersions"]) == 2


def test_list_collections_refuses_a_foreign_token(engine: FaceEngine) -> None:
    with pytest.raises(InvalidPaginationTokenException):
        engine.list_collections(NextToken="not-a-token")


def test_delete_collection_removes_it(engine: FaceEngine) -> None:
    # When the collection is deleted
    response = engine.delete_collection(CollectionId="faces")

    # Then it is gone
    assert response["StatusCode"] == 200
    assert engine.list_collections()["CollectionIds"] == []
    with pytest.raises(ResourceNotFoundException):
        engine.describe_collection(CollectionId="faces")


def test_delete_unknown_collection_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(ResourceNotFoundException):
        FaceEngine(tmp_path).delete_collection(CollectionId="nobody")
