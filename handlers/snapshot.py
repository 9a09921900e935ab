"""The match workflow's snapshot task: a face image and a time-limited link to it.

Input: ``{"Frame": <the handled entry's Frame>, "BoundingBox": <the face's box>, "FaceIndex",
"Camera", "PersonName"}``; ``Frame`` holds the record's ``InputInformation.KinesisVideo``
fields and, in edge mode, ``Snapshot`` (the agent's ``FacewatchSnapshot`` keys for this face:
``Bucket``, ``FrameKey``, ``FaceKey``), as the decode enrichment (handlers/decode.py) gives it.

- stream-processor mode (no ``Snapshot`` in the frame): Kinesis Video Streams
  ``GetDataEndpoint(APIName=GET_IMAGES)``, then ``GetImages`` at the frame's producer
  timestamp (fragment ``ProducerTimestamp`` + ``FrameOffsetInSeconds``); the frame is cropped
  to the face's ``BoundingBox`` with Pillow and stored under ``snapshots/`` in the audit bucket;
- edge mode: the crop the camera agent already uploaded (``FaceKey``, from
  ``FacewatchSnapshot.FaceKeys[i]``, else its ``FrameKey``).

Either way the result is presigned. A missing image never raises: the task returns
``available: false`` and an ``error``, and the channels send their message without image.

The task also returns the fragments the channels insert into markup, escaped here because
the Amazon States Language has no escaping function: ``html_name`` (the person's name,
HTML-escaped), ``html_image`` (an ``<img>`` paragraph, or ``""``), ``text_image``
(`` Snapshot: <url>`` or ``""``) and ``slack_name`` (the name with ``& < >`` escaped as Slack's
``text`` field requires: https://api.slack.com/reference/surfaces/formatting#escaping).
"""

from __future__ import annotations

import base64
import functools
import html
import io
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from PIL import Image, UnidentifiedImageError

SNAPSHOT_FIELD = "FacewatchSnapshot"  # workflows.records.SNAPSHOT_FIELD (not importable in Lambda)
SNAPSHOT_PREFIX = "snapshots/"
_CROP_MARGIN = 0.25  # of the box size on each side, so the face keeps some context
_SAMPLING_INTERVAL_MS = 200  # GetImages' minimum
_WINDOW_SECONDS = 1.0  # GetImages needs EndTimestamp > StartTimestamp


# A presigned URL stops working when the credentials that signed it expire, whatever
# ExpiresIn says (S3 user guide, "Download and upload objects with presigned URLs"). Here they
# are the Lambda role's temporary session credentials, which last hours, not days: a longer
# default would promise a link that dies early. The stack sets SNAPSHOT_URL_EXPIRY_SECONDS
# from `facewatch:snapshotLinkSeconds` (60 to 43200); the audit record keeps bucket and key.
DEFAULT_URL_EXPIRY_SECONDS = 3600


@dataclass(frozen=True)
class Settings:
    audit_bucket: str
    url_expiry_seconds: int

    @classmethod
    def from_env(cls) -> Settings:
        expiry = os.environ.get("SNAPSHOT_URL_EXPIRY_SECONDS") or DEFAULT_URL_EXPIRY_SECONDS
        return cls(
            audit_bucket=os.environ.get("AUDIT_BUCKET", ""),
            url_expiry_seconds=int(expiry),
        )


SETTINGS = Settings.from_env()


def s3_client() -> BaseClient:
    """S3 with Signature Version 4. Without it botocore presigns with SigV2 in us-east-1 and
    other older regions, and S3 refuses SigV2 links to SSE-KMS objects ("Requests specifying
    Server Side Encryption with AWS KMS managed keys require AWS Signature Version 4";
    boto/boto3#2680): every snapshot here is under the stack's KMS key."""
    return boto3.client("s3", config=Config(signature_version="s3v4"))


s3 = s3_client()
kinesisvideo = boto3.client("kinesisvideo")


class SnapshotUnavailable(Exception):
    """The image could not be obtained; the message says why."""


@functools.lru_cache(maxsize=8)
def archived_media_client(endpoint: str) -> BaseClient:
    """GetImages must be sent to the stream's data endpoint."""
    return boto3.client("kinesis-video-archived-media", endpoint_url=endpoint)


def _presign(bucket: str, key: str) -> str:
    return str(
        s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": bucket, "Key": key},
            ExpiresIn=SETTINGS.url_expiry_seconds,
        )
    )


def _edge_snapshot(snapshot: dict[str, Any], face_index: int) -> tuple[str, str]:
    bucket = snapshot.get("Bucket")
    key = snapshot.get("FaceKey") or snapshot.get("FrameKey")
    if not isinstance(bucket, str) or not isinstance(key, str):
        raise SnapshotUnavailable(f"{SNAPSHOT_FIELD} names no image for face {face_index}")
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        raise SnapshotUnavailable(f"s3://{bucket}/{key}: {error}") from error
    return bucket, key


def _frame_jpeg(stream_arn: str, frame_time: float) -> bytes:
    endpoint = kinesisvideo.get_data_endpoint(StreamARN=stream_arn, APIName="GET_IMAGES")
    media = archived_media_client(endpoint["DataEndpoint"])
    response = media.get_images(
        StreamARN=stream_arn,
        ImageSelectorType="PRODUCER_TIMESTAMP",
        StartTimestamp=datetime.fromtimestamp(frame_time, UTC),
        EndTimestamp=datetime.fromtimestamp(frame_time + _WINDOW_SECONDS, UTC),
        SamplingInterval=_SAMPLING_INTERVAL_MS,
        Format="JPEG",
        MaxResults=1,
    )
    for image in response.get("Images", []):
        if image.get("ImageContent"):
            return base64.b64decode(image["ImageContent"])
    errors = [image.get("Error", "no image") for image in response.get("Images", [])]
    raise SnapshotUnavailable(f"GetImages returned no image at {frame_time}: {errors or 'empty'}")


def crop_face(jpeg: bytes, box: dict[str, Any]) -> bytes:
    """The face region (``BoundingBox`` ratios of the frame) with a margin, as JPEG."""
    try:
        frame = Image.open(io.BytesIO(jpeg)).convert("RGB")
    except (UnidentifiedImageError, OSError) as error:
        raise SnapshotUnavailable(f"the frame is not an image: {error}") from error
    width, height = frame.size
    left, top = float(box.get("Left", 0.0)), float(box.get("Top", 0.0))
    box_w, box_h = float(box.get("Width", 1.0)), float(box.get("Height", 1.0))
    margin_w, margin_h = box_w * _CROP_MARGIN, box_h * _CROP_MARGIN
    region = (
        max(0, round((left - margin_w) * width)),
        max(0, round((top - margin_h) * height)),
        min(width, round((left + box_w + margin_w) * width)),
        min(height, round((top + box_h + margin_h) * height)),
    )
    if region[2] <= region[0] or region[3] <= region[1]:
        raise SnapshotUnavailable(f"the bounding box {box} lies outside the frame")
    out = io.BytesIO()
    frame.crop(region).save(out, format="JPEG", quality=90)
    return out.getvalue()


def _stream_snapshot(
    frame: dict[str, Any], box: dict[str, Any], face_index: int, camera: str
) -> tuple[str, str]:
    frame_time = float(frame["ProducerTimestamp"]) + float(frame.get("FrameOffsetInSeconds") or 0)
    crop = crop_face(_frame_jpeg(frame["StreamArn"], frame_time), box)
    if not SETTINGS.audit_bucket:
        raise SnapshotUnavailable("AUDIT_BUCKET is not set")
    key = f"{SNAPSHOT_PREFIX}{camera}/{round(frame_time * 1000)}/face-{face_index}.jpg"
    # An explicit checksum: with auditObjectLock the bucket's default retention makes S3
    # refuse a PutObject without Content-MD5 or a checksum, and whether the runtime's bundled
    # boto3 adds one by default is not known (the workflow's audit writes send one too).
    s3.put_object(
        Bucket=SETTINGS.audit_bucket,
        Key=key,
        Body=crop,
        ContentType="image/jpeg",
        ChecksumAlgorithm="SHA256",
    )
    return SETTINGS.audit_bucket, key


def slack_escaped(text: str) -> str:
    """``text`` safe in a Slack message's ``text`` (mrkdwn): no <!channel>, links or tags."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _markup(name: str, url: str | None) -> dict[str, str]:
    escaped = html.escape(name, quote=True)
    names = {"html_name": escaped, "slack_name": slack_escaped(name)}
    if url is None:
        return {**names, "html_image": "", "text_image": ""}
    image = f'<p><img src="{html.escape(url, quote=True)}" alt="Snapshot of {escaped}"></p>'
    return {**names, "html_image": image, "text_image": f" Snapshot: {url}"}


def snapshot(event: dict[str, Any]) -> dict[str, Any]:
    frame = event.get("Frame") or {}
    face_index = int(event.get("FaceIndex", 0))
    camera = str(event.get("Camera", "camera"))
    name = str(event.get("PersonName", ""))
    started = time.monotonic()
    try:
        if isinstance(frame.get("Snapshot"), dict):
            bucket, key = _edge_snapshot(frame["Snapshot"], face_index)
        else:
            bucket, key = _stream_snapshot(
                frame, event.get("BoundingBox") or {}, face_index, camera
            )
        url = _presign(bucket, key)
    except (
        SnapshotUnavailable,
        ClientError,
        BotoCoreError,
        KeyError,
        IndexError,
        TypeError,
        ValueError,
    ) as error:
        return {
            "available": False,
            "bucket": None,
            "key": None,
            "url": None,
            "error": f"{type(error).__name__}: {error}",
            **_markup(name, None),
        }
    return {
        "available": True,
        "bucket": bucket,
        "key": key,
        "url": url,
        "error": None,
        "seconds": round(time.monotonic() - started, 3),
        **_markup(name, url),
    }


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # Decoding the Pipe's records is handlers/decode.py, the Pipe's enrichment.
    return snapshot(event)
