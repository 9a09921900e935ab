"""An on-disk copy of the faces bucket, so `down` then `up` keeps enrolled people.

moto keeps S3 and DynamoDB in memory. The local face engine persists its collection
by itself, but the faces bucket (photos and their name tags) and the registry table
would be lost; so every change to the faces bucket is mirrored here, and `up`
uploads the photos again with their tags. Those uploads go through the normal path
(S3 event -> indexing workflow), which rebuilds the registry exactly as the first
enrolment did.

Layout: `<folder>/<sha256 of key>.json` holds `{"key", "tags", "contentType"}` and
`<sha256 of key>.bin` the object's bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from facewatch.workflows.indexing import STATUS_TAG


@dataclass(frozen=True)
class StoredFace:
    key: str
    body: bytes
    tags: dict[str, str]
    content_type: str | None


class FacesStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def _stem(self, key: str) -> Path:
        return self.folder / hashlib.sha256(key.encode("utf-8")).hexdigest()

    def save(self, key: str, body: bytes, tags: dict[str, str], content_type: str | None) -> None:
        stem = self._stem(key)
        stem.with_suffix(".bin").write_bytes(body)
        meta = {"key": key, "tags": tags, "contentType": content_type}
        stem.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")

    def delete(self, key: str) -> None:
        stem = self._stem(key)
        stem.with_suffix(".json").unlink(missing_ok=True)
        stem.with_suffix(".bin").unlink(missing_ok=True)

    def __iter__(self) -> Iterator[StoredFace]:
        for meta_file in sorted(self.folder.glob("*.json")):
            meta = json.loads(meta_file.read_text("utf-8"))
            body_file = meta_file.with_suffix(".bin")
            if body_file.exists():
                yield StoredFace(
                    meta["key"], body_file.read_bytes(), meta["tags"], meta.get("contentType")
                )

    def mirror(self, s3: Any, bucket: str, kind: str, key: str) -> None:
        """Bring the copy of `key` in line with the bucket after an S3 event."""
        try:
            obj = s3.get_object(Bucket=bucket, Key=key)
            tags = s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
        except s3.exceptions.NoSuchKey:
            self.delete(key)
            return
        self.save(
            key,
            obj["Body"].read(),
            {tag["Key"]: tag["Value"] for tag in tags},
            obj.get("ContentType"),
        )

    def restore(self, s3: Any, bucket: str) -> int:
        """Upload every stored photo with its name tags; returns how many.

        The indexing outcome tag is left out: the indexing workflow sets it again.
        """
        from urllib.parse import urlencode

        count = 0
        for face in self:
            tags = {k: v for k, v in face.tags.items() if k != STATUS_TAG}
            kwargs: dict[str, Any] = {"Bucket": bucket, "Key": face.key, "Body": face.body}
            if tags:
                kwargs["Tagging"] = urlencode(tags)
            if face.content_type:
                kwargs["ContentType"] = face.content_type
            s3.put_object(**kwargs)
            count += 1
        return count
