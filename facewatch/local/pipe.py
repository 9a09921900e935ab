"""The local stand-in for the stack's EventBridge Pipe (moto does not run Pipes).

Reads the Kinesis data stream with GetShardIterator/GetRecords, keeps the records the
stack's filter keeps (same patterns, evaluated by `event_pattern`), hands each batch to the
enrichment as Pipes would send it: a JSON array of Kinesis records, each shaped as
EventBridge Pipes delivers them (base64 `data`, `partitionKey`, `sequenceNumber`,
`approximateArrivalTimestamp` in epoch seconds, `eventSource` "aws:kinesis",
`eventSourceARN`, ...; see
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-kinesis.html), and starts
the match workflow with what the enrichment returns: the stack's decode Lambda
(`decode_enrichment`, handlers/decode.py run in-process). Like Step Functions, it refuses an
execution input over `EXECUTION_INPUT_LIMIT`.

Like Pipes, filtering sees `data` decoded as JSON when it is JSON (the record keeps
base64 `data` in the batch); a record whose data is not JSON never matches a pattern that
looks inside `data` (Pipes drop it: "Plain string" data with a JSON `data` pattern, see
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-event-filtering.html).
Batching, retries and the dead-letter queue follow `workflows.pipe_settings`, the values the
stack's Pipe is deployed with: records are buffered per shard until `BATCH_SIZE` are kept or
`BATCHING_WINDOW_SECONDS` passed since the first one; StartExecution is retried (tenacity)
`MAXIMUM_RETRY_ATTEMPTS` times after the first failure (the enrichment with it: Pipes rerun
the whole pipe on a retry); a batch still failing, and any record
older than `MAXIMUM_RECORD_AGE_SECONDS`, goes to the DLQ with its shard id and sequence
numbers in `KinesisBatchInfo`, as Pipes' DLQ message carries them (the local message also
holds the records themselves, since moto's stream is lost on `down`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from facewatch.handlers import decode
from facewatch.workflows import pipe_settings
from facewatch.workflows.records import OFFLOAD_PREFIX

from .delivery import DEFAULT_WAIT, DeadLetters, with_retries
from .pipe_records import (
    dead_letter_message,
    filter_view,
    keep,
    patterns_from_filter_criteria,
    pipe_record,
)

__all__ = [
    "ExecutionInputTooLarge",
    "KinesisPipe",
    "PipeStats",
    "dead_letter_message",
    "decode_enrichment",
    "execution_input",
    "filter_view",
    "keep",
    "patterns_from_filter_criteria",
    "pipe_record",
]

log = logging.getLogger("facewatch.local.pipe")

DEFAULT_BATCH_SIZE = pipe_settings.BATCH_SIZE
RETRIES_EXHAUSTED = "RetryAttemptsExhausted"
RECORD_TOO_OLD = "RecordAgeExceeded"
Enrichment = Callable[[list[dict[str, Any]]], Any]


class ExecutionInputTooLarge(ValueError):
    """Step Functions refuses an execution input over its limit (States.DataLimitExceeded)."""


def decode_enrichment(s3: Any, *, audit_bucket: str, unknown_face_alerts: bool) -> Enrichment:
    """The stack's enrichment (handlers/decode.py) as the Pipe invokes it, configured as
    infra/decode_function.py configures the Lambda, writing offloaded records with `s3`."""
    settings = decode.Settings(
        unknown_face_alerts=unknown_face_alerts,
        audit_bucket=audit_bucket,
        offload_prefix=OFFLOAD_PREFIX,
    )
    writer = decode.s3_writer(s3)
    return lambda records: decode.enrich(records, settings, writer)


def execution_input(payload: Any) -> str:
    """The execution input as Step Functions accepts it, or `ExecutionInputTooLarge`."""
    text = json.dumps(payload)
    size = len(text.encode("utf-8"))
    if size > pipe_settings.EXECUTION_INPUT_LIMIT:
        raise ExecutionInputTooLarge(
            f"execution input of {size} bytes exceeds {pipe_settings.EXECUTION_INPUT_LIMIT}"
        )
    return text


@dataclass
class PipeStats:
    records_read: int = 0
    records_kept: int = 0
    batches_started: int = 0
    start_failures: int = 0
    records_dead_lettered: int = 0
    millis_behind_latest: int = 0
    last_arrival_lag: float = 0.0
    executions: list[str] = field(default_factory=list)
    # The size (UTF-8 bytes) of each execution input it started the workflow with.
    input_sizes: list[int] = field(default_factory=list)


@dataclass
class _Buffer:
    records: list[dict[str, Any]] = field(default_factory=list)
    since: float = 0.0  # clock time the oldest buffered record was read


class KinesisPipe:
    """Polls every shard of the stream and starts one execution per batch.

    `clock` (epoch seconds) and `retry_wait`/`retry_sleep` (tenacity) are injectable so
    tests drive the batching window, record age and retries without sleeping.
    """

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
        enrichment: Enrichment | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        batching_window: float = pipe_settings.BATCHING_WINDOW_SECONDS,
        maximum_retry_attempts: int = pipe_settings.MAXIMUM_RETRY_ATTEMPTS,
        maximum_record_age: float = pipe_settings.MAXIMUM_RECORD_AGE_SECONDS,
        dead_letters: DeadLetters | None = None,
        poll_interval: float = 0.2,
        on_batch: Callable[[list[dict[str, Any]], str], None] | None = None,
        clock: Callable[[], float] = time.time,
        retry_wait: Any = DEFAULT_WAIT,
        retry_sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.kinesis = kinesis
        self.sfn = stepfunctions
        self.stream_name = stream_name
        self.state_machine_arn = state_machine_arn
        self.region = region
        self.role_arn = role_arn
        self.patterns = list(patterns)
        self.enrichment = enrichment
        self.batch_size = batch_size
        self.batching_window = batching_window
        self.maximum_retry_attempts = maximum_retry_attempts
        self.maximum_record_age = maximum_record_age
        self.dead_letters = dead_letters or DeadLetters()
        self.poll_interval = poll_interval
        self.on_batch = on_batch
        self.clock = clock
        self.retry_wait = retry_wait
        self.retry_sleep = retry_sleep
        self.stats = PipeStats()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._iterators: dict[str, str] = {}
        self._buffers: dict[str, _Buffer] = {}
        self._lock = threading.Lock()
        self._in_flight = 0
        self._stream_arn = ""

    def start(self, *, background: bool = True) -> None:
        """Open a TRIM_HORIZON iterator per shard; with `background`, poll on a thread
        (without it, the caller drives `read_once`/`flush`/`poll_once`)."""
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
            self._buffers[shard["ShardId"]] = _Buffer()
        if not background:
            return
        self._thread = threading.Thread(target=self._loop, name="facewatch-pipe", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop polling, read what is left on the stream, then deliver everything buffered.

        The local data stream is in moto's memory, not in the durable state: a record still on
        it at `local down` would be gone at the next `up`, so nothing written is left behind.
        """
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        try:
            while self.read_once():
                pass
        except Exception:
            log.exception("event=pipe.final_read_failed stream=%s", self.stream_name)
        self.flush(force=True)

    @property
    def pending(self) -> int:
        """Records read and kept but not yet handed to the workflow: buffered, or in a batch
        being delivered (so `wait_idle` never sees a gap between the two)."""
        return self._in_flight + sum(len(buffer.records) for buffer in self._buffers.values())

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                got = self.read_once()
                self.flush()
            except Exception:
                log.exception("event=pipe.poll_failed stream=%s", self.stream_name)
                got = 0
            if not got:
                self._stop.wait(self.poll_interval)

    def poll_once(self) -> int:
        """Read each shard once and deliver everything kept at once (batches of
        `batch_size`), without waiting for the window: for tests and scripts that drive the
        pipe by hand. Returns the number of records read."""
        total = self.read_once()
        self.flush(force=True)
        return total

    def read_once(self) -> int:
        """Read each shard once into its buffer; returns the number of records read."""
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
                    self.clock() - records[-1]["approximateArrivalTimestamp"]
                )
            kept = [record for record in records if keep(record, self.patterns)]
            self.stats.records_kept += len(kept)
            with self._lock:
                buffer = self._buffers.setdefault(shard_id, _Buffer())
                if kept and not buffer.records:
                    buffer.since = self.clock()
                buffer.records.extend(kept)
        return total

    def flush(self, *, force: bool = False) -> None:
        """Deliver each shard's full batches, and the rest once the batching window has
        passed since its oldest record was read (or now, with `force`)."""
        with self._lock:
            for shard_id, buffer in self._buffers.items():
                while buffer.records:
                    full = len(buffer.records) >= self.batch_size
                    due = self.clock() - buffer.since >= self.batching_window
                    if not (full or due or force):
                        break
                    batch = buffer.records[: self.batch_size]
                    self._in_flight += len(batch)
                    del buffer.records[: self.batch_size]
                    try:
                        self._deliver(shard_id, batch)
                    finally:
                        self._in_flight -= len(batch)

    def _deliver(self, shard_id: str, batch: list[dict[str, Any]]) -> None:
        oldest = self.clock() - self.maximum_record_age
        fresh, stale = [], []
        for record in batch:
            (fresh if record["approximateArrivalTimestamp"] >= oldest else stale).append(record)
        if stale:
            self._dead_letter(shard_id, stale, RECORD_TOO_OLD, 0, None)
        if not fresh:
            return

        def run() -> Any:
            payload = self.enrichment(fresh) if self.enrichment is not None else fresh
            text = execution_input(payload)
            self.stats.input_sizes.append(len(text.encode("utf-8")))
            return self.sfn.start_execution(
                stateMachineArn=self.state_machine_arn,
                name=str(uuid.uuid4()),  # moto needs a name; Pipes passes a UUID too
                input=text,
            )

        try:
            response = with_retries(
                run,
                attempts=1 + self.maximum_retry_attempts,
                wait=self.retry_wait,
                sleep=self.retry_sleep,
                what="pipe.start",
            )
        except Exception as error:
            self.stats.start_failures += 1
            self._dead_letter(
                shard_id, fresh, RETRIES_EXHAUSTED, self.maximum_retry_attempts, repr(error)
            )
            return
        self.stats.batches_started += 1
        self.stats.executions.append(response["executionArn"])
        if self.on_batch is not None:
            self.on_batch(fresh, response["executionArn"])

    def _dead_letter(
        self,
        shard_id: str,
        batch: list[dict[str, Any]],
        condition: str,
        attempts: int,
        error: str | None,
    ) -> None:
        message = dead_letter_message(
            batch,
            shard_id=shard_id,
            stream_arn=self._stream_arn,
            condition=condition,
            retry_attempts=attempts,
            error=error,
        )
        log.error("event=pipe.dead_letter condition=%s records=%d", condition, len(batch))
        self.dead_letters.send(message)
        self.stats.records_dead_lettered += len(batch)
