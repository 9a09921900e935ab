"""The Pipe's enrichment (handlers/decode.py) keeps every batch within one Step Functions
execution input: crowded records are made compact, and what still does not fit is offloaded
to the audit bucket and named, never dropped."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from match_records import REGION, crowd_record, data_size, kinesis_record, sighting
from moto import mock_aws

from facewatch.handlers import decode
from facewatch.handlers.decode import PAYLOAD_BUDGET, Settings, decode_batch, payload_size
from facewatch.workflows.pipe_settings import EXECUTION_INPUT_LIMIT
from facewatch.workflows.records import OFFLOAD_PREFIX

SETTINGS = Settings(unknown_face_alerts=False, audit_bucket="audit", offload_prefix="off/")
PEOPLE = [f"people_person-{i}.png" for i in range(100)]


class Bucket:
    """Captures what the enrichment offloads."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], Any] = {}

    def put(self, bucket: str, key: str, body: bytes) -> None:
        self.objects[(bucket, key)] = json.loads(body)


def _accounted_for(batch: dict[str, Any]) -> set[int]:
    """The records of the batch the workflow handles, coalesces or records as rejected."""
    indexes = {entry["RecordIndex"] for entry in batch["Rejected"]}
    for entry in (*batch["Matches"], *batch["UnknownFaces"]):
        indexes.add(entry["RecordIndex"])
        indexes.update(sighting["recordIndex"] for sighting in entry["Coalesced"])
    return indexes


def test_ten_records_of_a_hundred_matched_faces_fit_one_execution_input() -> None:
    # given ten frames of a crowd of the same hundred matched people, far over 256 KB raw
    records = [
        crowd_record("plaza", 100, matched=PEOPLE, arrival=1_700_000_000.25 + i * 0.2)
        for i in range(10)
    ]
    assert len(json.dumps(records)) > 3 * EXECUTION_INPUT_LIMIT
    bucket = Bucket()
    # when the enrichment decodes the batch
    batch = decode_batch(records, SETTINGS, bucket.put)
    # then its answer fits the budget, every record is handled, coalesced or rejected, and
    # every person of the crowd is handled exactly once
    assert payload_size(batch) <= PAYLOAD_BUDGET < EXECUTION_INPUT_LIMIT
    assert _accounted_for(batch) == set(range(10))
    identities = [entry["Best"]["Face"]["ExternalImageId"] for entry in batch["Matches"]]
    assert sorted(identities) == sorted(PEOPLE)
    # and each record left out of the batch is in the bucket as received, named by its entry
    for entry in batch["Rejected"]:
        assert entry["Outcome"] == "oversized"
        pointer = entry["Offloaded"]
        offloaded = bucket.objects[(pointer["Bucket"], pointer["Key"])]
        assert offloaded["record"] == records[entry["RecordIndex"]]
    assert len(bucket.objects) == len(batch["Rejected"]) == batch["Summary"]["Oversized"]


def test_a_1_mb_record_is_offloaded_and_the_others_are_handled() -> None:
    # given a 1 MB record (a crowd of 1,400 matched faces) between sightings of Lin and Alex
    big = crowd_record("plaza", 1400, matched=[f"people_p{i}.png" for i in range(1400)])
    assert 1_000_000 <= data_size(big) <= 1_048_576  # Kinesis' record limit: 1 MiB
    records = [sighting("gate", "people_lin.png"), big, sighting("gate", "people_alex.png")]
    bucket = Bucket()
    # when the enrichment decodes the batch
    batch = decode_batch(records, SETTINGS, bucket.put)
    # then Lin and Alex are handled, and the big record is rejected as oversized, named by
    # its stream coordinates and the object that holds it as received
    assert payload_size(batch) <= PAYLOAD_BUDGET
    assert [m["Best"]["Face"]["ExternalImageId"] for m in batch["Matches"]] == [
        "people_lin.png",
        "people_alex.png",
    ]
    [rejected] = batch["Rejected"]
    assert (rejected["RecordIndex"], rejected["Outcome"]) == (1, "oversized")
    assert rejected["Record"]["sequenceNumber"] == big["sequenceNumber"]
    assert "data" not in rejected["Record"]
    key = rejected["Offloaded"]["Key"]
    assert key.startswith("off/2023/11/14/shardId-000000000000/") and key.endswith(".json")
    assert f"s3://audit/{key}" in rejected["Problem"]
    assert "1400 faces" in rejected["Problem"]
    assert bucket.objects == {("audit", key): {"kind": "facewatch-offloaded-record", "record": big}}
    assert batch["AnyRejected"] is True and batch["AnyMalformed"] is False


def test_a_large_malformed_record_is_offloaded_not_inlined() -> None:
    # given a malformed record of 100 KB (JSON without a camera, kept by the Pipe's filter)
    bad = kinesis_record({"FaceSearchResponse": "x" * 100_000})
    bucket = Bucket()
    # when the enrichment decodes it with a sighting of Lin
    batch = decode_batch([sighting("gate", "people_lin.png"), bad], SETTINGS, bucket.put)
    # then the rejected entry names the problem and the object, and holds no data
    [rejected] = batch["Rejected"]
    assert rejected["Outcome"] == "malformed" and rejected["Record"]["sequenceNumber"]
    assert "data" not in rejected["Record"]
    assert rejected["Problem"].startswith("missing InputInformation.KinesisVideo.")
    pointer = rejected["Offloaded"]
    assert bucket.objects[(pointer["Bucket"], pointer["Key"])]["record"] == bad
    assert len(batch["Matches"]) == 1


def test_a_small_malformed_record_stays_inline() -> None:
    bad = kinesis_record(None, raw_data="%%% not base64 %%%")
    bucket = Bucket()
    [rejected] = decode_batch([bad], SETTINGS, bucket.put)["Rejected"]
    assert rejected["Record"] == bad and rejected["Offloaded"] is None
    assert bucket.objects == {}


def test_offloading_without_an_audit_bucket_fails_the_batch() -> None:
    # given a function whose AUDIT_BUCKET is unset, and a record that must be offloaded
    big = crowd_record("plaza", 1400, matched=[f"people_p{i}.png" for i in range(1400)])
    settings = Settings(unknown_face_alerts=False, audit_bucket="", offload_prefix="off/")
    # then it fails (Pipes retry the batch, then send it to the Pipe's DLQ) instead of
    # answering with a record nobody can find
    with pytest.raises(RuntimeError, match="AUDIT_BUCKET"):
        decode_batch([big], settings, Bucket().put)


def test_the_lambda_answers_the_pipe_with_a_one_element_array_and_offloads_to_s3(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given the function's environment as the stack sets it
    for name, value in {
        "AUDIT_BUCKET": "facewatch-audit",
        "OFFLOAD_PREFIX": OFFLOAD_PREFIX,
        "UNKNOWN_FACE_ALERTS": "true",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    big = crowd_record("plaza", 1400, matched=[f"people_p{i}.png" for i in range(1400)])
    unknown = crowd_record("gate", 1, matched=[])
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="facewatch-audit")
        # when Pipes invoke it with a batch (a JSON array)
        [batch] = decode.lambda_handler([unknown, big], None)
        # then the unknown face is listed (UNKNOWN_FACE_ALERTS), and the big record is in
        # the bucket under the offload prefix, with a SHA-256 checksum (Object Lock)
        assert [entry["Camera"] for entry in batch["UnknownFaces"]] == ["gate"]
        [rejected] = batch["Rejected"]
        key = rejected["Offloaded"]["Key"]
        assert key.startswith(OFFLOAD_PREFIX)
        stored = s3.get_object(Bucket="facewatch-audit", Key=key, ChecksumMode="ENABLED")
        assert stored["ChecksumSHA256"]
        assert json.loads(stored["Body"].read())["record"] == big
