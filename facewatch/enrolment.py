"""Enrolment through the faces bucket, shared by `facewatch faces add | remove` and the demo.

A photo is enrolled the original way: uploaded to the faces bucket with the tag
Key = object key, Value = person name. The indexing workflow (started by the S3 event)
indexes it and tags the object `facewatch-status` = indexed | no-face | several-faces |
not-an-image | image-too-large; deleting the photo makes the workflow delete its faces and
registry items. Only S3 and DynamoDB calls, so the same steps work against AWS and the local
mode alike.

Names: any Unicode text of 1 to `NAME_MAX_LENGTH` characters (NFC-normalised, trimmed; no
control or line-separator characters). An S3 tag value holds only letters, digits, spaces and
``_ . : / = + - @`` (AWS: Unicode letters; moto and other S3 implementations: ASCII letters
only, and moto stores the object even when it refuses its tags). So the tag always carries
`tag_form(name)`, ASCII from that set (accepted by every implementation: "Conan O'Brien" ->
"Conan O Brien", "Rosé" -> "Rose"), and the name itself goes, before the upload, into the
registry item ``name#<object key>`` (PersonName, TagValue = the tag form), which the indexing
workflow prefers while the tag is unchanged (`workflows.indexing_registry`). Without a
registry table only names that are their own tag form can be enrolled. Photos are prepared by
`facewatch.photos` (converted to JPEG, shrunk to 15 MB) first; a refused name or photo
leaves nothing behind, and a refused upload removes the registry item again.
"""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from facewatch.photos import PhotoError, PreparedPhoto, prepare
from facewatch.workflows.indexing import STATUS_TAG
from facewatch.workflows.indexing_registry import ENROLLED_NAME_PREFIX, ENROLLED_TAG_ATTRIBUTE
from facewatch.workflows.person_name import PERSON_NAME_ATTRIBUTE

NAME_MAX_LENGTH = 256  # S3's tag-value limit: one rule for both stores of the name
_NOT_IN_NAMES = ("Cc", "Cs", "Zl", "Zp")  # control, lone surrogate, line/paragraph separator
_NOT_TAG_SAFE = re.compile(r"[^A-Za-z0-9 _.:/=+@-]+")

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


class EnrolmentError(ValueError):
    """A name or photo `faces add` refuses (nothing was stored); `fix` says what to do."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message, self.fix = message, fix


def check_name(name: str) -> str:
    """The person's name as stored: NFC, trimmed; raises `EnrolmentError` when unusable."""
    text = unicodedata.normalize("NFC", name).strip()
    if not text:
        raise EnrolmentError(
            "--name is empty", "pass the person's name, e.g. --name 'Ada Lovelace'"
        )
    if len(text) > NAME_MAX_LENGTH:
        raise EnrolmentError(
            f"the name has {len(text)} characters, more than {NAME_MAX_LENGTH}",
            f"use at most {NAME_MAX_LENGTH} characters",
        )
    bad = sorted({f"U+{ord(c):04X}" for c in text if unicodedata.category(c) in _NOT_IN_NAMES})
    if bad:
        raise EnrolmentError(
            f"the name contains control characters ({', '.join(bad)})",
            "type the name on one line, without control characters",
        )
    return text


def tag_form(name: str) -> str:
    """What S3 tags can hold of `name` everywhere: ASCII letters, digits, spaces, _.:/=+-@."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    form = " ".join(_NOT_TAG_SAFE.sub(" ", ascii_text).split())[:NAME_MAX_LENGTH].strip()
    return form or "-"


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "person"


def object_key(name: str, photo: Path, prefix: str = "", converted: bool = False) -> str:
    """A key that is also a valid S3 tag key (letters, digits, `_ . : / = + - @`); a photo
    converted to JPEG gets `.jpg` appended (`alice.heic.jpg`), so it cannot collide with
    another photo of the same command."""
    file_name = f"{photo.name}.jpg" if converted else photo.name
    stem = re.sub(r"[^A-Za-z0-9_.=+@-]+", "-", file_name).strip("-") or "photo"
    return f"{prefix}{_slug(name)}/{stem}"


def tags(s3: Any, bucket: str, key: str) -> dict[str, str]:
    tag_set = s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
    return {tag["Key"]: tag["Value"] for tag in tag_set}


@dataclass(frozen=True)
class Registry:
    """The registry table, where names that tags cannot hold are kept (None: tags only)."""

    dynamodb: Any
    table: str


@dataclass(frozen=True)
class Upload:
    key: str
    name: str
    photo: PreparedPhoto


def prepare_upload(photo: Path, name: str, registry: Registry | None) -> tuple[str, PreparedPhoto]:
    """Check the name and prepare the photo, storing nothing; raises `EnrolmentError`."""
    checked = check_name(name)
    if registry is None and tag_form(checked) != checked:
        raise EnrolmentError(
            f"the name {checked!r} cannot be an S3 tag value (only ASCII letters, digits, "
            "spaces and _ . : / = + - @) and no registry table is known to hold it",
            "pass --registry-table (stack output registryTable) or --stack current",
        )
    try:
        return checked, prepare(photo)
    except PhotoError as error:
        raise EnrolmentError(error.message, error.fix) from None


def _name_key(key: str) -> dict[str, Any]:
    return {"pk": {"S": f"{ENROLLED_NAME_PREFIX}{key}"}}


def enrolled_name(registry: Registry, key: str) -> tuple[str, str] | None:
    """(PersonName, TagValue) that `faces add` recorded for `key`, if any."""
    item = registry.dynamodb.get_item(TableName=registry.table, Key=_name_key(key)).get("Item")
    name = (item or {}).get(PERSON_NAME_ATTRIBUTE, {}).get("S")
    tag = (item or {}).get(ENROLLED_TAG_ATTRIBUTE, {}).get("S")
    return (str(name), str(tag)) if name and tag is not None else None


def upload(
    s3: Any,
    bucket: str,
    photo: Path,
    name: str,
    prefix: str = "",
    registry: Registry | None = None,
) -> Upload:
    """Put `photo` (prepared) in the faces bucket tagged with the tag form of `name` (tag Key =
    object key), the name itself first in the registry; raises `EnrolmentError` before
    storing anything when the name or photo is refused."""
    checked, prepared = prepare_upload(photo, name, registry)
    key = object_key(checked, photo, prefix, prepared.converted)
    tag = tag_form(checked)
    existed = _exists(s3, bucket, key)
    if registry is not None:
        item = {PERSON_NAME_ATTRIBUTE: {"S": checked}, ENROLLED_TAG_ATTRIBUTE: {"S": tag}}
        registry.dynamodb.put_item(TableName=registry.table, Item={**_name_key(key), **item})
    try:
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=prepared.body,
            ContentType=prepared.content_type,
            Tagging=urlencode({key: tag}),
        )
    except Exception:
        # Nothing of a refused upload stays: moto stores the object even when it refuses its
        # tags (AWS does not), and the name item goes with it. A refused re-upload of an
        # enrolled photo leaves that photo alone.
        if not existed:
            if _exists(s3, bucket, key):
                s3.delete_object(Bucket=bucket, Key=key)
            if registry is not None:
                registry.dynamodb.delete_item(TableName=registry.table, Key=_name_key(key))
        raise
    return Upload(key, checked, prepared)


def _exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except Exception:
        return False
    return True


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
    s3: Any,
    bucket: str,
    photo: Path,
    name: str,
    *,
    prefix: str = "",
    timeout: float,
    registry: Registry | None = None,
) -> tuple[Upload, str]:
    """Upload `photo` for `name` and wait for its indexing outcome: (upload, outcome).
    Raises `IndexingTimeout` when the workflow has not tagged it within `timeout` seconds."""
    uploaded = upload(s3, bucket, photo, name, prefix, registry)
    status = wait_for_outcome(s3, bucket, uploaded.key, timeout)
    if status is None:
        raise IndexingTimeout(uploaded.key, timeout)
    return uploaded, status


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
