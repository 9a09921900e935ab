"""The Rekognition adapter (facewatch.local.bridge.rekognition) used by the indexing tests."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from fake_rekognition import FakeRekognition, photo
from moto import mock_aws

from facewatch.local.bridge import rekognition as bridge

REGION = "us-east-1"


@pytest.fixture
def fake() -> Iterator[FakeRekognition]:
    with mock_aws():
        backend = FakeRekognition(region=REGION)
        with bridge.install(backend):
            yield backend


def test_boto3_calls_are_answered_by_the_backend(fake: FakeRekognition) -> None:
    client = boto3.client("rekognition", region_name=REGION)
    client.create_collection(CollectionId="c")
    indexed = client.index_faces(CollectionId="c", Image={"Bytes": photo(2)}, MaxFaces=1)
    assert len(indexed["FaceRecords"]) == 1
    assert indexed["UnindexedFaces"][0]["Reasons"] == ["EXCEEDS_MAX_FACES"]
    assert fake.face_ids("c") == {indexed["FaceRecords"][0]["Face"]["FaceId"]}


def test_blobs_reach_the_backend_as_bytes(fake: FakeRekognition) -> None:
    client = boto3.client("rekognition", region_name=REGION)
    client.create_collection(CollectionId="c")
    client.index_faces(CollectionId="c", Image={"Bytes": photo(1)})
    assert fake.calls[-1][1]["Image"] == {"Bytes": photo(1)}


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (
            lambda c: c.index_faces(CollectionId="missing", Image={"Bytes": photo(1)}),
            "ResourceNotFoundException",
        ),
        (
            lambda c: c.index_faces(CollectionId="c", Image={"Bytes": b"GIF89a"}),
            "InvalidImageFormatException",
        ),
    ],
)
def test_backend_errors_become_rekognition_errors(
    fake: FakeRekognition, call: Any, code: str
) -> None:
    client = boto3.client("rekognition", region_name=REGION)
    client.create_collection(CollectionId="c")
    with pytest.raises(ClientError) as raised:
        call(client)
    assert raised.value.response["Error"]["Code"] == code
    assert isinstance(raised.value, getattr(client.exceptions, code))


def test_uninstall_gives_rekognition_back_to_moto() -> None:
    with mock_aws():
        backend = FakeRekognition(region=REGION)
        installation = bridge.install(backend)
        client = boto3.client("rekognition", region_name=REGION)
        client.create_collection(CollectionId="c")
        installation()
        assert "c" in backend.collections
        calls_before = len(backend.calls)
        try:
            client.index_faces(CollectionId="c", Image={"Bytes": photo(1)})
        except ClientError:
            pass  # moto's own Rekognition mock has no collections
        except NotImplementedError:
            pass
        assert len(backend.calls) == calls_before


def test_wsgi_app_answers_rekognition_requests() -> None:
    backend = FakeRekognition(region=REGION)
    backend.create_collection(CollectionId="c")
    app = bridge.wsgi_app(backend)
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    def request(target: str, document: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(document).encode()
        environ = {
            "HTTP_X_AMZ_TARGET": target,
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
        }
        return json.loads(b"".join(app(environ, start_response)))

    answer = request("RekognitionService.ListFaces", {"CollectionId": "c"})
    assert seen["status"].startswith("200") and answer == {"Faces": []}
    error = request("RekognitionService.ListFaces", {"CollectionId": "nope"})
    assert seen["status"].startswith("400") and error["__type"] == "ResourceNotFoundException"
