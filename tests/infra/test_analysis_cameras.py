"""The analysis component in the cases the mode tests leave out.

- several cameras in stream-processor mode: one video stream, processor and role per camera,
  each role scoped to its own camera's stream only;
- the KMS statements of the processor role and of the camera agent policy, in full;
- the snapshot Lambda's role holds exactly its statements in each mode.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from infra_policies import role_policy
from stack_configs import ONE_CAMERA, THREE_EDGE_CAMERAS
from stack_harness import ACCOUNT, StackRun

TWO_CAMERAS = {"cameras": ["front-door", "garage"]}


@pytest.fixture(scope="module")
def two_cameras(stack: Callable[..., StackRun]) -> StackRun:
    return stack(TWO_CAMERAS)


@pytest.fixture(scope="module")
def one_camera(stack: Callable[..., StackRun]) -> StackRun:
    return stack(ONE_CAMERA)


@pytest.fixture(scope="module")
def edge(stack: Callable[..., StackRun]) -> StackRun:
    return stack(THREE_EDGE_CAMERAS, region="eu-west-3")


def key_arn(run: StackRun) -> str:
    return str(run.named("storage-key").outputs["arn"])


def test_each_camera_gets_its_own_video_stream_processor_and_role(two_cameras: StackRun) -> None:
    # Given two cameras in stream-processor mode (declared in the fixture)
    # When the declared video streams and processors are listed
    videos = {v.inputs["name"] for v in two_cameras.of_type("aws:kinesis/videoStream:VideoStream")}
    processors = {
        p.inputs["name"]: p.inputs["roleArn"]
        for p in two_cameras.of_type("aws:rekognition/streamProcessor:StreamProcessor")
    }

    # Then there is one of each per camera, each processor with its own role
    assert videos == {"front-door", "garage"}
    assert set(processors) == {"facewatch-front-door", "facewatch-garage"}
    assert (
        processors["facewatch-garage"]
        == (two_cameras.named("analysis-garage-processor-role").outputs["arn"])
    )
    assert len(set(processors.values())) == 2


@pytest.mark.parametrize(("camera", "other"), [("front-door", "garage"), ("garage", "front-door")])
def test_processor_role_reads_only_its_own_camera_stream(
    two_cameras: StackRun, camera: str, other: str
) -> None:
    # Given the processor role of one camera
    statements = role_policy(two_cameras, f"analysis-{camera}-processor-role")
    own = two_cameras.named(f"analysis-{camera}-video").outputs["arn"]
    foreign = two_cameras.named(f"analysis-{other}-video").outputs["arn"]

    # When every resource of the role is collected
    resources = {r for s in statements for r in s["Resource"]}

    # Then it names its camera's video stream and never the other camera's
    read = next(s for s in statements if s["Sid"] == "ReadCameraVideo")
    assert read["Resource"] == [own]
    assert foreign not in resources


@pytest.mark.parametrize("camera", ["front-door", "garage"])
def test_processor_trust_names_its_own_processor(two_cameras: StackRun, camera: str) -> None:
    trust = json.loads(
        two_cameras.named(f"analysis-{camera}-processor-role").inputs["assumeRolePolicy"]
    )

    condition = trust["Statement"][0]["Condition"]
    assert condition["ArnEquals"]["aws:SourceArn"] == (
        f"arn:aws:rekognition:us-east-1:{ACCOUNT}:streamprocessor/facewatch-{camera}"
    )


def test_each_camera_output_feeds_its_own_video_stream(two_cameras: StackRun) -> None:
    cameras = two_cameras.outputs["cameras"]

    for camera in ("front-door", "garage"):
        outputs = cameras[camera]
        assert outputs["startProcessorCommand"] == (
            f"aws rekognition start-stream-processor --name facewatch-{camera} --region us-east-1"
        )
        for producer in ("webcamProducerCommand", "rtspProducerCommand"):
            assert outputs[producer].endswith(f"kvssink stream-name={camera} aws-region=us-east-1")
    # Several cameras: no plain single-camera outputs.
    assert "startProcessorCommand" not in two_cameras.outputs
    assert "webcamProducerCommand" not in two_cameras.outputs


def test_processor_role_uses_the_key_only_through_the_two_stream_services(
    one_camera: StackRun,
) -> None:
    by_sid = {s["Sid"]: s for s in role_policy(one_camera, "analysis-front-door-processor-role")}
    key = key_arn(one_camera)

    assert by_sid["DecryptVideo"] == {
        "Sid": "DecryptVideo",
        "Effect": "Allow",
        "Action": ["kms:Decrypt"],
        "Resource": [key],
        "Condition": {"StringEquals": {"kms:ViaService": ["kinesisvideo.us-east-1.amazonaws.com"]}},
    }
    assert by_sid["EncryptRecords"] == {
        "Sid": "EncryptRecords",
        "Effect": "Allow",
        "Action": ["kms:GenerateDataKey"],
        "Resource": [key],
        "Condition": {"StringEquals": {"kms:ViaService": ["kinesis.us-east-1.amazonaws.com"]}},
    }


def test_camera_agent_uses_the_key_only_through_kinesis_and_s3(edge: StackRun) -> None:
    policy = json.loads(edge.one("aws:iam/policy:Policy").inputs["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}

    assert by_sid["EncryptRecordsAndSnapshots"] == {
        "Sid": "EncryptRecordsAndSnapshots",
        "Effect": "Allow",
        "Action": ["kms:GenerateDataKey"],
        "Resource": [key_arn(edge)],
        "Condition": {
            "StringEquals": {
                "kms:ViaService": ["kinesis.eu-west-3.amazonaws.com", "s3.eu-west-3.amazonaws.com"]
            }
        },
    }
    assert edge.outputs["cameraAgentPolicyArn"] == edge.one("aws:iam/policy:Policy").outputs["arn"]


def test_snapshot_role_holds_exactly_its_statements_in_stream_processor_mode(
    one_camera: StackRun,
) -> None:
    by_sid = {s["Sid"]: s for s in role_policy(one_camera, "workflow-snapshot-role")}

    assert set(by_sid) == {
        "WriteOwnLogs",
        "ReadWriteSnapshots",
        "UseStackKey",
        "WriteTraces",
        "ReadCameraFrames",
    }
    assert by_sid["ReadWriteSnapshots"]["Action"] == ["s3:GetObject", "s3:PutObject"]
    assert by_sid["UseStackKey"]["Resource"] == [key_arn(one_camera)]
    assert by_sid["UseStackKey"]["Condition"] == {
        "StringEquals": {
            "kms:ViaService": ["s3.us-east-1.amazonaws.com", "kinesisvideo.us-east-1.amazonaws.com"]
        }
    }
    assert by_sid["WriteTraces"]["Action"] == ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]


def test_snapshot_role_holds_exactly_its_statements_in_edge_mode(edge: StackRun) -> None:
    by_sid = {s["Sid"]: s for s in role_policy(edge, "workflow-snapshot-role")}

    assert set(by_sid) == {"WriteOwnLogs", "ReadWriteSnapshots", "UseStackKey", "WriteTraces"}
    # No video stream to read in edge mode: the key is used through S3 only.
    assert by_sid["UseStackKey"]["Condition"] == {
        "StringEquals": {"kms:ViaService": ["s3.eu-west-3.amazonaws.com"]}
    }
    assert by_sid["ReadWriteSnapshots"]["Resource"] == [
        f"{edge.named('storage-audit').outputs['arn']}/snapshots/*"
    ]
