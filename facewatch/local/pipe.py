"""The local stand-in for the stack's EventBridge Pipe (moto does not run Pipes).

Reads the Kinesis data stream with GetShardIterator/GetRecords, keeps the records the
stack's filter keeps (same patterns, evaluated by `event_pattern`), and starts the
match workflow with the batch Pipes would send: a JSON array of Kinesis records, each
shaped as EventBridge Pipes delivers them (base64 `data`, `partitionKey`,
`sequenceNumber`, `approximateArrivalTimestamp` in epoch seconds, `eventSource`
"aws:kinesis", `eventSourceARN`, ...). See
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-kinesis.html.

Like Pipes, filtering sees `data` decoded as JSON when it is JSON (the record keeps
base64 `data` in the batch); a record whose data is not JSON never matches a pattern that
looks inside `data` (Pipes drop it: "Plain string" data with a JSON `data` pattern, see
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-event-filtering.html).
Batch size comes from `workflows.pipe_settings`, as the stack's Pipe does.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from workflows import pipe_settings

from .event_pattern import load_pattern, matches

log = logging.getLogger("facewatch.local.pipe")

DEFAULT_BATCH_SIZE = pipe_settings.BATCH_SIZE


def pipe_record(
    record: Mapping[str, Any],
    *,
    shard_id: str,
    stream_arn: str,
    region: str,
    role_arn: str,
) -> dict[str, Any]:
    """One GetRecords record as EventBridge Pipes hands it to its target."""
    data = record["Data"]
    if isinstance(data, str):
        data = data.encode("utf-8")
    arrival = record["ApproximateArrivalTimestamp"]
    epoch = arrival.timestamp() if hasattr(arrival, "timestamp") else float(arrival)
    sequence = record["SequenceNumber"]
    return {
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{sequence}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": role_arn,
        "awsRegion": region,
        "eventSourceARN": stream_arn,
        "kinesisSchemaVersion": "1.0",
        "partitionKey": record["PartitionKey"],
        "sequenceNumber": sequence,
        "data": base64.b64encode(data).decode("ascii"),
        "approximateArrivalTimestamp": float(epoch),
    }


def _json_data(record: Mapping[str, Any]) -> tuple[bool, Any]:
    """Whether `data` is base64 JSON, and its decoded value when it is."""
    with contextlib.suppress(binascii.Error, ValueError, UnicodeDecodeError, TypeError):
        return True, json.loads(base64.b64decode(record.get("data"), validate=True))
    return False, record.get("data")


def filter_view(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record as the filter sees it: `data` decoded when it holds JSON."""
    # Not base64 JSON: `data` stays a string, and `keep` lets no `data` pattern match it.
    return {**record, "data": _json_data(record)[1]}


def keep(record: Mapping[str, Any], patterns: Sequence[Mapping[str, Any]]) -> bool:
    """Pipes' rule: no filter keeps everything, else any one pattern must match; a pattern
    on `data` never matches a record whose data is not JSON (Pipes drop such a record)."""
    if not patterns:
        return True
    is_json, data = _json_data(record)
    view = {**record, "data": data}
    return any(matches(pattern, view) for pattern in patterns if is_json or "data" not in pattern)


def batches(records: Sequence[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(records), size):
        yield list(records[start : start + size])


def patterns_from_filter_criteria(criteria: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """`{"Filters": [{"Pattern": "<json>"}]}` (the Pipe's FilterCriteria) to parsed patterns."""
    if not criteria:
        return []
    return [dict(load_pattern(item["Pattern"])) for item in criteria.get("Filters", [])]


@dataclass
class PipeStats:
    records_read: int = 0
    records_kept: int = 0
    batches_started: int = 0
    start_failures: int = 0
    millis_behind_latest: int = 0
    last_arrival_lag: float = 0.0
    executions: list[str] = field(default_factory=list)


class KinesisPipe:
    """Polls every shard of the stream and starts one execution per batch."""

    def __init__(
        self,
        *,
        kinesis: Any,
        stepfunctions: Any,
        stream_name: str,
        state_machine_arn: str,
        region: str,
        role_arn: str,
        patterns: Sequence[Mapping[str, Any]] = (),
        batch_size: int = DEFAULT_BATCH_SIZE,
        poll_interval: float = 0.2,
        on_batch: Callable[[list[dict[str, Any]], str], None] | None = None,
    ) -> None:
        self.kinesis = kinesis
        self.sfn = stepfunctions
        self.stream_name = stream_name
        self.state_machine_arn = state_machine_arn
        self.region = region
        self.role_arn = role_arn
        self.patterns = list(patterns)
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.on_batch = on_batch
        self.stats = PipeStats()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._iterators: dict[str, str] = {}
        self._stream_arn = ""

    def start(self) -> None:
        description = self.kinesis.describe_stream(StreamName=self.stream_name)
        stream = description["StreamDescription"]
        self._stream_arn = stream["StreamARN"]
        for shard in stream["Shards"]:
            # TRIM_HORIZON: the local stream is created with the pipe, so nothing
            # written before the pipe started is skipped.
            self._iterators[shard["ShardId"]] = self.kinesis.get_shard_iterator(
                StreamName=self.stream_name,
                ShardId=shard["ShardId"],
                ShardIteratorType="TRIM_HORIZON",
            )["ShardIterator"]
        self._thread = threading.Thread(target=self._loop, name="facewatch-pipe", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                got = self.poll_once()
            except Exception:
                log.exception("event=pipe.poll_failed stream=%s", self.stream_name)
                got = 0
            if not got:
                self._stop.wait(self.poll_interval)

    def poll_once(self) -> int:
        """Read each shard once; returns the number of records read."""
        total = 0
        for shard_id, iterator in list(self._iterators.items()):
            response = self.kinesis.get_records(ShardIterator=iterator, Limit=1000)
            self._iterators[shard_id] = response["NextShardIterator"]
            self.stats.millis_behind_latest = int(response.get("MillisBehindLatest", 0))
            records = [
                pipe_record(
                    raw,
                    shard_id=shard_id,
                    stream_arn=self._stream_arn,
                    region=self.region,
                    role_arn=self.role_arn,
                )
                for raw in response["Records"]
            ]
            total += len(records)
            self.stats.records_read += len(records)
            if records:
                self.stats.last_arrival_lag = (
                    time.time() - records[-1]["approximateArrivalTimestamp"]
                )
            kept = [record for record in records if keep(record, self.patterns)]
            self.stats.records_kept += len(kept)
            for batch in batches(kept, self.batch_size):
                self._start(batch)
        return total

    def _start(self, batch: list[dict[str, Any]]) -> None:
        # Pipes retries a failing target; so does this adapter, then logs the whole
        # batch (replayable) rather than dropping it silently.
        payload = json.dumps(batch)
        for attempt in range(5):
            try:
                response = self.sfn.start_execution(
                    stateMachineArn=self.state_machine_arn,
                    name=str(uuid.uuid4()),  # moto needs a name; Pipes passes a UUID too
                    input=payload,
                )
            except Exception as exc:
                log.warning("event=pipe.start_failed attempt=%d error=%s", attempt + 1, exc)
                time.sleep(0.2 * 2**attempt)
                continue
            self.stats.batches_started += 1
            self.stats.executions.append(response["executionArn"])
            if self.on_batch is not None:
                self.on_batch(batch, response["executionArn"])
            return
        self.stats.start_failures += 1
        log.error("event=pipe.batch_undelivered batch=%s", payload)
