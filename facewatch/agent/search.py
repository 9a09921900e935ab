"""Face crops and the SearchFacesByImage call against any Rekognition-shaped backend.

The backend is a boto3 Rekognition client (AWS, or the local endpoint) or the local
`FaceEngine` in-process: both take the same keyword arguments and return the same
response shape, and both name their errors the Rekognition way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

import cv2
import numpy as np

from .errors import AgentError, error_code
from .logs import log_event

log = logging.getLogger("facewatch.agent.search")

# Context around the detected box: Rekognition (and the local engine) detect the face
# again inside the crop, which needs some forehead, chin and background.
CROP_MARGIN = 0.35
# Small faces are upscaled so the crop's face is at least this many pixels wide:
# detectors miss faces much smaller than their window (dlib HOG: 80 px).
MIN_FACE_PIXELS = 120
JPEG_QUALITY = 90

# The image has no face the backend can find, or it is not usable: the face is still
# reported, without matches (as the stream processor reports unknown faces).
NO_MATCH_CODES = {"InvalidParameterException", "InvalidImageFormatException"}
# Transient: this frame gets no matches and the track is searched again next frame.
TRANSIENT_CODES = {
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "InternalServerError",
    "ServiceUnavailableException",
}


class SearchBackend(Protocol):
    def search_faces_by_image(self, **kwargs: Any) -> dict[str, Any]: ...


@dataclass(frozen=True)
class SearchOutcome:
    matches: list[dict[str, Any]]
    # False when the call failed transiently: the track stays due for a search.
    searched: bool


def crop_face(bgr: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """The face box grown by CROP_MARGIN (clipped to the frame), upscaled if small."""
    height, width = bgr.shape[:2]
    left, top, right, bottom = box
    box_w, box_h = right - left, bottom - top
    x0 = max(0, round(left - CROP_MARGIN * box_w))
    y0 = max(0, round(top - CROP_MARGIN * box_h))
    x1 = min(width, round(right + CROP_MARGIN * box_w))
    y1 = min(height, round(bottom + CROP_MARGIN * box_h))
    crop = bgr[y0:y1, x0:x1]
    if 0 < box_w < MIN_FACE_PIXELS and crop.size:
        scale = MIN_FACE_PIXELS / box_w
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    return crop


def encode_jpeg(bgr: np.ndarray) -> bytes:
    ok, buffer = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError("OpenCV could not encode the image as JPEG")
    return buffer.tobytes()


def matched_faces(response: dict[str, Any]) -> list[dict[str, Any]]:
    """SearchFacesByImage's FaceMatches in the record's MatchedFaces shape (best first)."""
    result: list[dict[str, Any]] = []
    for match in response.get("FaceMatches", []):
        face = match["Face"]
        entry: dict[str, Any] = {
            "BoundingBox": {k: float(face["BoundingBox"][k]) for k in _BOX_KEYS},
            "FaceId": face["FaceId"],
            "Confidence": float(face["Confidence"]),
            "ImageId": face["ImageId"],
        }
        if face.get("ExternalImageId"):
            entry["ExternalImageId"] = face["ExternalImageId"]
        result.append({"Similarity": float(match["Similarity"]), "Face": entry})
    result.sort(key=lambda m: m["Similarity"], reverse=True)
    return result


_BOX_KEYS = ("Width", "Height", "Left", "Top")


def search_crop(
    backend: SearchBackend,
    jpeg: bytes,
    *,
    collection_id: str,
    threshold: float,
    max_faces: int,
) -> SearchOutcome:
    """Search one face crop; map Rekognition errors to outcomes or AgentErrors."""
    try:
        response = backend.search_faces_by_image(
            CollectionId=collection_id,
            Image={"Bytes": jpeg},
            FaceMatchThreshold=threshold,
            MaxFaces=max_faces,
        )
    except Exception as exc:
        raise_for_aws_error(exc, collection_id=collection_id)
        code = error_code(exc)
        if code in NO_MATCH_CODES:
            log_event(log, logging.DEBUG, "search.no_face", code=code)
            return SearchOutcome([], searched=True)
        if code in TRANSIENT_CODES:
            log_event(log, logging.WARNING, "search.transient_error", code=code)
            return SearchOutcome([], searched=False)
        raise
    return SearchOutcome(matched_faces(response), searched=True)


def raise_for_aws_error(
    exc: BaseException, *, collection_id: str | None = None, stream: str | None = None
) -> None:
    """Turn configuration errors (credentials, missing resources, access) into AgentErrors."""
    from botocore.exceptions import (
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
    )

    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        raise AgentError(
            "no AWS credentials found",
            "run `aws configure` or set AWS_PROFILE / AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        ) from exc
    if isinstance(exc, NoRegionError):
        raise AgentError("no AWS region configured", "pass --region or set AWS_REGION") from exc
    if isinstance(exc, EndpointConnectionError):
        raise AgentError(
            f"cannot reach the AWS endpoint: {exc}",
            "check --region / --endpoint-url and that the local mode is running",
        ) from exc
    code = error_code(exc)
    if code == "ResourceNotFoundException":
        if stream is not None:
            raise AgentError(
                f"Kinesis data stream {stream!r} not found",
                "pass the stream name from the stack output (pulumi stack output) with --stream",
            ) from exc
        raise AgentError(
            f"face collection {collection_id!r} not found",
            "pass the collection from the stack output with --collection, or create it "
            "(facewatch faces) before starting the camera",
        ) from exc
    if code in {"AccessDeniedException", "AccessDenied", "403", "UnrecognizedClientException"}:
        raise AgentError(
            f"AWS refused the request ({code})",
            "use credentials allowed to call rekognition:SearchFacesByImage, "
            "kinesis:PutRecords and s3:PutObject on the stack's resources",
        ) from exc
