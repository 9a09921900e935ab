"""S3 objects: which moto calls change them, their state as a row, and how to put a row back.

Kept per object: bytes, content type and user metadata, ETag, last-modified date, storage
class, encryption settings, Object Lock mode/date/legal hold, checksum and tags. One current
version per key (the latest; a delete marker counts as deleted); ACLs are not kept.

Restoring puts a `FakeKey` straight into the bucket, never through PutObject: it sends no S3
notification (so no EventBridge event and no re-indexing) and keeps the saved ETag and date.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from .hooks import Patch, Ref, backend_for, from_json, iso, scope_of, to_json
from .store import Change, Deletion, Row, StateStore

log = logging.getLogger("facewatch.local.durable")


def _naive_utc(text: str) -> datetime:
    # moto's S3 keeps naive UTC datetimes (moto.core.utils.utcnow).
    return datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)


class S3Objects:
    kind = "s3"

    def __init__(self) -> None:
        from moto.s3.models import s3_backends

        self.backends = s3_backends

    def patches(self) -> list[Patch]:
        from moto.s3.models import S3Backend

        def named(args: dict[str, Any], _result: Any) -> Iterable[Ref]:
            backend = args["self"]
            scope = scope_of(backend.account_id, backend.region_name)
            yield self.kind, scope, args["bucket_name"], args["key_name"]

        def tagged(args: dict[str, Any], _result: Any) -> Iterable[Ref]:
            backend, key = args["self"], args["key"]
            scope = scope_of(backend.account_id, backend.region_name)
            yield self.kind, scope, key.bucket_name, key.name

        # CopyObject and CompleteMultipartUpload store through put_object (then set metadata
        # and tags: the request's end, when the object is read, sees them); DeleteObjects
        # deletes through delete_object.
        names = [
            "put_object",
            "delete_object",
            "delete_object_tagging",
            "put_object_legal_hold",
            "put_object_retention",
        ]
        return [Patch(S3Backend, name, named) for name in names] + [
            Patch(S3Backend, "put_object_tagging", tagged)
        ]

    def capture(self, ref: Ref, store: StateStore) -> list[Change]:
        from moto.s3.models import FakeKey

        kind, scope, bucket_name, key_name = ref
        assert key_name is not None
        backend = backend_for(self.backends, scope)
        bucket = backend.buckets.get(bucket_name)
        versions = bucket.keys.getlist(key_name, []) if bucket is not None else []
        key = versions[-1] if versions else None
        if not isinstance(key, FakeKey):  # none, or a delete marker
            return [Deletion(kind, scope, bucket_name, key_name)]
        meta = {
            "metadata": dict(key.metadata),
            "storage": key.storage_class,
            "etag": key.etag.strip('"'),
            "lastModified": iso(key.last_modified),
            "encryption": key.encryption,
            "kmsKeyId": key.kms_key_id,
            "bucketKeyEnabled": key.bucket_key_enabled,
            "lockMode": key.lock_mode,
            "lockLegalStatus": key.lock_legal_status,
            "lockUntil": key.lock_until,
            "checksumValue": key.checksum_value,
            "checksumAlgorithm": key.checksum_algorithm,
            "websiteRedirectLocation": key.website_redirect_location,
            "tags": backend.tagger.get_tag_dict_for_resource(key.arn),
        }
        return [Row(kind, scope, bucket_name, key_name, to_json(meta), key.value)]

    def restore(self, row: Row, store: StateStore) -> bool:
        from moto.s3.models import FakeKey

        backend = backend_for(self.backends, row.scope)
        bucket = backend.buckets.get(row.container)
        if bucket is None:
            log.warning("event=durable.skipped kind=s3 bucket=%s (no such bucket)", row.container)
            return False
        meta = from_json(row.meta)
        key = FakeKey(
            name=row.key,
            value=row.body or b"",
            account_id=backend.account_id,
            region_name=backend.region_name,
            storage=meta["storage"],
            etag=meta["etag"],
            is_versioned=bucket.is_versioned,
            version_id=str(uuid.uuid4()) if bucket.is_versioned else "null",
            bucket_name=row.container,
            encryption=meta["encryption"],
            kms_key_id=meta["kmsKeyId"],
            bucket_key_enabled=meta["bucketKeyEnabled"],
            lock_mode=meta["lockMode"],
            lock_legal_status=meta["lockLegalStatus"],
            lock_until=meta["lockUntil"],
            checksum_value=meta["checksumValue"],
        )
        key.set_metadata(meta["metadata"], replace=True)
        key.last_modified = _naive_utc(meta["lastModified"])
        key.checksum_algorithm = meta["checksumAlgorithm"]
        key.website_redirect_location = meta["websiteRedirectLocation"]
        bucket.keys.setlist(row.key, [key])
        if meta["tags"]:
            backend.tagger.tag_resource(
                key.arn, [{"Key": k, "Value": v} for k, v in meta["tags"].items()]
            )
        return True
