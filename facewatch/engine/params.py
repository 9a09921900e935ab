"""Validation of request parameters, with Rekognition's constraints and error names."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from facewatch.engine.errors import InvalidPaginationTokenException, InvalidParameterException

_COLLECTION_ID = re.compile(r"[a-zA-Z0-9_.\-]+")
_EXTERNAL_IMAGE_ID = re.compile(r"[a-zA-Z0-9_.\-:]+")
_FACE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
QUALITY_FILTERS = ("NONE", "AUTO", "LOW", "MEDIUM", "HIGH")


def reject_unsupported(operation: str, unsupported: dict[str, Any]) -> None:
    """Unknown parameters are an error, not silently ignored."""
    if unsupported:
        names = ", ".join(sorted(unsupported))
        raise InvalidParameterException(
            f"{operation} does not support the parameter(s) {names} in the local face engine"
        )


def collection_id(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidParameterException("CollectionId is required")
    if len(value) > 255 or value in (".", "..") or not _COLLECTION_ID.fullmatch(value):
        raise InvalidParameterException(
            f"CollectionId {value!r} must match [a-zA-Z0-9_.\\-]+ and be at most 255 characters"
        )
    return value


def external_image_id(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 255 or not _EXTERNAL_IMAGE_ID.fullmatch(value):
        raise InvalidParameterException(
            f"ExternalImageId {value!r} must match [a-zA-Z0-9_.\\-:]+ and be 1 to 255 characters"
        )
    return value


def face_id(value: Any, name: str = "FaceId") -> str:
    if not isinstance(value, str) or not _FACE_ID.fullmatch(value):
        raise InvalidParameterException(f"{name} {value!r} is not a valid face id")
    return value


def face_ids(value: Any, *, required: bool) -> list[str] | None:
    if value is None and not required:
        return None
    if not isinstance(value, list) or not 1 <= len(value) <= 4096:
        raise InvalidParameterException("FaceIds must be a list of 1 to 4096 face ids")
    return [face_id(item, "FaceIds item") for item in value]


def integer(value: Any, name: str, *, low: int, high: int, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidParameterException(f"{name} must be an integer from {low} to {high}")
    return value


def threshold(value: Any) -> float:
    if value is None:
        return 80.0
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise InvalidParameterException("FaceMatchThreshold must be a number from 0 to 100")
    return float(value)


def quality_filter(value: Any, default: str) -> str:
    if value is None:
        return default
    if value not in QUALITY_FILTERS:
        choices = ", ".join(QUALITY_FILTERS)
        raise InvalidParameterException(f"QualityFilter must be one of {choices}")
    return str(value)


def encode_token(listing: str, offset: int) -> str:
    """An opaque NextToken for position ``offset`` of ``listing``."""
    raw = json.dumps({"listing": listing, "offset": offset}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_token(token: Any, listing: str) -> int:
    """The offset in a NextToken made by ``encode_token`` for the same listing."""
    if token is None:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(str(token).encode()))
        offset = data["offset"]
        if data["listing"] != listing or not isinstance(offset, int) or offset < 0:
            raise ValueError(token)
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise InvalidPaginationTokenException("Invalid pagination token") from exc
    return offset
