"""Three cameras, edge mode: no video streams or processors, a role for the camera agent."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from infra_policies import role_policy
from stack_configs import THREE_EDGE_CAMERAS
from stack_harness import ACCOUNT, StackRun

REGION = "eu-west-3"  # edge works where Rekognition has no streaming face search


@pytest.fixture(scope="module")
def run(stack: Callable[..., StackRun]) -> StackRun:
    return stack(THREE_EDGE_CAMERAS, region=REGION)


def test_edge_mode_declares_no_video_stream_or_processor(run: StackRun) -> None:
    assert run.count("aws:kinesis/videoStream:VideoStream") == 0
    assert run.count("aws:rekognition/streamProcessor:StreamProcessor") == 0
    assert run.count("aws:rekognition/collection:Collection") == 1
    assert run.count("aws:kinesis/stream:Stream") == 1


def test_camera_agent_policy_is_least_privilege(run: StackRun) -> None:
    policy = json.loads(run.one("aws:iam/policy:Policy").inputs["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    audit = run.named("storage-audit").outputs["arn"]

    assert by_sid["SearchEnrolledFaces"]["Action"] == [
        "rekognition:DescribeCollection",
        "rekognition:SearchFacesByImage",
    ]
    assert by_sid["SearchEnrolledFaces"]["Resource"] == [
        f"arn:aws:rekognition:{REGION}:{ACCOUNT}:collection/facewatch-dev"
    ]
    assert by_sid["WriteFaceSearchRecords"]["Action"] == [
        "kinesis:DescribeStreamSummary",
        "kinesis:PutRecords",
    ]
    assert by_sid["WriteFaceSearchRecords"]["Resource"] == [
        run.named("analysis-data").outputs["arn"]
    ]
    assert by_sid["UploadSnapshots"] == {
        "Sid": "UploadSnapshots",
        "Effect": "Allow",
        "Action": ["s3:PutObject"],
        "Resource": [f"{audit}/snapshots/*"],
    }
    assert set(by_sid) == {
        "SearchEnrolledFaces",
        "WriteFaceSearchRecords",
        "UploadSnapshots",
        "EncryptRecordsAndSnapshots",
    }


def test_camera_agent_role_is_assumable_within_the_account_and_holds_the_policy(
    run: StackRun,
) -> None:
    role = run.named("analysis-camera-agent")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    attachment = run.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment").inputs

    assert trust["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert attachment["policyArn"] == run.one("aws:iam/policy:Policy").outputs["arn"]
    assert run.outputs["cameraAgentRoleArn"] == role.outputs["arn"]


def test_snapshot_lambda_reads_no_video_in_edge_mode(run: StackRun) -> None:
    sids = {s["Sid"] for s in role_policy(run, "workflow-snapshot-role")}

    assert "ReadCameraFrames" not in sids


def test_each_camera_gets_the_agent_command_with_stack_values(run: StackRun) -> None:
    cameras = run.outputs["cameras"]
    stream = run.named("analysis-data").outputs["name"]
    audit = run.named("storage-audit").outputs["bucket"]

    assert list(cameras) == ["front-door", "garage", "yard"]
    garage = cameras["garage"]["startProcessorCommand"]
    assert garage == (
        f"facewatch camera run --camera garage --collection facewatch-dev --stream {stream} "
        f"--snapshot-bucket {audit} --region {REGION} --threshold 80 "
        "--source rtsp://cam.local/garage"
    )
    # No source in config: the command has no --source (given after the substitution).
    # No faceMatchThreshold in config: the stack's default, 80.
    assert cameras["yard"]["startProcessorCommand"] == (
        f"facewatch camera run --camera yard --collection facewatch-dev --stream {stream} "
        f"--snapshot-bucket {audit} --region {REGION} --threshold 80"
    )
    assert (
        cameras["yard"]["stopProcessorCommand"]
        == "pkill -INT -f facewatch.camera.run.--camera.yard.--collection"
    )
    assert "webcamProducerCommand" not in cameras["yard"]


def test_no_camera_command_holds_a_quote_or_a_variable(run: StackRun) -> None:
    # They run as $(...): quotes would reach the program as characters, $VARs unexpanded.
    for camera, outputs in run.outputs["cameras"].items():
        for name, command in outputs.items():
            assert not set(command) & set("'\"$`\\"), (camera, name, command)


def test_several_cameras_get_no_single_camera_outputs(run: StackRun) -> None:
    assert "startProcessorCommand" not in run.outputs
    assert run.outputs["analysisMode"] == "edge"
