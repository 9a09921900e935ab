"""Steps shared by the demo, the end-to-end tests and the benchmark, through the endpoint.

Each step uses the public interfaces only (S3 uploads with tags, the Rekognition stream
processor API, Step Functions listings, the audit bucket), exactly as a user would.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from facewatch import enrolment
from facewatch.workflows.records import processor_name

from .notifications import Alert, AuditWatcher
from .server import LocalMode

# What `export_bucket` copies out of the audit bucket (moto keeps it in memory only).
EXPORTED_PREFIXES = ("audit/", "snapshots/")


class ScenarioError(RuntimeError):
    """A step that did not reach its outcome, with what to do about it (`fix`)."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.fix = fix


class StepTimeout(ScenarioError, TimeoutError):
    """A step still waiting for its outcome when its time ran out."""


def enrol(local: LocalMode, photo: Path, name: str, timeout: float = 60.0) -> tuple[str, str]:
    """`facewatch faces add`'s steps: upload `photo` tagged with `name`, wait for the
    indexing outcome tag. Returns (key, outcome)."""
    registry = enrolment.Registry(local.client("dynamodb"), local.resources.registry_table)
    try:
        uploaded, outcome = enrolment.enrol(
            local.client("s3"),
            local.resources.faces_bucket,
            photo,
            name,
            timeout=timeout,
            registry=registry,
        )
        return uploaded.key, outcome
    except enrolment.EnrolmentError as error:
        raise ScenarioError(error.message, error.fix) from None
    except enrolment.IndexingTimeout as error:
        raise StepTimeout(str(error), error.fix) from None


def remove(local: LocalMode, key: str, timeout: float = 60.0) -> None:
    """`facewatch faces remove`'s steps: delete a photo, wait until its faces are gone from
    the registry (the indexing workflow deleted them from the collection)."""
    local.client("s3").delete_object(Bucket=local.resources.faces_bucket, Key=key)
    table = local.resources.registry_table
    if not enrolment.wait_faces_deleted(local.client("dynamodb"), table, [key], timeout):
        raise StepTimeout(
            f"{key} still registered {timeout:.0f}s after its deletion",
            "see the indexing execution with `facewatch executions list --workflow indexing`",
        )


def wait_pipe_settled(local: LocalMode, deadline: float = math.inf) -> None:
    """Wait until the Pipe's read count stops moving (it has read what was written so far),
    or until `deadline` (a `time.monotonic()` value)."""
    if local.pipe is None:
        return
    while time.monotonic() < deadline:
        before = local.pipe.stats.records_read
        time.sleep(max(0.3, 3 * local.pipe_poll_interval))
        if local.pipe.stats.records_read == before:
            return


def stream_camera(
    local: LocalMode,
    camera: str,
    *,
    watcher: AuditWatcher,
    on_alert: Callable[[Alert], None] = lambda alert: None,
    timeout: float = 120.0,
) -> list[Alert]:
    """Start the camera's stream processor (runs the agent on its source) and wait until
    the source ended and every execution it caused finished; returns the new alerts."""
    rekognition = local.client("rekognition")
    name = processor_name(camera)
    rekognition.start_stream_processor(Name=name)
    alerts: list[Alert] = []
    deadline = time.monotonic() + timeout

    def drain() -> None:
        for alert in watcher.poll():
            alerts.append(alert)
            on_alert(alert)

    while time.monotonic() < deadline:
        drain()
        status = rekognition.describe_stream_processor(Name=name)["Status"]
        if status in ("STOPPED", "FAILED"):
            break
        time.sleep(0.3)
    # Let the pipe read the last records, then wait for the executions to finish.
    wait_pipe_settled(local, deadline)
    local.wait_idle(max(1.0, deadline - time.monotonic()))
    drain()
    description = rekognition.describe_stream_processor(Name=name)
    if description["Status"] == "FAILED":
        raise ScenarioError(
            f"camera {camera} failed: {description.get('StatusMessage')}",
            "check the camera's video source (a readable file, webcam or stream URL)",
        )
    return alerts


def export_bucket(
    s3: Any, bucket: str, folder: Path, prefixes: tuple[str, ...] = EXPORTED_PREFIXES
) -> dict[str, int]:
    """Copy the objects under each prefix to `folder/<key>`; returns the count per prefix."""
    counts = dict.fromkeys(prefixes, 0)
    paginator = s3.get_paginator("list_objects_v2")
    for prefix in prefixes:
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                _download(s3, bucket, obj["Key"], folder)
                counts[prefix] += 1
    return counts


def save_snapshot(s3: Any, snapshot: str | None, folder: Path) -> Path | None:
    """Copy an alert's snapshot (`s3://bucket/key`) to `folder/<key>`; its local path."""
    if not snapshot or not snapshot.startswith("s3://"):
        return None
    bucket, _, key = snapshot.removeprefix("s3://").partition("/")
    return _download(s3, bucket, key, folder) if key else None


def _download(s3: Any, bucket: str, key: str, folder: Path) -> Path:
    target = folder / key
    if ".." in Path(key).parts:  # keys come from the bucket: never write outside `folder`
        raise ValueError(f"refusing to export {key!r} outside {folder}")
    target.parent.mkdir(parents=True, exist_ok=True)
    body: Any = s3.get_object(Bucket=bucket, Key=key)["Body"]
    target.write_bytes(body.read())
    return target
