"""Snapshot uploads for edge records: the frame and each face crop, as JPEG, to S3.

Keys follow the contract in `workflows/records.py`:
`snapshots/<camera>/<epoch-ms>/frame.jpg` and `.../face-<i>.jpg`, where `<epoch-ms>`
is the record's FragmentNumber and `face-<i>` is the crop of `FaceSearchResponse[i]`.
"""

from __future__ import annotations

from typing import Any

from facewatch.workflows.records import SNAPSHOT_PREFIX

from .errors import AgentError, error_code
from .search import raise_for_aws_error


def snapshot_keys(camera: str, epoch_ms: int, faces: int) -> tuple[str, list[str]]:
    folder = f"{SNAPSHOT_PREFIX}{camera}/{epoch_ms}"
    return f"{folder}/frame.jpg", [f"{folder}/face-{i}.jpg" for i in range(faces)]


class SnapshotUploader:
    def __init__(self, s3_client: Any, bucket: str, camera: str) -> None:
        self.s3 = s3_client
        self.bucket = bucket
        self.camera = camera
        self.uploaded = 0

    def upload(self, epoch_ms: int, frame_jpeg: bytes, crops: list[bytes]) -> dict[str, Any]:
        """Upload the frame and crops; return the record's `FacewatchSnapshot` object."""
        frame_key, face_keys = snapshot_keys(self.camera, epoch_ms, len(crops))
        for key, body in [(frame_key, frame_jpeg), *zip(face_keys, crops, strict=True)]:
            try:
                # Encryption at rest is the bucket's default (SSE); nothing to pass here.
                self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="image/jpeg")
            except Exception as exc:
                _raise_for_s3_error(exc, self.bucket)
                raise
            self.uploaded += 1
        return {"Bucket": self.bucket, "FrameKey": frame_key, "FaceKeys": face_keys}


def _raise_for_s3_error(exc: BaseException, bucket: str) -> None:
    # PutObject names a missing bucket NoSuchBucket; HeadBucket has no body, so just 404.
    if error_code(exc) in {"404", "NoSuchBucket"}:
        raise AgentError(
            f"snapshot bucket {bucket!r} not found",
            "pass the audit bucket from the stack output with --snapshot-bucket",
        ) from exc
    raise_for_aws_error(exc)


def check_bucket(s3_client: Any, bucket: str) -> None:
    """Fail fast with an AgentError when the snapshot bucket is missing or unreachable."""
    try:
        s3_client.head_bucket(Bucket=bucket)
    except Exception as exc:
        # HeadBucket needs s3:ListBucket, which the stack's camera-agent policy does not grant
        # (the agent only writes under snapshots/). A 403 still proves the bucket exists; a
        # missing write permission then surfaces as one clear error on the first upload.
        if error_code(exc) in {"403", "AccessDenied", "Forbidden"}:
            return
        _raise_for_s3_error(exc, bucket)
        raise
