"""`camera run` on the command line: records reach the stream; errors are one line + fix."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import boto3
import fake_pulumi
import pytest
from moto import mock_aws
from typer.testing import CliRunner

import facewatch.cli.camera as cli_camera
import facewatch.cli.common as cli_common
from facewatch.agent.runner import RunSummary
from facewatch.agent.status import Counters
from facewatch.cli.camera import camera_app

from .conftest import CAMERA, LIN_ID, REGION

STREAM = "facewatch-records"
BUCKET = "facewatch-audit"


@pytest.fixture
def aws(aws_env: None, engine: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """moto for Kinesis, S3 and STS; the local engine in-process for Rekognition."""
    with mock_aws():
        clients = {
            name: boto3.client(name, region_name=REGION) for name in ("kinesis", "s3", "sts")
        }
        clients["rekognition"] = engine
        clients["kinesis"].create_stream(StreamName=STREAM, ShardCount=1)
        clients["s3"].create_bucket(Bucket=BUCKET)
        monkeypatch.setattr(cli_camera, "_clients", lambda region, endpoint_url: clients)
        yield clients


def invoke(*args: str) -> Any:
    return CliRunner().invoke(camera_app, ["run", *args])


def base_args(clip: Path, **overrides: str) -> list[str]:
    options = {
        "--camera": CAMERA,
        "--source": str(clip),
        "--collection": "enrolled",
        "--stream": STREAM,
        "--snapshot-bucket": BUCKET,
        "--max-seconds": "4.5",
    }
    options.update(overrides)
    return [item for pair in options.items() for item in pair]


def stream_records(kinesis: Any) -> list[dict[str, Any]]:
    shard = kinesis.list_shards(StreamName=STREAM)["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(
        StreamName=STREAM, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    return [json.loads(r["Data"]) for r in kinesis.get_records(ShardIterator=iterator)["Records"]]


def test_run_sends_matched_records_with_snapshots(clip: Path, aws: Any) -> None:
    # when
    result = invoke(*base_args(clip))
    # then
    assert result.exit_code == 0, result.output
    records = stream_records(aws["kinesis"])
    matched = [r for r in records if r["FaceSearchResponse"][0]["MatchedFaces"]]
    assert matched
    assert matched[0]["FaceSearchResponse"][0]["MatchedFaces"][0]["Face"]["ExternalImageId"] == (
        LIN_ID
    )
    # the edge ARN is built from the caller's account (moto's) and the camera
    arn = records[0]["InputInformation"]["KinesisVideo"]["StreamArn"]
    assert arn == f"arn:aws:kinesisvideo:{REGION}:123456789012:stream/{CAMERA}/edge"
    key = matched[0]["FacewatchSnapshot"]["FrameKey"]
    assert aws["s3"].head_object(Bucket=BUCKET, Key=key)["ContentType"] == "image/jpeg"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"--collection": "nope"}, "face collection 'nope' not found"),
        ({"--stream": "nope"}, "Kinesis data stream 'nope' not found"),
        ({"--snapshot-bucket": "nope-bucket"}, "snapshot bucket 'nope-bucket' not found"),
        ({"--source": "/no/such/video.mp4"}, "video source '/no/such/video.mp4' does not exist"),
        ({"--fps": "0"}, "--fps must be positive"),
    ],
)
def test_configuration_errors_exit_2_with_one_line_and_a_fix(
    clip: Path, aws: Any, override: dict[str, str], message: str
) -> None:
    # when
    result = invoke(*base_args(clip, **override))
    # then
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1
    assert message in lines[0] and "(fix: " in lines[0]


def test_missing_credentials_exit_2_with_a_fix(
    clip: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # given no credentials anywhere (env, files, instance metadata)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # when
    result = invoke(*base_args(clip, **{"--region": REGION}))
    # then
    assert result.exit_code == 2
    assert "error: no AWS credentials found (fix: run `aws configure`" in result.stderr


def test_missing_required_option_is_a_usage_error(clip: Path) -> None:
    # when
    result = invoke("--camera", CAMERA, "--source", str(clip))
    # then
    assert result.exit_code == 2


# --- --stack: names from `pulumi stack output --json` -------------------------------------

STACK_OUTPUTS = {
    "region": "eu-west-1",
    "collectionId": "enrolled",
    "dataStream": STREAM,
    "auditBucket": BUCKET,
    "facesBucket": "facewatch-faces",
    "matchExecutionsUrl": "https://console.aws.amazon.com/states/home",
}


@pytest.fixture
def pulumi(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """A Pulumi CLI on PATH whose `stack output --json` prints STACK_OUTPUTS."""
    return fake_pulumi.install(monkeypatch, STACK_OUTPUTS)


@pytest.fixture
def started(aws: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What `camera run` starts the agent with: the clients' region and run()'s arguments."""
    seen: dict[str, Any] = {}

    def fake_clients(region: str | None, endpoint_url: str | None) -> dict[str, Any]:
        seen["region"] = region
        return aws

    def fake_run(config: Any, backend: Any, sink: Any, uploader: Any, **kwargs: Any) -> Any:
        seen.update(config=config, sink=sink, uploader=uploader)
        return RunSummary(Counters())

    monkeypatch.setattr(cli_camera, "_clients", fake_clients)
    monkeypatch.setattr(cli_camera, "run", fake_run)
    return seen


def test_stack_outputs_name_the_collection_stream_and_snapshot_bucket(
    clip: Path, pulumi: list[list[str]], started: dict[str, Any]
) -> None:
    # when only the camera, the source and the stack are given
    result = invoke("--camera", CAMERA, "--source", str(clip), "--stack", "dev")
    # then the agent searches the stack's collection, writes to its stream and bucket
    assert result.exit_code == 0, result.output
    assert pulumi == [["pulumi", "stack", "output", "--json", "--stack", "dev"]]
    assert started["config"].collection_id == "enrolled"
    assert started["sink"].stream_name == STREAM
    assert started["uploader"].bucket == BUCKET


def test_stack_region_is_the_clients_region(
    clip: Path, pulumi: list[list[str]], started: dict[str, Any]
) -> None:
    # when
    result = invoke("--camera", CAMERA, "--source", str(clip), "--stack", "current")
    # then the selected stack is read and its region used
    assert result.exit_code == 0, result.output
    assert pulumi == [["pulumi", "stack", "output", "--json"]]
    assert started["region"] == "eu-west-1"


def test_explicit_flags_win_over_the_stack_outputs(
    clip: Path, aws: Any, pulumi: list[list[str]], started: dict[str, Any]
) -> None:
    # given another stream than the stack's
    aws["kinesis"].create_stream(StreamName="other-stream", ShardCount=1)
    # when both --stack and --stream / --region are given
    result = invoke(
        *["--camera", CAMERA, "--source", str(clip), "--stack", "dev"],
        *["--stream", "other-stream", "--region", "us-west-2"],
    )
    # then the flags are used, the stack fills the rest
    assert result.exit_code == 0, result.output
    assert started["sink"].stream_name == "other-stream"
    assert started["region"] == "us-west-2"
    assert started["config"].collection_id == "enrolled"


def test_stack_without_pulumi_cli_exit_2_with_a_fix(
    clip: Path, monkeypatch: pytest.MonkeyPatch, started: dict[str, Any]
) -> None:
    # given no pulumi on PATH
    monkeypatch.setattr(cli_common.shutil, "which", lambda name: None)
    # when
    result = invoke("--camera", CAMERA, "--source", str(clip), "--stack", "dev")
    # then one line says so and names the flags that replace the outputs; nothing started
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1
    assert "the Pulumi CLI is not installed" in lines[0]
    assert "--collection, --stream and --region" in lines[0]
    assert "config" not in started


def test_no_collection_and_no_stack_names_both_ways_to_give_it(clip: Path) -> None:
    # when neither --collection nor --stack is given
    result = invoke("--camera", CAMERA, "--source", str(clip), "--stream", STREAM)
    # then
    assert result.exit_code == 2
    assert "error: no face collection given (fix: pass --collection, or --stack" in result.stderr


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_camera_that_refuses_connections_ends_after_the_reconnect_attempts(
    clip: Path, aws: Any
) -> None:
    # given an RTSP camera on a closed port of this machine, one retry allowed
    url = f"rtsp://127.0.0.1:{_closed_port()}/stream"
    # when the agent runs on it (no --max-seconds)
    args = base_args(clip, **{"--source": url, "--reconnect-attempts": "1"})
    result = invoke(*[a for a in args if a not in ("--max-seconds", "4.5")])
    # then it gives up after the first open and one retry, with one line and the fix
    assert result.exit_code == 2, result.output
    assert "cannot open network source" in result.output and "after 2 attempts" in result.output
    assert "--reconnect-attempts" in result.output


def test_max_seconds_bounds_a_camera_that_refuses_connections(clip: Path, aws: Any) -> None:
    # given the same refusing camera with the default attempts but --max-seconds 2
    url = f"rtsp://127.0.0.1:{_closed_port()}/stream"
    result = invoke(*base_args(clip, **{"--source": url, "--max-seconds": "2"}))
    # then it stops at the deadline, naming it (10 attempts would wait over 2 minutes)
    assert result.exit_code == 2, result.output
    assert "before --max-seconds ran out" in result.output
