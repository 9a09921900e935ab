"""Where records go: Kinesis Data Streams (PutRecords in batches) or a list (tests).

`KinesisSink` batches up to 500 records / 5 MiB per PutRecords call and flushes at
least every `linger` seconds, so an alert never waits for a full batch. Entries that
PutRecords rejects (FailedRecordCount > 0, e.g. throughput exceeded) are retried alone,
a bounded number of times with exponential backoff (tenacity runs the schedule); what
still fails is logged at ERROR level with the full record (so it can be replayed) and
counted in `undelivered`: nothing is dropped silently.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_result,
    stop_after_attempt,
    wait_exponential,
)

from .errors import AgentError
from .logs import log_event
from .search import raise_for_aws_error

log = logging.getLogger("facewatch.agent.sink")

MAX_BATCH_RECORDS = 500  # PutRecords limit
MAX_BATCH_BYTES = 5 * 1024 * 1024  # PutRecords limit (data + partition keys)
MAX_RECORD_BYTES = 1024 * 1024  # one record's data blob


class RecordSink(Protocol):
    sent: int
    undelivered: int

    def put(self, record: dict[str, Any], partition_key: str) -> None: ...

    def tick(self) -> None: ...

    def flush(self) -> None: ...


class ListSink:
    """Keeps records in memory, in order (tests, dry runs)."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.partition_keys: list[str] = []
        self.sent = 0
        self.undelivered = 0

    def put(self, record: dict[str, Any], partition_key: str) -> None:
        self.records.append(record)
        self.partition_keys.append(partition_key)
        self.sent += 1

    def tick(self) -> None:
        return None

    def flush(self) -> None:
        return None


def encode_record(record: dict[str, Any]) -> bytes:
    return json.dumps(record, separators=(",", ":")).encode("utf-8")


class KinesisSink:
    def __init__(
        self,
        client: Any,
        stream_name: str,
        *,
        batch_size: int = MAX_BATCH_RECORDS,
        linger: float = 1.0,
        max_attempts: int = 5,
        base_delay: float = 0.2,
        max_delay: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.stream_name = stream_name
        self.batch_size = min(batch_size, MAX_BATCH_RECORDS)
        self.linger = linger
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._clock = clock
        self._sleep = sleep
        self._pending: list[dict[str, Any]] = []
        self._pending_bytes = 0
        self._oldest: float | None = None
        self.sent = 0
        self.undelivered = 0

    def put(self, record: dict[str, Any], partition_key: str) -> None:
        data = encode_record(record)
        if len(data) > MAX_RECORD_BYTES:
            self.undelivered += 1
            log_event(
                log, logging.ERROR, "sink.record_too_large", bytes=len(data), record=data.decode()
            )
            return
        size = len(data) + len(partition_key.encode())
        if self._pending and self._pending_bytes + size > MAX_BATCH_BYTES:
            self.flush()
        self._pending.append({"Data": data, "PartitionKey": partition_key})
        self._pending_bytes += size
        if self._oldest is None:
            self._oldest = self._clock()
        if len(self._pending) >= self.batch_size:
            self.flush()

    def tick(self) -> None:
        """Flush when the oldest pending record has waited `linger` seconds."""
        if self._oldest is not None and self._clock() - self._oldest >= self.linger:
            self.flush()

    def flush(self) -> None:
        entries, self._pending = self._pending, []
        self._pending_bytes = 0
        self._oldest = None
        if entries:
            self._deliver(entries)

    def _deliver(self, entries: list[dict[str, Any]]) -> None:
        """Send `entries`; re-send only the rejected ones on tenacity's backoff schedule."""
        remaining = entries

        def attempt() -> list[tuple[dict[str, Any], str]]:
            nonlocal remaining
            failed = self._put_once(remaining)
            remaining = [entry for entry, _ in failed]
            return failed

        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=wait_exponential(multiplier=self.base_delay, max=self.max_delay),
            # Retry while entries were rejected; an exception (missing stream, no
            # credentials) is not retried here: botocore already retries throttled calls.
            retry=retry_if_result(bool),
            before_sleep=self._log_retry,
            # Out of attempts: hand back what still fails, to be reported below.
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else [],
            sleep=self._sleep,
        )
        failed = retrying(attempt)
        self.undelivered += len(failed)
        for entry, code in failed:
            log_event(
                log,
                logging.ERROR,
                "sink.undelivered",
                stream=self.stream_name,
                code=code,
                attempts=self.max_attempts,
                record=entry["Data"].decode("utf-8"),
            )

    def _put_once(self, entries: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str]]:
        """One PutRecords call; the entries it rejected, each with its error code."""
        try:
            response = self.client.put_records(StreamName=self.stream_name, Records=entries)
        except Exception as exc:
            raise_for_aws_error(exc, stream=self.stream_name)
            raise
        results = response.get("Records", [])
        failed = [
            (entry, str(result["ErrorCode"]))
            for entry, result in zip(entries, results, strict=True)
            if result.get("ErrorCode")
        ]
        self.sent += len(entries) - len(failed)
        return failed

    def _log_retry(self, state: RetryCallState) -> None:
        failed = state.outcome.result() if state.outcome else []
        log_event(
            log,
            logging.WARNING,
            "sink.retry",
            stream=self.stream_name,
            failed=len(failed),
            attempt=state.attempt_number + 1,
            delay_s=state.next_action.sleep if state.next_action else 0.0,
            codes=",".join(sorted({code for _, code in failed})),
        )


def check_stream(client: Any, stream_name: str) -> None:
    """Fail fast with an AgentError when the stream is missing or unreachable."""
    try:
        summary = client.describe_stream_summary(StreamName=stream_name)
    except Exception as exc:
        raise_for_aws_error(exc, stream=stream_name)
        raise
    status = summary["StreamDescriptionSummary"]["StreamStatus"]
    if status not in {"ACTIVE", "UPDATING"}:
        raise AgentError(
            f"Kinesis data stream {stream_name!r} is {status}",
            "wait until the stream is ACTIVE (pulumi up creates it) and start again",
        )
