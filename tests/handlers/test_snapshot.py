"""handlers/snapshot.py: KVS GetImages (botocore Stubber; moto has no KVS media) and edge mode."""

from __future__ import annotations

import base64
import io
import json
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws
from PIL import Image

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

from facewatch.handlers import snapshot
from facewatch.handlers.decode_records import decode_record
from facewatch.workflows import records

STREAM_ARN = "arn:aws:kinesisvideo:us-east-1:123456789012:stream/front-door/1700000000000"
ENDPOINT = "https://b-1234.kinesisvideo.us-east-1.amazonaws.com"
BUCKET = "facewatch-audit"


def _frame(width: int = 640, height: int = 360) -> bytes:
    image = Image.new("RGB", (width, height), (10, 20, 30))
    out = io.BytesIO()
    image.save(out, format="JPEG")
    return out.getvalue()


def _record(**snapshot_field: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "InputInformation": {
            "KinesisVideo": {
                "StreamArn": STREAM_ARN,
                "ProducerTimestamp": 1_700_000_000.0,
                "FrameOffsetInSeconds": 0.5,
            }
        },
        "FaceSearchResponse": [
            {
                "DetectedFace": {
                    "BoundingBox": {"Left": 0.5, "Top": 0.25, "Width": 0.25, "Height": 0.5}
                },
                "MatchedFaces": [],
            }
        ],
    }
    if snapshot_field:
        record["FacewatchSnapshot"] = snapshot_field
    return record


def _event(document: dict[str, Any], camera: str, name: str) -> dict[str, Any]:
    """The snapshot task's input for face 0, as the workflow builds it from the entry the
    Pipe's enrichment makes of this document (its Frame and the face's BoundingBox)."""
    record = {
        "data": base64.b64encode(json.dumps(document).encode()).decode(),
        "approximateArrivalTimestamp": 1_700_000_000.5,
    }
    entry = decode_record(record)["Faces"][0]
    return {
        "Frame": entry["Frame"],
        "BoundingBox": entry["Face"]["DetectedFace"]["BoundingBox"],
        "FaceIndex": 0,
        "Camera": camera,
        "PersonName": name,
    }


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with mock_aws():
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        client = snapshot.s3_client()  # the handler's own client: what it signs with matters
        client.create_bucket(Bucket=BUCKET)
        monkeypatch.setattr(snapshot, "s3", client)
        monkeypatch.setattr(
            snapshot, "SETTINGS", snapshot.Settings(audit_bucket=BUCKET, url_expiry_seconds=600)
        )
        yield client


@pytest.fixture
def kvs(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Stubber, Stubber]]:
    video = boto3.client("kinesisvideo", region_name="us-east-1")
    media = boto3.client(
        "kinesis-video-archived-media", region_name="us-east-1", endpoint_url=ENDPOINT
    )
    monkeypatch.setattr(snapshot, "kinesisvideo", video)
    monkeypatch.setattr(snapshot, "archived_media_client", lambda endpoint: media)
    with Stubber(video) as video_stub, Stubber(media) as media_stub:
        video_stub.add_response(
            "get_data_endpoint",
            {"DataEndpoint": ENDPOINT},
            {"StreamARN": STREAM_ARN, "APIName": "GET_IMAGES"},
        )
        yield video_stub, media_stub


def test_stream_mode_crops_the_face_and_presigns_it(s3: Any, kvs: tuple[Stubber, Stubber]) -> None:
    # given KVS holds a 640x360 frame at the record's producer timestamp
    _, media = kvs
    media.add_response(
        "get_images",
        {
            "Images": [
                {"TimeStamp": 1_700_000_000.5, "ImageContent": base64.b64encode(_frame()).decode()}
            ]
        },
        {
            "StreamARN": STREAM_ARN,
            "ImageSelectorType": "PRODUCER_TIMESTAMP",
            "StartTimestamp": ANY,
            "EndTimestamp": ANY,
            "SamplingInterval": ANY,
            "Format": "JPEG",
            "MaxResults": 1,
        },
    )
    # when the snapshot task runs for face 0
    result = snapshot.lambda_handler(_event(_record(), "front-door", "A <b>"), None)
    # then the crop (box 0.25 x 0.5 of the frame plus a 25% margin) is stored and presigned
    assert result["available"] is True, result
    assert result["key"] == "snapshots/front-door/1700000000500/face-0.jpg"
    stored = s3.get_object(Bucket=BUCKET, Key=result["key"])["Body"].read()
    assert Image.open(io.BytesIO(stored)).size == (240, 270)
    assert result["url"].startswith(f"https://{BUCKET}.s3.amazonaws.com/{result['key']}")
    assert result["html_name"] == "A &lt;b&gt;"
    assert result["html_image"].startswith('<p><img src="https://')


def test_stream_mode_without_image_degrades(s3: Any, kvs: tuple[Stubber, Stubber]) -> None:
    _, media = kvs
    media.add_response(
        "get_images", {"Images": [{"TimeStamp": 1_700_000_000.5, "Error": "NO_MEDIA"}]}
    )
    result = snapshot.lambda_handler(_event(_record(), "front-door", "Lin"), None)
    assert result["available"] is False
    assert "NO_MEDIA" in result["error"]
    assert result["html_image"] == "" and result["text_image"] == ""


def test_stream_mode_kvs_error_degrades(s3: Any, kvs: tuple[Stubber, Stubber]) -> None:
    _, media = kvs
    media.add_client_error("get_images", service_error_code="ResourceNotFoundException")
    result = snapshot.lambda_handler(_event(_record(), "c", "x"), None)
    assert result["available"] is False and "ResourceNotFoundException" in result["error"]


def test_edge_mode_presigns_the_uploaded_crop(s3: Any) -> None:
    key = "snapshots/front-door/1700000000500/face-0.jpg"
    s3.put_object(Bucket=BUCKET, Key=key, Body=_frame())
    record = _record(
        Bucket=BUCKET, FrameKey="snapshots/front-door/1700000000500/frame.jpg", FaceKeys=[key]
    )
    result = snapshot.lambda_handler(_event(record, "front-door", "Lin"), None)
    assert result["available"] is True
    assert (result["bucket"], result["key"]) == (BUCKET, key)


def test_edge_mode_missing_object_degrades(s3: Any) -> None:
    record = _record(
        Bucket=BUCKET, FrameKey="snapshots/x/frame.jpg", FaceKeys=["snapshots/x/face-0.jpg"]
    )
    result = snapshot.lambda_handler(_event(record, "x", "y"), None)
    assert result["available"] is False and result["url"] is None


def test_a_decode_batch_is_not_the_snapshot_functions_job(s3: Any) -> None:
    # given a Pipe batch, which the decode function (handlers/decode.py) handles
    batch = {"Records": [{"data": base64.b64encode(b"{}").decode(), "sequenceNumber": "1"}]}

    result = snapshot.lambda_handler(batch, None)

    # then the snapshot function does not decode it: no record list, an unavailable snapshot
    assert "records" not in result
    assert result["available"] is False and result["error"]


def test_links_last_an_hour_unless_the_stack_says_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An hour by default: the role's temporary credentials, which sign the link, do not
    # outlive a day, so a 24 h link would die early.
    monkeypatch.delenv("SNAPSHOT_URL_EXPIRY_SECONDS", raising=False)
    assert snapshot.Settings.from_env().url_expiry_seconds == 3600
    monkeypatch.setenv("SNAPSHOT_URL_EXPIRY_SECONDS", "900")
    assert snapshot.Settings.from_env().url_expiry_seconds == 900


def test_presigned_link_uses_the_configured_lifetime(s3: Any) -> None:
    key = "snapshots/front-door/1700000000500/face-0.jpg"
    s3.put_object(Bucket=BUCKET, Key=key, Body=_frame())
    record = _record(Bucket=BUCKET, FrameKey=key, FaceKeys=[key])

    result = snapshot.lambda_handler(_event(record, "front-door", "Lin"), None)

    # the s3 fixture sets url_expiry_seconds=600 (SigV4 links carry it as X-Amz-Expires)
    query = parse_qs(urlsplit(result["url"]).query)
    assert query["X-Amz-Expires"] == ["600"]


def test_links_made_in_us_east_1_are_signed_with_sigv4(s3: Any) -> None:
    # given an uploaded crop, the handler's client in us-east-1 (where botocore's default
    # would be SigV2, which S3 refuses for SSE-KMS objects)
    key = "snapshots/front-door/1700000000500/face-0.jpg"
    s3.put_object(Bucket=BUCKET, Key=key, Body=_frame())
    record = _record(Bucket=BUCKET, FrameKey=key, FaceKeys=[key])
    # when the snapshot task presigns it
    result = snapshot.lambda_handler(_event(record, "front-door", "Lin"), None)
    # then the link is a Signature Version 4 link
    query = parse_qs(urlsplit(result["url"]).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"], result["url"]
    assert "Signature" not in query and "AWSAccessKeyId" not in query


def test_the_stream_mode_crop_is_uploaded_with_a_sha256_checksum(
    s3: Any, kvs: tuple[Stubber, Stubber]
) -> None:
    # given KVS holds a frame (Object Lock buckets refuse uploads without a checksum)
    _, media = kvs
    media.add_response(
        "get_images",
        {
            "Images": [
                {"TimeStamp": 1_700_000_000.5, "ImageContent": base64.b64encode(_frame()).decode()}
            ]
        },
        None,
    )
    # when the snapshot task stores the crop
    result = snapshot.lambda_handler(_event(_record(), "front-door", "Lin"), None)
    # then S3 holds it with the SHA-256 checksum sent with the upload
    assert result["available"] is True, result
    head = s3.head_object(Bucket=BUCKET, Key=result["key"], ChecksumMode="ENABLED")
    assert head.get("ChecksumSHA256"), head


def test_snapshot_field_and_prefix_are_the_record_contracts() -> None:
    # The Lambda package holds handlers/ only, so the handler keeps its own copies of the
    # record contract's names (workflows/records.py; infra scopes s3:PutObject by the prefix).
    assert snapshot.SNAPSHOT_FIELD == records.SNAPSHOT_FIELD
    assert snapshot.SNAPSHOT_PREFIX == records.SNAPSHOT_PREFIX
