"""Images given as S3Object are read with the engine's S3 client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from facewatch.engine import FaceEngine
from facewatch.engine.errors import InvalidS3ObjectException

from .conftest import LIN


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="faces")
        yield client


def test_index_faces_reads_the_s3_object(tmp_path: Path, s3: Any, lin_bytes: bytes) -> None:
    # Given Lin's photo in a bucket and an engine with that S3 client
    s3.put_object(Bucket="faces", Key="people/lin.png", Body=lin_bytes)
    engine = FaceEngine(tmp_path, s3_client=s3)
    engine.create_collection(CollectionId="faces")

    # When the object is indexed
    response = engine.index_faces(
        CollectionId="faces",
        Image={"S3Object": {"Bucket": "faces", "Name": "people/lin.png"}},
        ExternalImageId=LIN,
    )

    # Then its face is recorded
    assert [r["Face"]["ExternalImageId"] for r in response["FaceRecords"]] == [LIN]


def test_missing_s3_object_is_an_invalid_s3_object(tmp_path: Path, s3: Any) -> None:
    # Given an engine with an S3 client and a bucket without the key
    engine = FaceEngine(tmp_path, s3_client=s3)
    engine.create_collection(CollectionId="faces")

    # When a missing object is indexed
    with pytest.raises(InvalidS3ObjectException) as raised:
        engine.index_faces(
            CollectionId="faces", Image={"S3Object": {"Bucket": "faces", "Name": "nope.png"}}
        )

    # Then the error names the object
    assert "s3://faces/nope.png" in raised.value.message


def test_s3_object_without_s3_client_is_an_invalid_s3_object(tmp_path: Path) -> None:
    engine = FaceEngine(tmp_path)
    engine.create_collection(CollectionId="faces")
    with pytest.raises(InvalidS3ObjectException, match="no S3 client"):
        engine.index_faces(
            CollectionId="faces", Image={"S3Object": {"Bucket": "faces", "Name": "a.png"}}
        )
