"""The local stand-in for S3 -> EventBridge -> the indexing workflow.

moto records S3 notifications but never delivers EventBridge events to Step Functions.
This adapter hooks moto's S3 notification point (`moto.s3.notifications.send_event`,
called by moto for every object created, deleted or tagged), keeps the events of the
watched buckets, and, on a worker thread (never inside moto's request), starts the
indexing workflow with the event EventBridge would deliver:
https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html

    {"version": "0", "id", "detail-type": "Object Created" | "Object Deleted",
     "source": "aws.s3", "account", "time", "region", "resources": [bucket ARN],
     "detail": {"version": "0", "bucket": {"name"}, "object": {"key", "size", "etag", ...},
                "request-id", "requester", "reason", ...}}

Tagging events are not forwarded (the stack's rule only matches Object Created and
Object Deleted) but are reported to `on_change`, which the local mode uses to keep its
on-disk copy of the faces bucket (see `faces_store.py`).

Delivery follows the stack's rule target: StartExecution is retried (tenacity), then the
event goes to the DLQ as EventBridge sends it there (the event as the message body; the
error, rule and target as message attributes). The stack retries 185 times over a day
(`infra/triggers.py`); locally `RETRY_ATTEMPTS` bounds it, since a local endpoint that keeps
refusing for that long is down, not busy.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .delivery import DEFAULT_WAIT, DeadLetters, with_retries

log = logging.getLogger("facewatch.local.s3_events")
RETRY_ATTEMPTS = 8

OBJECT_CREATED = "Object Created"
OBJECT_DELETED = "Object Deleted"
_REASONS = {
    "ObjectCreated:Put": "PutObject",
    "ObjectCreated:Post": "POST Object",
    "ObjectCreated:Copy": "CopyObject",
    "ObjectCreated:CompleteMultipartUpload": "CompleteMultipartUpload",
    "ObjectRemoved:Delete": "DeleteObject",
    "ObjectRemoved:DeleteMarkerCreated": "DeleteObject",
}


def s3_event(
    detail_type: str,
    *,
    bucket: str,
    key: str,
    region: str,
    account: str,
    etag: str | None = None,
    size: int | None = None,
    reason: str | None = None,
    event_id: str | None = None,
    when: datetime | None = None,
) -> dict[str, Any]:
    """The EventBridge event S3 sends for one object (keys are not URL-encoded)."""
    obj: dict[str, Any] = {"key": key}
    if size is not None:
        obj["size"] = size
    if etag is not None:
        obj["etag"] = etag.strip('"')
    obj["sequencer"] = f"{time.time_ns():018X}"
    detail: dict[str, Any] = {
        "version": "0",
        "bucket": {"name": bucket},
        "object": obj,
        "request-id": uuid.uuid4().hex[:16].upper(),
        "requester": account,
        "source-ip-address": "127.0.0.1",
        "reason": reason or ("PutObject" if detail_type == OBJECT_CREATED else "DeleteObject"),
    }
    if detail_type == OBJECT_DELETED:
        detail["deletion-type"] = "Permanently Deleted"
    moment = when or datetime.now(UTC)
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": "aws.s3",
        "account": account,
        "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": detail,
    }


def detail_type_for(event_name: str) -> str | None:
    """moto's event name (`s3:ObjectCreated:Put`, ...) to the EventBridge detail-type."""
    if ":ObjectCreated:" in event_name:
        return OBJECT_CREATED
    if ":ObjectRemoved:" in event_name:
        return OBJECT_DELETED
    return None


@dataclass
class S3EventStats:
    forwarded: int = 0
    failures: int = 0
    dead_lettered: int = 0
    executions: list[str] = field(default_factory=list)


class S3EventBridge:
    """Hooks moto's S3 notifications and starts the indexing workflow for each event."""

    def __init__(
        self,
        *,
        stepfunctions: Any,
        state_machine_arn: str,
        buckets: Iterable[str],
        region: str,
        account: str,
        on_change: Callable[[str, str, str], None] | None = None,
        dead_letters: DeadLetters | None = None,
        retry_attempts: int = RETRY_ATTEMPTS,
        retry_wait: Any = DEFAULT_WAIT,
        retry_sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.sfn = stepfunctions
        self.state_machine_arn = state_machine_arn
        self.buckets = set(buckets)
        self.region = region
        self.account = account
        self.on_change = on_change
        self.dead_letters = dead_letters or DeadLetters()
        self.retry_attempts = retry_attempts
        self.retry_wait = retry_wait
        self.retry_sleep = retry_sleep
        self.stats = S3EventStats()
        self._queue: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._original: Callable[..., Any] | None = None
        self._idle = threading.Event()
        self._idle.set()

    # moto side: runs inside moto's request; only enqueue.
    def _hook(self, account_id: str, event_name: Any, bucket: Any, key: Any) -> None:
        try:
            name = getattr(event_name, "value", str(event_name))
            if bucket.name in self.buckets and key is not None:
                item = self._event_for(name, bucket.name, key)
                if item is not None:
                    self._idle.clear()
                    self._queue.put(item)
        except Exception:  # never break moto's request over a notification
            log.exception("event=s3_events.hook_failed")
        assert self._original is not None
        self._original(account_id, event_name, bucket, key)

    def _event_for(self, name: str, bucket: str, key: Any) -> tuple[str, dict[str, Any]] | None:
        kind = detail_type_for(name)
        if kind is not None:
            return kind, s3_event(
                kind,
                bucket=bucket,
                key=key.name,
                region=self.region,
                account=self.account,
                etag=key.etag,
                size=key.size if kind == OBJECT_CREATED else None,
                reason=_REASONS.get(name.removeprefix("s3:")),
            )
        if "ObjectTagging" in name:
            return "tagging", {"detail": {"bucket": {"name": bucket}, "object": {"key": key.name}}}
        return None

    def install(self) -> S3EventBridge:
        from moto.s3 import notifications

        self._original = notifications.send_event
        notifications.send_event = self._hook
        self._thread = threading.Thread(target=self._work, name="facewatch-s3-events", daemon=True)
        self._thread.start()
        return self

    def uninstall(self) -> None:
        from moto.s3 import notifications

        if self._original is not None:
            notifications.send_event = self._original
            self._original = None
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout=10)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until every hooked event has been forwarded (tests, `up`)."""
        return self._idle.wait(timeout)

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            kind, event = item
            try:
                if kind != "tagging":
                    self._forward(event)
                if self.on_change is not None:
                    detail = event["detail"]
                    self.on_change(kind, detail["bucket"]["name"], detail["object"]["key"])
            except Exception:
                log.exception("event=s3_events.forward_failed")
            finally:
                if self._queue.empty():
                    self._idle.set()

    def _forward(self, event: dict[str, Any]) -> None:
        try:
            response = with_retries(
                lambda: self.sfn.start_execution(
                    stateMachineArn=self.state_machine_arn,
                    # EventBridge targets get a generated name; moto needs one passed.
                    name=event["id"],
                    input=json.dumps(event),
                ),
                attempts=self.retry_attempts,
                wait=self.retry_wait,
                sleep=self.retry_sleep,
                what="s3_events.start",
            )
        except Exception as error:
            self.stats.failures += 1
            log.error("event=s3_events.dead_letter id=%s error=%s", event["id"], error)
            code = getattr(error, "response", {}).get("Error", {}).get("Code")
            self.dead_letters.send(
                event,
                {
                    "ERROR_CODE": str(code or type(error).__name__),
                    "ERROR_MESSAGE": str(error)[:1000],
                    "TARGET_ARN": self.state_machine_arn,
                },
            )
            self.stats.dead_lettered += 1
            return
        self.stats.forwarded += 1
        self.stats.executions.append(response["executionArn"])
