"""Watching the alerts the pipeline produces, from its audit records.

Every handled match ends in one audit object (`audit/YYYY/MM/DD/<execution>/...json`)
holding the person, camera, similarity, dedupe outcome (notified/suppressed), each
channel's outcome and the snapshot: the one place that says what was sent where. The
demo, the end-to-end tests and the benchmark read alerts from there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from facewatch.workflows.records import AUDIT_PREFIX

# The match workflow's audit records say "notified" or "suppressed"; indexing outcomes and
# malformed-record reports are audit records too, but not alerts.
MATCH_OUTCOMES = ("notified", "suppressed")


@dataclass(frozen=True)
class Alert:
    key: str
    outcome: str
    name: str
    camera: str
    similarity: float | None
    channels: tuple[tuple[str, str], ...]
    snapshot: str | None
    document: dict[str, Any] = field(repr=False, compare=False)


def alert_from_audit(key: str, document: dict[str, Any]) -> Alert:
    person = document.get("person")
    name = person.get("Name") if isinstance(person, dict) else person
    similarity = document.get("similarity")
    if isinstance(similarity, list):  # moto may wrap an indexed path's value in a list
        similarity = similarity[0] if similarity else None
    channels = tuple(
        (str(c.get("Channel", "?")), str(c.get("Outcome", "?")))
        for c in document.get("channels") or []
        if isinstance(c, dict)
    )
    snapshot = document.get("snapshot")
    snapshot_path = None
    if isinstance(snapshot, dict):
        snapshot_path = snapshot.get("key") or snapshot.get("Key") or snapshot.get("url")
        bucket = snapshot.get("bucket") or snapshot.get("Bucket")
        if bucket and snapshot_path and not str(snapshot_path).startswith("http"):
            snapshot_path = f"s3://{bucket}/{snapshot_path}"
    return Alert(
        key=key,
        outcome=str(document.get("outcome", "?")),
        name=str(name or "?"),
        camera=str(document.get("camera", "?")),
        similarity=float(similarity) if isinstance(similarity, int | float) else None,
        channels=channels,
        snapshot=str(snapshot_path) if snapshot_path else None,
        document=document,
    )


class AuditWatcher:
    """Yields each new audit record of the bucket once."""

    def __init__(self, s3: Any, bucket: str) -> None:
        self.s3 = s3
        self.bucket = bucket
        self.seen: set[str] = set()
        self.alerts: list[Alert] = []
        self.other_records = 0  # audit records of other kinds (indexing outcomes, malformed)

    def poll(self) -> list[Alert]:
        new: list[Alert] = []
        paginator = self.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=AUDIT_PREFIX):
            for obj in page.get("Contents", []):
                key = obj["Key"]
                if key in self.seen:
                    continue
                self.seen.add(key)
                body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
                try:
                    document = json.loads(body)
                except ValueError:
                    document = None
                if isinstance(document, dict) and document.get("outcome") in MATCH_OUTCOMES:
                    new.append(alert_from_audit(key, document))
                else:
                    self.other_records += 1
        self.alerts.extend(new)
        return new
