"""The stack outputs the other tests leave unchecked (audit bucket,
the indexing console URL in full, the webcam producer's credentials, the enrol command against
the real CLI, a single edge camera's plain outputs)."""

from __future__ import annotations

import shlex
from collections.abc import Callable

import pytest
from stack_configs import ONE_CAMERA
from stack_harness import ACCOUNT, StackRun


@pytest.fixture(scope="module")
def run(stack: Callable[..., StackRun]) -> StackRun:
    return stack(ONE_CAMERA)


@pytest.fixture(scope="module")
def one_edge_camera(stack: Callable[..., StackRun]) -> StackRun:
    return stack(
        {"cameras": [{"name": "porch", "source": "0"}], "analysis": "edge"}, region="eu-west-3"
    )


def test_audit_bucket_output_is_the_declared_bucket(run: StackRun) -> None:
    assert run.outputs["auditBucket"] == run.named("storage-audit").outputs["bucket"]
    assert run.outputs["auditBucket"] != run.outputs["facesBucket"]


def test_indexing_executions_url_is_the_console_page_of_its_state_machine(run: StackRun) -> None:
    assert run.outputs["indexingExecutionsUrl"] == (
        "https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1"
        f"#/statemachines/view/arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:"
        "facewatch-dev-indexing"
    )
    assert run.outputs["indexingStateMachineArn"] == run.named("workflow-indexing").outputs["arn"]


def test_webcam_producer_names_stream_and_region_and_holds_no_credentials(run: StackRun) -> None:
    argv = shlex.split(run.outputs["webcamProducerCommand"])

    assert argv[:4] == ["gst-launch-1.0", "v4l2src", "do-timestamp=TRUE", "device=/dev/video0"]
    assert argv[-3:] == ["kvssink", "stream-name=front-door", "aws-region=us-east-1"]
    assert not [word for word in argv if word.split("=")[0] in ("access-key", "secret-key")]


def test_enrol_command_is_accepted_by_the_facewatch_cli(run: StackRun) -> None:
    from typer.main import get_command

    from facewatch.cli.faces import faces_app

    # Given the enrol output with its placeholders filled in
    argv = shlex.split(run.outputs["enrolCommand"])
    assert argv[:3] == ["facewatch", "faces", "add"]

    # When `facewatch faces add` parses it (parsed only, nothing runs)
    add = get_command(faces_app).commands["add"]  # type: ignore[attr-defined]
    parameters = add.make_context("add", argv[3:]).params

    # Then it reaches the stack's bucket, registry table and region
    assert (parameters["bucket"], parameters["registry_table"], parameters["region"]) == (
        run.outputs["facesBucket"],
        run.outputs["registryTable"],
        "us-east-1",
    )
    assert parameters["name"] == "Full Name"


def test_a_single_edge_camera_gets_plain_string_outputs(one_edge_camera: StackRun) -> None:
    outputs = one_edge_camera.outputs
    stream = one_edge_camera.named("analysis-data").outputs["name"]

    assert outputs["startProcessorCommand"] == outputs["cameras"]["porch"]["startProcessorCommand"]
    assert outputs["startProcessorCommand"].startswith("facewatch camera run --camera porch ")
    assert outputs["startProcessorCommand"].endswith(" --source 0")
    assert outputs["stopProcessorCommand"] == (
        "pkill -INT -f facewatch.camera.run.--camera.porch.--collection"
    )
    assert outputs["describeProcessorCommand"] == (
        f"aws kinesis describe-stream-summary --stream-name {stream} --region eu-west-3"
    )
    # No video stream in edge mode: no producer commands.
    assert "webcamProducerCommand" not in outputs and "rtspProducerCommand" not in outputs


def test_no_output_is_secret_or_holds_a_key_in_edge_mode(one_edge_camera: StackRun) -> None:
    assert one_edge_camera.secret_outputs == set()
    assert one_edge_camera.outputs["cameraAgentRoleArn"].startswith(f"arn:aws:iam::{ACCOUNT}:")
