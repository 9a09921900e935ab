"""KinesisSink batches PutRecords (partition key = camera) and retries failed entries."""

from __future__ import annotations

import json
import logging
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from facewatch.agent import AgentError, KinesisSink, ListSink, run
from facewatch.agent.sinks import check_stream

from .conftest import REGION

STREAM = "facewatch-records"


def record(n: int) -> dict[str, Any]:
    return {"n": n}


@pytest.fixture
def kinesis(aws_env: None) -> Any:
    with mock_aws():
        client = boto3.client("kinesis", region_name=REGION)
        client.create_stream(StreamName=STREAM, ShardCount=1)
        yield client


class CountingClient:
    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.batches: list[int] = []

    def put_records(self, **kwargs: Any) -> Any:
        self.batches.append(len(kwargs["Records"]))
        return self.inner.put_records(**kwargs)


def read_all(client: Any) -> list[tuple[str, dict[str, Any]]]:
    shard = client.list_shards(StreamName=STREAM)["Shards"][0]["ShardId"]
    iterator = client.get_shard_iterator(
        StreamName=STREAM, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = client.get_records(ShardIterator=iterator, Limit=1000)["Records"]
    return [(r["PartitionKey"], json.loads(r["Data"])) for r in records]


def test_records_are_sent_in_batches_with_the_camera_as_partition_key(kinesis: Any) -> None:
    # given a sink with batches of 3
    client = CountingClient(kinesis)
    sink = KinesisSink(client, STREAM, batch_size=3, linger=3600)
    # when 7 records are put and the sink is flushed
    for n in range(7):
        sink.put(record(n), "door")
    sink.flush()
    # then 3 calls carried 3 + 3 + 1 records, all readable in order from the stream
    assert client.batches == [3, 3, 1]
    assert read_all(kinesis) == [("door", record(n)) for n in range(7)]
    assert sink.sent == 7


def test_pending_records_wait_at_most_the_linger_time(kinesis: Any) -> None:
    # given a clock the test moves
    now = [0.0]
    client = CountingClient(kinesis)
    sink = KinesisSink(client, STREAM, linger=1.0, clock=lambda: now[0])
    sink.put(record(1), "door")
    # when time passes beyond the linger time
    sink.tick()
    sent_before = list(client.batches)
    now[0] = 1.5
    sink.tick()
    # then the record is sent by the tick, not before
    assert sent_before == []
    assert client.batches == [1]


def _response(errors: list[str | None]) -> dict[str, Any]:
    failed = sum(1 for e in errors if e)
    return {
        # botocore's model gives FailedRecordCount a minimum of 1: omitted when none failed.
        **({"FailedRecordCount": failed} if failed else {}),
        "Records": [
            {"ErrorCode": e, "ErrorMessage": "slow down"}
            if e
            else {"SequenceNumber": "1", "ShardId": "shardId-000000000000"}
            for e in errors
        ],
    }


def test_failed_entries_are_retried_alone_until_they_succeed() -> None:
    # given PutRecords rejects the 2nd of 3 records once
    client = boto3.client(
        "kinesis", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
    )
    stubber = Stubber(client)
    stubber.add_response(
        "put_records", _response([None, "ProvisionedThroughputExceededException", None])
    )
    retried: list[Any] = []
    stubber.add_response("put_records", _response([None]))
    sleeps: list[float] = []
    sink = KinesisSink(client, STREAM, linger=3600, sleep=sleeps.append)
    client.meta.events.register(
        "provide-client-params.kinesis.PutRecords",
        lambda params, **_: retried.append([json.loads(r["Data"]) for r in params["Records"]]),
    )
    # when
    with stubber:
        for n in range(3):
            sink.put(record(n), "door")
        sink.flush()
    # then the second call carries only the rejected record, after a backoff wait
    assert retried == [[record(0), record(1), record(2)], [record(1)]]
    assert sink.sent == 3 and sink.undelivered == 0
    assert sleeps == [0.2]


def test_entries_failing_every_attempt_are_reported_not_dropped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given PutRecords always rejects the record
    client = boto3.client(
        "kinesis", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
    )
    stubber = Stubber(client)
    for _ in range(3):
        stubber.add_response("put_records", _response(["InternalFailure"]))
    sleeps: list[float] = []
    sink = KinesisSink(client, STREAM, max_attempts=3, sleep=sleeps.append)
    # when
    with stubber, caplog.at_level(logging.ERROR, logger="facewatch.agent.sink"):
        sink.put(record(42), "door")
        sink.flush()
    # then after 3 attempts with growing waits it is counted and logged with its content
    assert sleeps == [0.2, 0.4]
    assert sink.undelivered == 1 and sink.sent == 0
    assert "event=sink.undelivered" in caplog.text
    assert '{\\"n\\":42}' in caplog.text


def test_backoff_waits_are_capped_at_max_delay() -> None:
    # given PutRecords rejects the record 5 times, waits start at 1 s and are capped at 2 s
    client = boto3.client(
        "kinesis", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
    )
    stubber = Stubber(client)
    for _ in range(5):
        stubber.add_response("put_records", _response(["InternalFailure"]))
    sleeps: list[float] = []
    sink = KinesisSink(
        client, STREAM, max_attempts=5, base_delay=1.0, max_delay=2.0, sleep=sleeps.append
    )
    # when
    with stubber:
        sink.put(record(7), "door")
        sink.flush()
    # then the waits double from 1 s and never exceed 2 s
    assert sleeps == [1.0, 2.0, 2.0, 2.0]


def test_each_retry_is_logged_with_the_rejection_code(caplog: pytest.LogCaptureFixture) -> None:
    # given PutRecords throttles the record once, then accepts it
    client = boto3.client(
        "kinesis", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
    )
    stubber = Stubber(client)
    stubber.add_response("put_records", _response(["ProvisionedThroughputExceededException"]))
    stubber.add_response("put_records", _response([None]))
    sink = KinesisSink(client, STREAM, sleep=lambda seconds: None)
    # when
    with stubber, caplog.at_level(logging.WARNING, logger="facewatch.agent.sink"):
        sink.put(record(1), "door")
        sink.flush()
    # then one warning names the second attempt, its wait and the code
    retries = [r.getMessage() for r in caplog.records if "event=sink.retry" in r.getMessage()]
    assert len(retries) == 1
    assert "attempt=2" in retries[0] and "delay_s=0.2" in retries[0]
    assert "ProvisionedThroughputExceededException" in retries[0]


def test_missing_stream_is_a_clear_error(kinesis: Any) -> None:
    # when / then
    with pytest.raises(AgentError, match="Kinesis data stream 'missing' not found"):
        check_stream(kinesis, "missing")


def test_put_to_missing_stream_is_a_clear_error(kinesis: Any) -> None:
    # given
    sink = KinesisSink(kinesis, "missing")
    sink.put(record(1), "door")
    # when / then
    with pytest.raises(AgentError, match="not found"):
        sink.flush()


def test_ctrl_c_flushes_pending_records_and_returns_normally(kinesis: Any) -> None:
    # given a sink that would hold records for an hour and a source interrupted by Ctrl-C
    from .fakes import Box, MatchingBackend, fixed_detector, synthetic_frames
    from .test_tracking import config

    def interrupted_frames() -> Any:
        for i, frame in enumerate(synthetic_frames(2.0)):
            if i == 4:
                raise KeyboardInterrupt
            yield frame

    sink = KinesisSink(kinesis, STREAM, linger=3600)
    # when
    summary = run(
        config(),
        MatchingBackend(),
        sink,
        frames=interrupted_frames(),
        detector=fixed_detector(Box(100, 100, 200, 200)),
    )
    # then the 4 records analysed before Ctrl-C are in the stream
    assert summary.interrupted
    assert len(read_all(kinesis)) == 4


def test_list_sink_keeps_records_and_partition_keys() -> None:
    # given
    sink = ListSink()
    # when
    sink.put(record(1), "door")
    # then
    assert sink.records == [record(1)] and sink.partition_keys == ["door"]
