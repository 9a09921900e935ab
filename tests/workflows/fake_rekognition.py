"""Test adapter: a tiny, deterministic stand-in for Rekognition face collections.

moto implements no collections, so the workflow tests install this backend with
`facewatch.local.bridge.rekognition.install`. It does not look at pixels: a test "photo" is
a small JSON document ``{"fake-faces": N}`` stored in S3 (see `photo`), which says how many
faces the image holds. Anything else is not an image (InvalidImageFormatException), as a
text file would be for Rekognition. Responses follow boto3's shapes for the fields the
workflows read (FaceRecords, UnindexedFaces with Reasons, DeletedFaces).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import boto3

FACES_MARKER = "fake-faces"
MAX_S3_IMAGE = 15 * 1024 * 1024  # Rekognition's limit for an S3Object image


def photo(faces: int) -> bytes:
    """The bytes of a test photo holding ``faces`` faces."""
    return json.dumps({FACES_MARKER: faces}).encode()


class FakeRekognitionError(Exception):
    """Carries ``code`` like `facewatch.engine.errors.RekognitionError` does."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class StoredFace:
    face_id: str
    external_image_id: str
    image_id: str


@dataclass
class FakeRekognition:
    region: str = "us-east-1"
    collections: dict[str, dict[str, StoredFace]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def create_collection(self, CollectionId: str, **_: Any) -> dict[str, Any]:
        if CollectionId in self.collections:
            raise FakeRekognitionError("ResourceAlreadyExistsException", CollectionId)
        self.collections[CollectionId] = {}
        return {"StatusCode": 200, "FaceModelVersion": "7.0"}

    def _collection(self, collection_id: str) -> dict[str, StoredFace]:
        if collection_id not in self.collections:
            raise FakeRekognitionError(
                "ResourceNotFoundException", f"The collection id: {collection_id} does not exist"
            )
        return self.collections[collection_id]

    def _image_bytes(self, image: dict[str, Any]) -> bytes:
        if "Bytes" in image:
            return bytes(image["Bytes"])
        s3_object = image["S3Object"]
        s3 = boto3.client("s3", region_name=self.region)
        try:
            body = s3.get_object(Bucket=s3_object["Bucket"], Key=s3_object["Name"])["Body"]
        except s3.exceptions.NoSuchKey as error:
            raise FakeRekognitionError(
                "InvalidS3ObjectException", "Unable to get object metadata from S3."
            ) from error
        data = bytes(body.read())
        if len(data) > MAX_S3_IMAGE:
            raise FakeRekognitionError(
                "ImageTooLargeException", "Image size is too large: the limit is 15 MB"
            )
        return data

    @staticmethod
    def _face_count(data: bytes) -> int:
        try:
            document = json.loads(data)
            return int(document[FACES_MARKER])
        except (ValueError, TypeError, KeyError) as error:
            raise FakeRekognitionError(
                "InvalidImageFormatException", "Request has invalid image format"
            ) from error

    def index_faces(
        self,
        CollectionId: str,
        Image: dict[str, Any],
        ExternalImageId: str | None = None,
        MaxFaces: int | None = None,
        QualityFilter: str = "AUTO",
        DetectionAttributes: list[str] | None = None,
    ) -> dict[str, Any]:
        self.calls.append(
            (
                "index_faces",
                {
                    "ExternalImageId": ExternalImageId,
                    "Image": Image,
                    "MaxFaces": MaxFaces,
                    "QualityFilter": QualityFilter,
                },
            )
        )
        collection = self._collection(CollectionId)
        count = self._face_count(self._image_bytes(Image))
        image_id = str(uuid.uuid4())
        limit = count if MaxFaces is None else min(count, MaxFaces)
        records, unindexed = [], []
        for index in range(count):
            # Faces are listed largest first, so MaxFaces keeps the largest.
            detail = {
                "BoundingBox": {"Width": 0.5 / (index + 1), "Height": 0.5 / (index + 1)},
                "Confidence": 99.9,
            }
            if index < limit:
                face = StoredFace(str(uuid.uuid4()), ExternalImageId or "", image_id)
                collection[face.face_id] = face
                records.append(
                    {
                        "Face": {
                            "FaceId": face.face_id,
                            "ImageId": image_id,
                            "ExternalImageId": ExternalImageId,
                            **detail,
                        },
                        "FaceDetail": detail,
                    }
                )
            else:
                unindexed.append({"Reasons": ["EXCEEDS_MAX_FACES"], "FaceDetail": detail})
        return {"FaceRecords": records, "UnindexedFaces": unindexed, "FaceModelVersion": "7.0"}

    def delete_faces(self, CollectionId: str, FaceIds: list[str]) -> dict[str, Any]:
        self.calls.append(("delete_faces", {"FaceIds": list(FaceIds)}))
        collection = self._collection(CollectionId)
        deleted = [face_id for face_id in FaceIds if collection.pop(face_id, None) is not None]
        return {"DeletedFaces": deleted, "UnsuccessfulFaceDeletions": []}

    def list_faces(self, CollectionId: str, **_: Any) -> dict[str, Any]:
        return {
            "Faces": [
                {"FaceId": f.face_id, "ExternalImageId": f.external_image_id, "ImageId": f.image_id}
                for f in self._collection(CollectionId).values()
            ]
        }

    def face_ids(self, collection_id: str) -> set[str]:
        return set(self._collection(collection_id))
