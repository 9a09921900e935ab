"""``FaceEngine``: the Rekognition face-collection API, answered on this machine.

Methods are named like boto3's Rekognition client (snake_case), take the same keyword
arguments and return the same response shapes (without ``ResponseMetadata``; timestamps
are timezone-aware ``datetime`` objects, as boto3 parses them). Errors are
``facewatch.engine.errors`` exceptions whose ``code`` is Rekognition's error name.

Faces are found with dlib's HOG detector and compared with dlib's ResNet descriptors; the
similarity scale is documented in ``facewatch.engine.embedding``.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import numpy as np

from facewatch.engine import params
from facewatch.engine.collection_store import Collection, CollectionStore
from facewatch.engine.detection import FaceBox
from facewatch.engine.embedding import (
    MODEL_VERSION,
    face_descriptor,
    face_distances,
    face_landmarks,
    similarity_from_distance,
)
from facewatch.engine.errors import InvalidParameterException
from facewatch.engine.faces import find_faces, quality_reasons
from facewatch.engine.images import load_image

#: IndexFaces never indexes more faces of one image than this (as Rekognition).
MAX_FACES_PER_IMAGE = 100


class FaceEngine:
    """Face collections stored under ``root``; S3 images are read with ``s3_client``."""

    def __init__(
        self,
        root: Path,
        s3_client: Any | None = None,
        *,
        region: str = "us-east-1",
        account_id: str = "123456789012",
    ) -> None:
        self.store = CollectionStore(Path(root))
        self.s3_client = s3_client
        self.region = region
        self.account_id = account_id

    # -- collections -----------------------------------------------------------------

    def create_collection(
        self, *, CollectionId: str | None = None, **unsupported: Any
    ) -> dict[str, Any]:
        params.reject_unsupported("CreateCollection", unsupported)
        collection_id = params.collection_id(CollectionId)
        # Rekognition's collection ARNs really have no "arn:" prefix.
        arn = f"aws:rekognition:{self.region}:{self.account_id}:collection/{collection_id}"
        self.store.create(collection_id, arn, MODEL_VERSION)
        return {"StatusCode": 200, "CollectionArn": arn, "FaceModelVersion": MODEL_VERSION}

    def delete_collection(
        self, *, CollectionId: str | None = None, **unsupported: Any
    ) -> dict[str, Any]:
        params.reject_unsupported("DeleteCollection", unsupported)
        self.store.delete(params.collection_id(CollectionId))
        return {"StatusCode": 200}

    def describe_collection(
        self, *, CollectionId: str | None = None, **unsupported: Any
    ) -> dict[str, Any]:
        params.reject_unsupported("DescribeCollection", unsupported)
        collection = self.store.load(params.collection_id(CollectionId))
        return {
            "FaceCount": len(collection.faces),
            "UserCount": 0,
            "FaceModelVersion": collection.face_model_version,
            "CollectionARN": collection.arn,
            "CreationTimestamp": collection.created,
        }

    def list_collections(
        self, *, NextToken: str | None = None, MaxResults: int | None = None, **unsupported: Any
    ) -> dict[str, Any]:
        params.reject_unsupported("ListCollections", unsupported)
        limit = params.integer(MaxResults, "MaxResults", low=0, high=4096, default=1000)
        start = params.decode_token(NextToken, "collections")
        ids = self.store.list_ids()
        page = ids[start : start + limit]
        response: dict[str, Any] = {
            "CollectionIds": page,
            "FaceModelVersions": [MODEL_VERSION] * len(page),
        }
        if start + limit < len(ids):
            response["NextToken"] = params.encode_token("collections", start + limit)
        return response

    # -- indexing ----------------------------------------------------------------------

    def index_faces(
        self,
        *,
        CollectionId: str | None = None,
        Image: dict[str, Any] | None = None,
        ExternalImageId: str | None = None,
        DetectionAttributes: list[str] | None = None,
        MaxFaces: int | None = None,
        QualityFilter: str | None = None,
        **unsupported: Any,
    ) -> dict[str, Any]:
        """Index faces largest first; the others come back in ``UnindexedFaces``."""
        params.reject_unsupported("IndexFaces", unsupported)
        collection_id = params.collection_id(CollectionId)
        external_image_id = params.external_image_id(ExternalImageId)
        max_faces = params.integer(
            MaxFaces, "MaxFaces", low=1, high=2**31 - 1, default=MAX_FACES_PER_IMAGE
        )
        quality = params.quality_filter(QualityFilter, default="AUTO")
        _check_detection_attributes(DetectionAttributes)
        self.store.load(collection_id)  # unknown collection: fail before the image work
        rgb = load_image(Image, self.s3_client)
        height, width = rgb.shape[:2]

        image_id = str(uuid.uuid4())
        records: list[dict[str, Any]] = []
        descriptors: list[np.ndarray] = []
        unindexed: list[dict[str, Any]] = []
        for face in find_faces(rgb):  # largest first
            detail = _face_detail(rgb, face)
            reasons = quality_reasons(face, quality)
            if not reasons and len(records) >= min(max_faces, MAX_FACES_PER_IMAGE):
                reasons = ["EXCEEDS_MAX_FACES"]
            if reasons:
                unindexed.append({"Reasons": reasons, "FaceDetail": detail})
                continue
            record_face: dict[str, Any] = {
                "FaceId": str(uuid.uuid4()),
                "BoundingBox": face.bounding_box(width, height),
                "ImageId": image_id,
                "Confidence": face.confidence,
                "IndexFacesModelVersion": MODEL_VERSION,
            }
            if external_image_id is not None:
                record_face["ExternalImageId"] = external_image_id
            records.append({"Face": record_face, "FaceDetail": detail})
            descriptors.append(face_descriptor(rgb, face))

        if records:
            new_faces = [record["Face"] for record in records]

            def add(current: Collection) -> tuple[list[dict[str, Any]], np.ndarray]:
                return (
                    [*current.faces, *new_faces],
                    np.vstack([current.embeddings, np.asarray(descriptors)]),
                )

            self.store.update(collection_id, add)
        return {
            "FaceRecords": records,
            "FaceModelVersion": MODEL_VERSION,
            "UnindexedFaces": unindexed,
        }

    # -- searching ---------------------------------------------------------------------

    def search_faces_by_image(
        self,
        *,
        CollectionId: str | None = None,
        Image: dict[str, Any] | None = None,
        MaxFaces: int | None = None,
        FaceMatchThreshold: float | None = None,
        QualityFilter: str | None = None,
        **unsupported: Any,
    ) -> dict[str, Any]:
        """Search the collection with the largest face of the image."""
        params.reject_unsupported("SearchFacesByImage", unsupported)
        collection_id = params.collection_id(CollectionId)
        max_faces = params.integer(MaxFaces, "MaxFaces", low=1, high=4096, default=4096)
        minimum = params.threshold(FaceMatchThreshold)
        quality = params.quality_filter(QualityFilter, default="NONE")
        collection = self.store.load(collection_id)
        rgb = load_image(Image, self.s3_client)
        height, width = rgb.shape[:2]

        faces = find_faces(rgb)
        if not faces:
            raise InvalidParameterException(
                "There are no faces in the image. Should be at least 1."
            )
        searched = faces[0]
        if quality_reasons(searched, quality):
            raise InvalidParameterException(
                f"The largest face in the image does not pass QualityFilter {quality}"
            )
        matches = _matches(collection, face_descriptor(rgb, searched), minimum, max_faces)
        return {
            "SearchedFaceBoundingBox": searched.bounding_box(width, height),
            "SearchedFaceConfidence": searched.confidence,
            "FaceMatches": matches,
            "FaceModelVersion": collection.face_model_version,
        }

    def search_faces(
        self,
        *,
        CollectionId: str | None = None,
        FaceId: str | None = None,
        MaxFaces: int | None = None,
        FaceMatchThreshold: float | None = None,
        **unsupported: Any,
    ) -> dict[str, Any]:
        """Search the collection with a face it holds (the face itself is not returned)."""
        params.reject_unsupported("SearchFaces", unsupported)
        collection_id = params.collection_id(CollectionId)
        face_id = params.face_id(FaceId)
        max_faces = params.integer(MaxFaces, "MaxFaces", low=1, high=4096, default=4096)
        minimum = params.threshold(FaceMatchThreshold)
        collection = self.store.load(collection_id)
        index = _face_index(collection, face_id)
        if index is None:
            raise InvalidParameterException(f"faceId {face_id} was not found in the collection.")
        matches = _matches(collection, collection.embeddings[index], minimum, max_faces, skip=index)
        return {
            "SearchedFaceId": face_id,
            "FaceMatches": matches,
            "FaceModelVersion": collection.face_model_version,
        }

    # -- listing and deleting faces ----------------------------------------------------

    def list_faces(
        self,
        *,
        CollectionId: str | None = None,
        NextToken: str | None = None,
        MaxResults: int | None = None,
        FaceIds: list[str] | None = None,
        **unsupported: Any,
    ) -> dict[str, Any]:
        params.reject_unsupported("ListFaces", unsupported)
        collection_id = params.collection_id(CollectionId)
        limit = params.integer(MaxResults, "MaxResults", low=0, high=4096, default=1000)
        wanted = params.face_ids(FaceIds, required=False)
        collection = self.store.load(collection_id)
        faces = collection.faces
        if wanted is not None:
            wanted_set = set(wanted)
            faces = [face for face in faces if face["FaceId"] in wanted_set]
        listing = f"faces:{collection_id}"
        start = params.decode_token(NextToken, listing)
        response: dict[str, Any] = {
            "Faces": [_copy_face(face) for face in faces[start : start + limit]],
            "FaceModelVersion": collection.face_model_version,
        }
        if start + limit < len(faces):
            response["NextToken"] = params.encode_token(listing, start + limit)
        return response

    def delete_faces(
        self,
        *,
        CollectionId: str | None = None,
        FaceIds: list[str] | None = None,
        **unsupported: Any,
    ) -> dict[str, Any]:
        params.reject_unsupported("DeleteFaces", unsupported)
        collection_id = params.collection_id(CollectionId)
        requested = params.face_ids(FaceIds, required=True) or []
        outcome: dict[str, list[str]] = {"deleted": [], "missing": []}

        def remove(current: Collection) -> tuple[list[dict[str, Any]], np.ndarray]:
            present = {face["FaceId"] for face in current.faces}
            to_delete = set(requested) & present
            outcome["deleted"] = [fid for fid in dict.fromkeys(requested) if fid in present]
            outcome["missing"] = [fid for fid in dict.fromkeys(requested) if fid not in present]
            keep = [i for i, face in enumerate(current.faces) if face["FaceId"] not in to_delete]
            return [current.faces[i] for i in keep], current.embeddings[keep]

        self.store.update(collection_id, remove)
        return {
            "DeletedFaces": outcome["deleted"],
            "UnsuccessfulFaceDeletions": [
                {"FaceId": fid, "Reasons": ["FACE_NOT_FOUND"]} for fid in outcome["missing"]
            ],
        }


def _check_detection_attributes(value: Any) -> None:
    allowed = {"DEFAULT", "ALL", "AGE_RANGE", "BEARD", "EMOTIONS", "EYE_DIRECTION",
               "EYEGLASSES", "EYES_OPEN", "GENDER", "MOUTH_OPEN", "MUSTACHE",
               "FACE_OCCLUDED", "SMILE", "SUNGLASSES"}  # fmt: skip
    if value is not None and (
        not isinstance(value, list) or any(item not in allowed for item in value)
    ):
        raise InvalidParameterException(
            f"DetectionAttributes must be a list of {', '.join(sorted(allowed))}"
        )
    # Only the DEFAULT attributes (bounding box, confidence, landmarks) are computed.


def _face_detail(rgb: np.ndarray, face: FaceBox) -> dict[str, Any]:
    height, width = rgb.shape[:2]
    points = face_landmarks(rgb, face)
    eyes = sorted([np.mean(points[0:2], axis=0), np.mean(points[2:4], axis=0)], key=lambda p: p[0])
    # Rekognition's eyeLeft is the eye on the left of the image.
    landmarks = [("eyeLeft", eyes[0]), ("eyeRight", eyes[1]), ("nose", points[4])]
    return {
        "BoundingBox": face.bounding_box(width, height),
        "Confidence": face.confidence,
        "Landmarks": [
            {"Type": name, "X": float(x) / width, "Y": float(y) / height}
            for name, (x, y) in landmarks
        ],
    }


def _copy_face(face: dict[str, Any]) -> dict[str, Any]:
    """A copy callers may change without touching the cached collection."""
    return {**face, "BoundingBox": dict(face["BoundingBox"])}


def _face_index(collection: Collection, face_id: str) -> int | None:
    for index, face in enumerate(collection.faces):
        if face["FaceId"] == face_id:
            return index
    return None


def _matches(
    collection: Collection,
    descriptor: np.ndarray,
    minimum: float,
    max_faces: int,
    skip: int | None = None,
) -> list[dict[str, Any]]:
    """FaceMatches at or above ``minimum`` similarity, most similar first."""
    distances = face_distances(collection.embeddings, descriptor)
    found = []
    for index in np.argsort(distances, kind="stable"):
        if index == skip:
            continue
        similarity = similarity_from_distance(float(distances[index]))
        if similarity < minimum:
            break  # sorted by distance: every later face is less similar
        found.append({"Similarity": similarity, "Face": _copy_face(collection.faces[index])})
        if len(found) == max_faces:
            break
    return found
