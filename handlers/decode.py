"""The EventBridge Pipe's enrichment: decode, check and coalesce one batch of Kinesis records
into the compact batch the match workflow is started with.

Why before the workflow, not in it: Step Functions refuses an execution input (and any
state's data) over 256 KB, while one Kinesis record may be 1 MB; a Lambda enrichment receives
the whole batch (a JSON array of Pipes' Kinesis records, base64 ``data``) up to 6 MB, and the
Pipe starts the workflow with what it returns (pipes-enrichment.html,
eb-pipes-batching-concurrency.html). So the workflow only ever sees a payload this function
has measured. Why a Lambda at all: an intrinsic (``States.StringToJson(States.Base64Decode
(...))``) that fails on bad input raises ``States.Runtime``, which no ``Catch`` handles: one
bad record would fail the whole batch with no dead-letter message.

Output: a one-element JSON array (Pipes hand an enrichment's array response to the target
as it is; the workflow also accepts the bare object) holding ``{"Matches": [<entry>],
"UnknownFaces": [<entry>] ([] unless UNKNOWN_FACE_ALERTS), "Rejected": [{"RecordIndex",
"Outcome": "malformed"|"oversized", "Kind": "malformed-record"|"oversized-record",
"Problem", "Record", "Offloaded": null|{"Bucket", "Key"}}], "AnyRejected", "AnyMalformed",
"Summary": {counts}}``. An entry is one handled face with only what the workflow, the
snapshot Lambda and the audit record read: ``RecordIndex``, ``FaceIndex`` (the audit keys
``record-<i>-face-<j>.json`` name them), ``Camera``, ``ArrivalSeconds``, ``Kinesis`` (shard,
sequence number, partition key, arrival), ``Frame`` (the frame's KinesisVideo fields and, in
edge mode, the agent's ``Snapshot`` keys for this face), ``Face`` (bounding box, confidence,
matches: FaceId, ExternalImageId, Similarity), for a matched face ``Best`` (its highest
match), ``SimilarityRounded`` and ``SimilarityText`` (one decimal, for people: ASL cannot
round), then ``MaxSimilarity`` and ``Coalesced``. No entry repeats its record's document.

Coalescing. A camera with a known person in view writes ~5 records a second, each with the
same match, and the Pipe batches up to 10. Matched faces with the same (camera, best match's
ExternalImageId) are handled ONCE: the first (a Pipe batch is one shard's records in order),
so the alert, the dedupe window and the snapshot tell when the person was first seen; the
later ones are listed in its ``Coalesced`` sightings, and ``MaxSimilarity`` keeps the best
similarity. Faces without matches (UNKNOWN_FACE_ALERTS) coalesce the same way per camera.
Photos of one person with different ExternalImageIds are not coalesced here: the workflow's
dedupe by person catches them.

The payload budget. The returned JSON stays within ``PAYLOAD_BUDGET`` characters (ASCII
JSON: as many UTF-8 bytes as characters), far enough below 256 KB for what the states add.
A malformed record longer than ``INLINE_RECORD_CHARS`` is never inlined; and while the batch
is over budget (a crowd: many matched faces), the record whose faces weigh most (the latest
of equals) becomes ``oversized`` and the batch is coalesced again without it. Each such
record is written as received to the audit bucket, ``<OFFLOAD_PREFIX><yyyy>/<mm>/<dd>/
<shard>/<sequence number>.json`` (SSE-KMS by the bucket's default; a retried batch overwrites
its own objects), and listed in ``Rejected`` with its stream coordinates and the object: the
workflow sends each rejected record to the DLQ and audits it, while the rest of the batch is
handled. If an object cannot be written the function fails: Pipes retries the batch, then
sends it to the Pipe's dead-letter queue (its shard and sequence numbers).

Only the fields the workflow dereferences are checked (the record contract's full JSON schema
lives with the producers, in ``facewatch/schemas``); boto3 (in the Lambda runtime) is only
used to offload.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .decode_records import coalesce, decode_record, is_number, record_metadata

# 256 KB (Step Functions' limit) minus room for what the workflow adds to its state.
PAYLOAD_BUDGET = 160 * 1024
# A malformed record is inlined (DLQ message, audit record) up to this size.
INLINE_RECORD_CHARS = 8 * 1024
_KEY_PART = re.compile(r"[^A-Za-z0-9_.\-]")
PutObject = Callable[[str, str, bytes], None]  # (bucket, key, body)


@dataclass(frozen=True)
class Settings:
    """The function's environment, as the stack sets it (infra/decode_function.py)."""

    unknown_face_alerts: bool
    audit_bucket: str
    # workflows.records.OFFLOAD_PREFIX, passed in (the Lambda package holds handlers/ only).
    offload_prefix: str

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            unknown_face_alerts=os.environ.get("UNKNOWN_FACE_ALERTS", "").lower() == "true",
            audit_bucket=os.environ.get("AUDIT_BUCKET", ""),
            offload_prefix=os.environ.get("OFFLOAD_PREFIX", ""),
        )


def payload_size(payload: Any) -> int:
    return len(json.dumps(payload, separators=(",", ":")))


def offload_key(prefix: str, record: Any) -> str:
    """Where a record's raw form goes: dated by its arrival, named by shard and sequence
    number (a hash of the record when it has none)."""
    meta = record_metadata(record)
    arrival = meta.get("approximateArrivalTimestamp")
    day = (
        datetime.fromtimestamp(float(arrival), UTC).strftime("%Y/%m/%d")  # type: ignore[arg-type]
        if is_number(arrival)
        else None
    )

    def part(value: Any) -> str | None:
        return _KEY_PART.sub("_", str(value))[:200] if value else None

    name = (
        part(meta["sequenceNumber"])
        or hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()
    )
    return f"{prefix}{day or 'undated'}/{part(meta['shardId']) or 'unknown-shard'}/{name}.json"


class _Batch:
    """The batch as the workflow iterates it, with the records moved out of it so far."""

    def __init__(self, records: list[Any], settings: Settings) -> None:
        self.records, self.settings = records, settings
        self.decoded = [decode_record(record) for record in records]
        self.oversized: set[int] = set()
        self.offloaded: dict[int, dict[str, str]] = {}
        for index, item in enumerate(self.decoded):
            if not item["Valid"] and payload_size(records[index]) > INLINE_RECORD_CHARS:
                self._offload(index)

    def _offload(self, index: int) -> None:
        key = offload_key(self.settings.offload_prefix, self.records[index])
        self.offloaded[index] = {"Bucket": self.settings.audit_bucket, "Key": key}

    def _rejected(self, index: int) -> dict[str, Any]:
        item, pointer = self.decoded[index], self.offloaded.get(index)
        where = (
            f" The record as received is s3://{pointer['Bucket']}/{pointer['Key']}"
            if pointer
            else ""
        )
        if item["Valid"]:
            faces = item["Faces"]
            matched = sum(1 for face in faces if "Best" in face)
            outcome = "oversized"
            problem = (
                f"its {len(faces)} faces ({matched} matched) do not fit in one Step Functions "
                f"execution input (256 KB) with the rest of its batch.{where}"
            )
        else:
            outcome = "malformed"
            problem = f"{item['Problem']}.{where}" if where else item["Problem"]
        return {
            "RecordIndex": index,
            "Outcome": outcome,
            "Kind": f"{outcome}-record",
            "Problem": problem,
            # As received when it is small; else where it is in the stream (and the object).
            "Record": record_metadata(self.records[index]) if pointer else self.records[index],
            "Offloaded": pointer,
        }

    def payload(self) -> dict[str, Any]:
        handled = coalesce(self.decoded, self.oversized, self.settings.unknown_face_alerts)
        rejected = [
            self._rejected(index)
            for index, item in enumerate(self.decoded)
            if not item["Valid"] or index in self.oversized
        ]
        malformed = sum(1 for entry in rejected if entry["Outcome"] == "malformed")
        return {
            "Matches": handled["Matches"],
            "UnknownFaces": handled["UnknownFaces"],
            "Rejected": rejected,
            "AnyRejected": bool(rejected),
            "AnyMalformed": bool(malformed),
            "Summary": {
                "Records": len(self.records),
                "Malformed": malformed,
                "Oversized": len(self.oversized),
                "Matches": len(handled["Matches"]),
                "UnknownFaces": len(handled["UnknownFaces"]),
                **handled["Counts"],
            },
        }

    def shrink(self) -> bool:
        """Move the heaviest remaining record out of the batch; False when none is left."""
        candidates = [
            (payload_size(item["Faces"]), index)
            for index, item in enumerate(self.decoded)
            if item["Valid"] and item["Faces"] and index not in self.oversized
        ]
        if candidates:
            index = max(candidates)[1]
            self.oversized.add(index)
            self._offload(index)
            return True
        # Only small malformed records are left inline: move them out too.
        inline = [i for i, item in enumerate(self.decoded) if i not in self.offloaded]
        for index in inline:
            self._offload(index)
        return bool(inline)


def decode_batch(
    records: list[Any], settings: Settings, put_object: PutObject | None = None
) -> dict[str, Any]:
    """The compact batch, within PAYLOAD_BUDGET; the records it leaves out go to `put_object`."""
    batch = _Batch(records, settings)
    payload = batch.payload()
    while payload_size(payload) > PAYLOAD_BUDGET:
        if not batch.shrink():
            raise RuntimeError(
                f"a batch of {len(records)} records does not fit in {PAYLOAD_BUDGET} characters "
                "even with every record offloaded: lower the Pipe's batch size"
            )
        payload = batch.payload()
    if batch.offloaded and (put_object is None or not settings.audit_bucket):
        raise RuntimeError("records must be offloaded but AUDIT_BUCKET is not set")
    for index, pointer in sorted(batch.offloaded.items()):
        assert put_object is not None
        body = {"kind": "facewatch-offloaded-record", "record": records[index]}
        put_object(pointer["Bucket"], pointer["Key"], json.dumps(body).encode())
    return payload


def s3_writer(s3: Any) -> PutObject:
    """How the function writes an offloaded record with an S3 client (the local mode's own)."""

    def put(bucket: str, key: str, body: bytes) -> None:
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=body,
            ContentType="application/json",
            # Object Lock (facewatch:auditObjectLock) refuses a PutObject without a checksum.
            ChecksumAlgorithm="SHA256",
        )

    return put


def enrich(records: list[Any], settings: Settings, put_object: PutObject) -> list[dict[str, Any]]:
    """What the Pipe gets back for a batch: the decoded batch in a one-element array."""
    return [decode_batch(records, settings, put_object)]


def lambda_handler(event: Any, context: Any) -> list[dict[str, Any]]:
    import boto3  # in the Lambda runtime; only needed to offload

    # Pipes send a batch as a JSON array, even a batch of one record.
    records = event if isinstance(event, list) else [event]
    response = enrich(records, Settings.from_env(), s3_writer(boto3.client("s3")))
    # One line per batch in the function's log: what became of its records.
    print(json.dumps({"event": "decode.batch", **response[0]["Summary"]}))
    return response
