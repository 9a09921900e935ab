"""The records the local Pipe handles: Pipes' Kinesis record shape, its filter rule and its
DLQ message (used by `pipe.py`, re-exported there)."""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from .event_pattern import load_pattern, matches


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


def patterns_from_filter_criteria(criteria: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """`{"Filters": [{"Pattern": "<json>"}]}` (the Pipe's FilterCriteria) to parsed patterns."""
    if not criteria:
        return []
    return [dict(load_pattern(item["Pattern"])) for item in criteria.get("Filters", [])]


def dead_letter_message(
    batch: Sequence[Mapping[str, Any]],
    *,
    shard_id: str,
    stream_arn: str,
    condition: str,
    retry_attempts: int,
    error: str | None = None,
) -> dict[str, Any]:
    """What Pipes sends its DLQ for a Kinesis batch: where the records are (shard, sequence
    numbers, arrival times) and why; plus, locally, the records themselves."""
    return {
        "context": {
            "condition": condition,
            "retryAttempts": retry_attempts,
            **({"errorMessage": error} if error else {}),
        },
        "timestamp": datetime.now(UTC).isoformat(),
        "KinesisBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": batch[0]["sequenceNumber"],
            "endSequenceNumber": batch[-1]["sequenceNumber"],
            "approximateArrivalOfFirstRecord": batch[0]["approximateArrivalTimestamp"],
            "approximateArrivalOfLastRecord": batch[-1]["approximateArrivalTimestamp"],
            "batchSize": len(batch),
            "streamArn": stream_arn,
        },
        "records": list(batch),
    }
