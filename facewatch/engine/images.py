"""Reading Rekognition ``Image`` parameters (``Bytes`` or ``S3Object``) into RGB arrays.

Like Rekognition: only JPEG and PNG are accepted, images given as bytes may be at most
5 MB and images read from S3 at most 15 MB, and the EXIF orientation of a JPEG is applied
before detection (bounding boxes refer to the upright image).
"""

from __future__ import annotations

import io
import warnings
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from facewatch.engine.errors import (
    ImageTooLargeException,
    InvalidImageFormatException,
    InvalidParameterException,
    InvalidS3ObjectException,
)

MAX_BYTES_IMAGE = 5 * 1024 * 1024
MAX_S3_IMAGE = 15 * 1024 * 1024
# Multi-picture JPEGs (MPO, written by many phones) open through the JPEG plugin too.
_FORMATS = ("JPEG", "PNG")


def decode_image(data: bytes) -> np.ndarray:
    """Decode JPEG/PNG bytes to an upright H x W x 3 uint8 RGB array."""
    try:
        with warnings.catch_warnings():
            # A decompression-bomb warning becomes an error: such images are refused.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=_FORMATS) as image:
                image.load()
                upright = ImageOps.exif_transpose(image)
                return np.asarray(upright.convert("RGB"), dtype=np.uint8)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidImageFormatException(
            "Request has invalid image format: expected a JPEG or PNG image"
        ) from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLargeException("The image has too many pixels") from exc


def image_bytes(image: Any, s3_client: Any | None) -> bytes:
    """The raw bytes of a Rekognition ``Image`` parameter, with Rekognition's errors."""
    if not isinstance(image, dict):
        raise InvalidParameterException("Image must be a map with Bytes or S3Object")
    has_bytes = "Bytes" in image
    has_s3 = "S3Object" in image
    if has_bytes == has_s3:
        raise InvalidParameterException("Image must have exactly one of Bytes or S3Object")
    if has_bytes:
        data = image["Bytes"]
        if not isinstance(data, bytes | bytearray | memoryview):
            raise InvalidParameterException("Image.Bytes must be bytes")
        data = bytes(data)
        if len(data) > MAX_BYTES_IMAGE:
            raise ImageTooLargeException(
                f"Image size {len(data)} bytes exceeds the {MAX_BYTES_IMAGE} bytes allowed"
            )
        return data
    return _s3_bytes(image["S3Object"], s3_client)


def _s3_bytes(s3_object: Any, s3_client: Any | None) -> bytes:
    if not isinstance(s3_object, dict) or not s3_object.get("Bucket") or not s3_object.get("Name"):
        raise InvalidParameterException("Image.S3Object needs Bucket and Name")
    if s3_client is None:
        raise InvalidS3ObjectException(
            "Unable to get object metadata from S3: this engine has no S3 client"
        )
    kwargs = {"Bucket": s3_object["Bucket"], "Key": s3_object["Name"]}
    if s3_object.get("Version"):
        kwargs["VersionId"] = s3_object["Version"]
    try:
        response = s3_client.get_object(**kwargs)
        body = response["Body"]
        data: bytes = body.read(MAX_S3_IMAGE + 1)
        body.close()
    except Exception as exc:  # botocore ClientError and connection errors alike
        raise InvalidS3ObjectException(
            f"Unable to get object from S3: s3://{kwargs['Bucket']}/{kwargs['Key']}: {exc}"
        ) from exc
    if len(data) > MAX_S3_IMAGE:
        raise ImageTooLargeException(
            f"S3 object s3://{kwargs['Bucket']}/{kwargs['Key']} exceeds {MAX_S3_IMAGE} bytes"
        )
    return data


def load_image(image: Any, s3_client: Any | None) -> np.ndarray:
    """Read and decode a Rekognition ``Image`` parameter to an RGB uint8 array."""
    return decode_image(image_bytes(image, s3_client))
