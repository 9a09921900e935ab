"""Enrolment through the faces bucket, shared by `facewatch faces add | remove` and the demo.

A photo is enrolled the original way: uploaded to the faces bucket with the tag
Key = object key, Value = person name. The indexing workflow (started by the S3 event)
indexes it and tags the object `facewatch-status` = indexed | no-face | several-faces |
not-an-image; deleting the photo makes the workflow delete its faces and registry items.
Only S3 and DynamoDB calls, so the same steps work against AWS and the local mode alike.
"""

from __future__ import annotations

import re
import time
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from workflows.indexing import STATUS_TAG

POLL_SECONDS = 0.3
INDEXING_FIX = (
    "check the indexing executions (`facewatch executions list --workflow indexing`)"
    " and that the faces bucket sends events to EventBridge"
)


class IndexingTimeout(TimeoutError):
    """No indexing outcome for a photo in time; `fix` says where to look."""

    def __init__(self, key: str, timeout: float) -> None:
        super().__init__(f"no indexing outcome for {key} after {timeout:.0f}s")
        self.key, self.fix = key, INDEXING_FIX


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "person"


def object_key(name: str, photo: Path, prefix: str = "") -> str:
    """A key that is also a valid S3 tag key (letters, digits, `_ . : / = + - @`)."""
    stem = re.sub(r"[^A-Za-z0-9_.=+@-]+", "-", photo.name).strip("-") or "photo"
    return f"{prefix}{_slug(name)}/{stem}"


def tags(s3: Any, bucket: str, key: str) -> dict[str, str]:
    tag_set = s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
    return {tag["Key"]: tag["Value"] for tag in tag_set}


def upload(s3: Any, bucket: str, photo: Path, name: str, prefix: str = "") -> str:
    """Put `photo` in the faces bucket tagged with `name` (tag Key = object key); its key."""
    key = object_key(name, photo, prefix)
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=photo.read_bytes(),
        ContentType="image/png" if photo.suffix.lower() == ".png" else "image/jpeg",
        Tagging=urlencode({key: name}),
    )
    return key


def wait_for_outcome(s3: Any, bucket: str, key: str, timeout: float) -> str | None:
    """The `facewatch-status` tag once the indexing workflow has set it, else None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = tags(s3, bucket, key).get(STATUS_TAG)
        if status:
            return status
        time.sleep(POLL_SECONDS)
    return None


def enrol(
    s3: Any, bucket: str, photo: Path, name: str, *, prefix: str = "", timeout: float
) -> tuple[str, str]:
    """Upload `photo` tagged with `name` and wait for its indexing outcome: (key, outcome).
    Raises `IndexingTimeout` when the workflow has not tagged it within `timeout` seconds."""
    key = upload(s3, bucket, photo, name, prefix)
    status = wait_for_outcome(s3, bucket, key, timeout)
    if status is None:
        raise IndexingTimeout(key, timeout)
    return key, status


def registry_entry(dynamodb: Any, table: str, key: str) -> dict[str, Any]:
    """The registry's `key#<key>` item as ExternalImageId, FaceIds, Status (None/[] if absent)."""
    item = dynamodb.get_item(TableName=table, Key={"pk": {"S": f"key#{key}"}}).get("Item", {})
    return {
        "ExternalImageId": item.get("ExternalImageId", {}).get("S"),
        "FaceIds": [v.get("S") for v in item.get("FaceIds", {}).get("L", [])],
        "Status": item.get("Status", {}).get("S"),
    }


def wait_faces_deleted(dynamodb: Any, table: str, keys: list[str], timeout: float) -> bool:
    """Wait until no key of `keys` (deleted photos) has faces in the registry; False when
    some still have after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while any(registry_entry(dynamodb, table, key)["FaceIds"] for key in keys):
        if time.monotonic() > deadline:
            return False
        time.sleep(POLL_SECONDS)
    return True
